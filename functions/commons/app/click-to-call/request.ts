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
export function parseCallRequest(text: string): { request: CallRequest } | { error: string; code: 'invalid_request' | 'invalid_client_phone' | 'invalid_user' } {
  if (text.trim() === '') return { error: 'a JSON body {"client_phone": "…", "user": "…"} is required', code: 'invalid_request' };
  if (text.length > MAX_BODY_CHARS) return { error: `the body is too large (at most ${MAX_BODY_CHARS} characters)`, code: 'invalid_request' };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { error: 'the body is not valid JSON', code: 'invalid_request' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { error: 'the body must be a JSON object {"client_phone": "…", "user": "…"}', code: 'invalid_request' };
  }
  const result = callBody.safeParse(data);
  if (!result.success) {
    const messages = result.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}: only client_phone and user are accepted`
        : `${issue.path.join('.') || 'body'}: ${issue.message}`,
    );
    // One field at fault names it; anything else (both, a missing or unknown field) is the request's.
    const fields = new Set(result.error.issues.map((issue) => (issue.code === 'unrecognized_keys' ? '' : String(issue.path[0] ?? ''))));
    const only = fields.size === 1 ? [...fields][0] : undefined;
    const code = only === 'client_phone' ? 'invalid_client_phone' : only === 'user' ? 'invalid_user' : 'invalid_request';
    return { error: messages.join('; '), code };
  }
  return { request: { clientPhone: normaliseClientPhone(result.data.client_phone)!, user: result.data.user } };
}
