/**
 * `beeline_call(client_phone, user)` (product spec §6): a bot starts a call. The PBX rings the
 * employee `user`, then the client. Plain TypeScript over small interfaces (the project's PBX
 * connection, its number format, the employee lookup and the rate counter); the composition
 * root (`clickToCallFrom`) gives it the AWS side.
 */
import { randomUUID } from 'node:crypto';
import { ID_PATTERN } from '../../http/responses';
import { BEELINE_CALL_METHOD, pbxPatternOf } from '../../domain/subscriptions';
import { PbxError, type CallCounter, type PbxStore } from '../../ports';
import { NotConnectedError, type ProjectPbx } from '../project-pbx';
import { failed, pbxFailureAnswer, started, unconfirmedAnswer, type CallAnswer, type CallFailureCode } from './answer';
import { ANSWER_BUDGET_MS, CALL_START_TIMEOUT_CAP_MS, DEFAULT_CALL_RATE_LIMIT, MIN_PBX_TIMEOUT_MS, type CallRateLimit } from './limits';
import { formatPhoneNumber, type NumberFormat } from './number-format';
import { parseCallRequest } from './request';

/** What is needed of a PBX client here: click-to-call only; `callId` when the PBX's answer names one. */
export interface PbxCaller {
  call(pattern: string, phoneNumber: string): Promise<{ callId?: string }>;
}

export interface CallAttempt {
  projectId: string;
  outcome: 'started' | 'failed';
  failure?: CallFailureCode;
  callId?: string;
  /** The id in the PBX's answer, when it gave one (else `callId` is this product's own). */
  pbxCallId?: string;
  user?: string;
  clientPhone?: string;
  /** The number as sent to the PBX. */
  phoneNumber?: string;
  durationMs: number;
  /** For `internal` failures: what went wrong (logged, never answered). */
  error?: unknown;
}

export interface ClickToCallDeps {
  /**
   * The project's PBX connection: a client factory taking the request timeout, or
   * NotConnectedError when the project has none.
   */
  connect(projectId: string): Promise<(timeoutMs: number) => PbxCaller>;
  numberFormat(projectId: string): NumberFormat | Promise<NumberFormat>;
  /**
   * The PBX pattern (the abonent's full userId) of the project's employee with PBX number `user`
   * who takes calls through the PBX API; undefined for anyone else (they are never dialled).
   */
  callerPattern(projectId: string, user: string): Promise<string | undefined>;
  counter: CallCounter;
  /** Notes a start answered with this product's own Call ID, so the call can be found by it later. */
  noteOwnCallId?: (projectId: string, callId: string, user: string, at: number) => Promise<void>;
  /** Default DEFAULT_CALL_RATE_LIMIT. */
  rateLimit?: CallRateLimit;
  /** The PBX request's timeout (at most CALL_START_TIMEOUT_CAP_MS). */
  timeoutMs: number;
  /** Default ANSWER_BUDGET_MS. */
  budgetMs?: number;
  now?: () => number;
  /** One call per attempt. */
  log?: (attempt: CallAttempt) => void;
}

class DeadlineError extends Error {}

/** `(projectId, body text) → answer`; never throws, never retries a call start. */
export function createClickToCall(deps: ClickToCallDeps) {
  const now = deps.now ?? Date.now;
  const budgetMs = deps.budgetMs ?? ANSWER_BUDGET_MS;
  const timeoutMs = Math.min(deps.timeoutMs, CALL_START_TIMEOUT_CAP_MS);
  const rateLimit = deps.rateLimit ?? DEFAULT_CALL_RATE_LIMIT;
  const windowMs = rateLimit.windowSeconds * 1000;

  return async (projectId: string, body: string): Promise<CallAnswer> => {
    const start = now();
    const attempt: CallAttempt = { projectId, outcome: 'failed', durationMs: 0 };
    const finish = (answer: CallAnswer, error?: unknown): CallAnswer => {
      attempt.durationMs = now() - start;
      if (answer.status === '1') attempt.outcome = 'started';
      else attempt.failure = answer.code;
      if (error !== undefined) attempt.error = error;
      deps.log?.(attempt);
      return answer;
    };

    if (!ID_PATTERN.test(projectId)) {
      return finish(failed('projectId must be 1-64 characters of A-Z, a-z, 0-9, _ and -', 'invalid_request'));
    }
    const parsed = parseCallRequest(body);
    if ('error' in parsed) return finish(failed(parsed.error, parsed.code));
    const { clientPhone, user } = parsed.request;
    attempt.user = user;
    attempt.clientPhone = clientPhone;

    let caller: PbxCaller;
    let phoneNumber: string;
    let callerPattern: string;
    try {
      const [clientFor, format, pattern] = await withDeadline(Promise.all([deps.connect(projectId), deps.numberFormat(projectId), deps.callerPattern(projectId, user)]), budgetMs - MIN_PBX_TIMEOUT_MS);
      if (!pattern) {
        return finish(failed(`user ${user} is not an employee of this project who takes calls through the Beeline API (call method beeline_api with this PBX number)`, 'not_an_employee'));
      }
      const windowStart = Math.floor(now() / windowMs) * windowMs;
      if (!(await withDeadline(deps.counter.take(projectId, windowStart, rateLimit.windowSeconds, rateLimit.calls), budgetMs - MIN_PBX_TIMEOUT_MS - (now() - start)))) {
        const retryIn = Math.max(1, Math.ceil((windowStart + windowMs - now()) / 1000));
        return finish(failed(`too many calls for this project: at most ${rateLimit.calls} per ${rateLimit.windowSeconds} s; the call was not started, try again in ${retryIn} s`, 'rate_limited'));
      }
      callerPattern = pattern;
      phoneNumber = formatPhoneNumber(clientPhone, format);
      caller = clientFor(Math.min(timeoutMs, budgetMs - (now() - start)));
    } catch (caught) {
      if (caught instanceof NotConnectedError) {
        return finish(failed('the Beeline PBX is not connected for this project: connect it first (PUT /projects/{projectId}/beeline)', 'pbx_not_connected'));
      }
      if (caught instanceof DeadlineError) return finish(failed('the PBX connection could not be read in time; the call was not started, try again', 'temporarily_unavailable'));
      return finish(failed('the call could not be started because of an internal error; try again', 'internal_error'), caught);
    }
    attempt.phoneNumber = phoneNumber;

    try {
      // Exactly one request: a call start is not idempotent, so it is never repeated.
      const { callId: pbxCallId } = await caller.call(callerPattern, phoneNumber);
      // The PBX is ringing the employee whatever its answer held: never a failure (a bot would retry).
      const callId = pbxCallId ?? `c2c-${randomUUID()}`;
      attempt.callId = callId;
      attempt.pbxCallId = pbxCallId;
      if (!pbxCallId && deps.noteOwnCallId) {
        // The call is started whatever happens here: a failure only costs finding it by this id.
        await deps.noteOwnCallId(projectId, callId, user, now()).catch((error: unknown) => {
          attempt.error = error;
        });
      }
      return finish(started(callId));
    } catch (caught) {
      if (!(caught instanceof PbxError)) return finish(unconfirmedAnswer(), caught);
      return finish(pbxFailureAnswer(caught));
    }
  };
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError()), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // a late failure after the deadline is not unhandled
  }
}

/** ClickToCallDeps.callerPattern over the project's employees: only a `beeline_api` employee with that PBX number is ever dialled. */
export function beelineCallerPattern(store: Pick<PbxStore, 'listEmployees'>): ClickToCallDeps['callerPattern'] {
  return async (projectId, user) => {
    const employee = (await store.listEmployees(projectId)).find((e) => e.callMethod === BEELINE_CALL_METHOD && e.beelineNumber === user);
    return employee && pbxPatternOf(employee);
  };
}

/** ClickToCallDeps.connect over the project's PBX: read (and decrypted) once; the caller picks the timeout from what is left of its budget. */
export function connectionOf(projectPbx: Pick<ProjectPbx, 'connect'>): ClickToCallDeps['connect'] {
  return async (projectId) => {
    const clientWith = await projectPbx.connect(projectId);
    return (timeoutMs) => clientWith(Math.max(1, Math.floor(timeoutMs)));
  };
}
