/** The body of `POST /projects/{projectId}/beeline/call`, checked. */
import { normaliseClientPhone } from '../../domain/phone';
import { callBody } from '../../http/bodies';

export interface CallRequest {
  /** Canonical client number, e.g. `79220001122`. */
  clientPhone: string;
  /** The employee's PBX number, 10 digits starting with 9. */
  user: string;
}

const MAX_BODY_CHARS = 4096;

/** The body as a call request, or a message naming what is wrong (every field at fault). */
export function parseCallRequest(text: string): { request: CallRequest } | { error: string } {
  if (text.trim() === '') return { error: 'a JSON body {"client_phone": "…", "user": "…"} is required' };
  if (text.length > MAX_BODY_CHARS) return { error: `the body is too large (at most ${MAX_BODY_CHARS} characters)` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { error: 'the body is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { error: 'the body must be a JSON object {"client_phone": "…", "user": "…"}' };
  }
  const result = callBody.safeParse(data);
  if (!result.success) {
    const messages = result.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}: only client_phone and user are accepted`
        : `${issue.path.join('.') || 'body'}: ${issue.message}`,
    );
    return { error: messages.join('; ') };
  }
  return { request: { clientPhone: normaliseClientPhone(result.data.client_phone)!, user: result.data.user } };
}
