/**
 * What `POST /projects/{projectId}/beeline/call` (`beeline_call(client_phone, user)`) answers,
 * always in its own contract: `{"status":"1","result":"Call ID: <id>"}` or
 * `{"status":"0","error":"…","code":"…"}`, `code` a stable machine-readable reason.
 */
import type { PbxError } from '../../ports';

export const CALL_FAILURE_CODES = [
  'unauthorized',
  'forbidden',
  'invalid_request',
  'invalid_client_phone',
  'invalid_user',
  'not_an_employee',
  'pbx_not_connected',
  'pbx_refused',
  'pbx_unreachable',
  'pbx_timeout',
  'pbx_unreadable',
  'rate_limited',
  'temporarily_unavailable',
  'internal_error',
  'idempotency_key_reused',
  'idempotency_key_in_progress',
] as const;
export type CallFailureCode = (typeof CALL_FAILURE_CODES)[number];

/**
 * Failures that are not the caller's doing: the PBX failed or refused (a revoked token refuses every
 * call), or this product did. An operator should hear of these; a bot's bad request is its own.
 */
export const SERVICE_FAILURES: ReadonlySet<CallFailureCode> = new Set(['pbx_refused', 'pbx_unreachable', 'pbx_timeout', 'pbx_unreadable', 'temporarily_unavailable', 'internal_error']);

/** Failures after which the employee's phone may be ringing: a retry without the same Idempotency-Key could ring it twice. */
export const MAY_HAVE_STARTED: ReadonlySet<CallFailureCode> = new Set(['pbx_timeout', 'pbx_unreadable', 'idempotency_key_in_progress']);

export type CallAnswer = { status: '1'; result: string } | { status: '0'; error: string; code: CallFailureCode };

export const started = (callId: string): CallAnswer => ({ status: '1', result: `Call ID: ${callId}` });
export const failed = (error: string, code: CallFailureCode): CallAnswer => ({ status: '0', error, code });

/** Whether a call was started, or may have been (so the answer must be repeated, not the start). */
export function callMayHaveStarted(answer: CallAnswer): boolean {
  return answer.status === '1' || MAY_HAVE_STARTED.has(answer.code);
}

const MAY_STILL_RING = 'the call may still ring: do not start it again without the same Idempotency-Key';

/** The PBX's own description when it refused; a clear message when it could not be asked. */
export function pbxFailureAnswer(error: PbxError): CallAnswer {
  switch (error.failure) {
    case 'timeout':
      return failed(`the PBX did not answer in time; ${MAY_STILL_RING}`, 'pbx_timeout');
    case 'unreachable':
      return failed('the PBX could not be reached; the call was not started', 'pbx_unreachable');
    case 'invalid-response':
      return failed(`the PBX gave an answer this product cannot read; ${MAY_STILL_RING}`, 'pbx_unreadable');
    case 'refused':
    case 'unauthorized':
      return failed(error.userMessage, 'pbx_refused');
  }
}

/** A failure of this product after the PBX was asked: the call may have started. */
export const unconfirmedAnswer = (): CallAnswer => failed(`the call could not be confirmed because of an internal error; ${MAY_STILL_RING}`, 'pbx_unreadable');
