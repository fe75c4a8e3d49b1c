/**
 * What `POST /projects/{projectId}/beeline/call` (`beeline_call(client_phone, user)`) answers,
 * always in its own contract: `{"status":"1","result":"Call ID: <id>"}` or
 * `{"status":"0","error":"…"}`.
 */
import type { PbxError } from '../../ports';

/** Stable machine-readable reasons of some failures, for bots that react to them. */
export type CallFailureCode = 'not-an-employee' | 'rate-limited';

export type CallAnswer = { status: '1'; result: string } | { status: '0'; error: string; code?: CallFailureCode };

export const started = (callId: string): CallAnswer => ({ status: '1', result: `Call ID: ${callId}` });
export const failed = (error: string, code?: CallFailureCode): CallAnswer => (code ? { status: '0', error, code } : { status: '0', error });

/** The PBX's own description when it refused; a clear message when it could not be asked. */
export function pbxFailureMessage(error: PbxError): string {
  switch (error.failure) {
    case 'timeout':
      return 'the PBX did not answer in time; the call was not confirmed';
    case 'unreachable':
      return 'the PBX could not be reached; the call was not started';
    case 'invalid-response':
      return 'the PBX gave an answer this product cannot read; the call was not confirmed';
    case 'refused':
    case 'unauthorized':
      return error.userMessage;
  }
}
