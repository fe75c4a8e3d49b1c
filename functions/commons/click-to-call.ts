/**
 * `beeline_call(client_phone, user)` (product spec §6): a bot starts a call. The PBX rings the
 * employee `user`, then the client. `POST /projects/{projectId}/beeline/call` always answers
 * in its own contract: `{"status":"1","result":"Call ID: <id>"}` or `{"status":"0","error":"…"}`.
 *
 * The logic here is plain TypeScript over two small interfaces (the project's PBX connection
 * and its number format); `clickToCallFrom` composes the AWS side.
 */
import { randomUUID } from 'node:crypto';
import { PbxError, type PbxFailure } from './adapters/pbx-client';
import { projectPbxFrom, type Stores } from './composition';
import { normaliseClientPhone } from './domain/phone';
import { BEELINE_CALL_METHOD, pbxPatternOf } from './domain/subscriptions';
import { secondsFrom, type Environment } from './environment';
import type { CallCounter } from './ports';
import { callBody } from './http/bodies';
import { ID_PATTERN } from './http/responses';
import { NotConnectedError } from './project-pbx';

// ---------------------------------------------------------------- the answer contract

/** Stable machine-readable reasons of some failures, for bots that react to them. */
export type CallFailureCode = 'not-an-employee' | 'rate-limited';

export type CallAnswer = { status: '1'; result: string } | { status: '0'; error: string; code?: CallFailureCode };

const started = (callId: string): CallAnswer => ({ status: '1', result: `Call ID: ${callId}` });
const failed = (error: string, code?: CallFailureCode): CallAnswer => (code ? { status: '0', error, code } : { status: '0', error });

// ---------------------------------------------------------------- number format at the PBX

/**
 * How the client's number is sent to the PBX as `phoneNumber` (the accepted formats are not
 * documented, so it is configurable): `canonical` `79161234567`, `national` `9161234567`
 * (10 digits for numbers of zone +7; other countries stay `375291234567`), `trunk` `89161234567`
 * (zone +7 dialled with the trunk prefix 8; other countries stay as they are), `plus` `+79161234567`.
 */
export const NUMBER_FORMATS = ['canonical', 'national', 'trunk', 'plus'] as const;
export type NumberFormat = (typeof NUMBER_FORMATS)[number];
/** 10-digit national: what the evidence supports best (a `7…` number was reported never to arrive). */
export const DEFAULT_NUMBER_FORMAT: NumberFormat = 'national';

/** A canonical client number (digits, country code first) in the given format. */
export function formatPhoneNumber(canonical: string, format: NumberFormat): string {
  switch (format) {
    case 'canonical':
      return canonical;
    case 'plus':
      return `+${canonical}`;
    case 'national':
      return /^7[0-9]{10}$/.test(canonical) ? canonical.slice(1) : canonical;
    case 'trunk':
      return /^7[0-9]{10}$/.test(canonical) ? `8${canonical.slice(1)}` : canonical;
  }
}

/** `CLICK_TO_CALL_NUMBER_FORMAT` (default `national`); anything else is a configuration error. */
export function numberFormatFrom(env: Environment): NumberFormat {
  const raw = env.CLICK_TO_CALL_NUMBER_FORMAT?.trim() || DEFAULT_NUMBER_FORMAT;
  if (!(NUMBER_FORMATS as readonly string[]).includes(raw)) {
    throw new Error(`configuration: CLICK_TO_CALL_NUMBER_FORMAT must be one of ${NUMBER_FORMATS.join(', ')}, got "${raw}"`);
  }
  return raw as NumberFormat;
}

/** `CALL_RATE_LIMIT` calls (1–10000, default 30) per `CALL_RATE_WINDOW_SECONDS` (1–3600, default 60). */
export function callRateLimitFrom(env: Environment): CallRateLimit {
  const calls = Number(env.CALL_RATE_LIMIT ?? DEFAULT_CALL_RATE_LIMIT.calls);
  if (!Number.isInteger(calls) || calls < 1 || calls > 10_000) throw new Error(`configuration: CALL_RATE_LIMIT must be a whole number from 1 to 10000, got "${env.CALL_RATE_LIMIT}"`);
  const windowSeconds = secondsFrom(env, 'CALL_RATE_WINDOW_SECONDS', DEFAULT_CALL_RATE_LIMIT.windowSeconds, 3600);
  if (windowSeconds < 1 || !Number.isInteger(windowSeconds)) throw new Error('configuration: CALL_RATE_WINDOW_SECONDS must be a whole number of seconds from 1 to 3600');
  return { calls, windowSeconds };
}

// ---------------------------------------------------------------- time limits

/** The PBX request's timeout never exceeds this, whatever `PBX_TIMEOUT_MS` says. */
export const CALL_START_TIMEOUT_CAP_MS = 4000;
/** Everything (connection lookup + PBX request) fits in this, so the answer comes within 5 s. */
export const ANSWER_BUDGET_MS = 4500;
/** Less than this left after the lookup: the call is not started at all. */
const MIN_PBX_TIMEOUT_MS = 1000;

/** min(`PBX_TIMEOUT_MS` (default 5000), 4000); a missing or unusable value gives 4000. */
export function clickToCallTimeoutMs(env: Environment): number {
  const configured = Number(env.PBX_TIMEOUT_MS ?? 5000);
  return Number.isFinite(configured) && configured > 0 ? Math.min(configured, CALL_START_TIMEOUT_CAP_MS) : CALL_START_TIMEOUT_CAP_MS;
}

// ---------------------------------------------------------------- the request body

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

// ---------------------------------------------------------------- starting the call

/** What is needed of a PBX client here: click-to-call only; `callId` when the PBX's answer names one. */
export interface PbxCaller {
  call(pattern: string, phoneNumber: string): Promise<{ callId?: string }>;
}

/** Why an attempt failed, for the log line. */
export type CallFailureKind = 'invalid-request' | 'not-connected' | 'deadline' | 'internal' | CallFailureCode | PbxFailure;

/** A leaked key must not become a toll-fraud machine: at most this many call starts per project and window. */
export interface CallRateLimit {
  calls: number;
  windowSeconds: number;
}
export const DEFAULT_CALL_RATE_LIMIT: CallRateLimit = { calls: 30, windowSeconds: 60 };

export interface CallAttempt {
  projectId: string;
  outcome: 'started' | 'failed';
  failure?: CallFailureKind;
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
    const finish = (answer: CallAnswer, failure?: CallFailureKind, error?: unknown): CallAnswer => {
      attempt.durationMs = now() - start;
      if (answer.status === '1') attempt.outcome = 'started';
      else attempt.failure = failure;
      if (error !== undefined) attempt.error = error;
      deps.log?.(attempt);
      return answer;
    };

    if (!ID_PATTERN.test(projectId)) {
      return finish(failed('projectId must be 1-64 characters of A-Z, a-z, 0-9, _ and -'), 'invalid-request');
    }
    const parsed = parseCallRequest(body);
    if ('error' in parsed) return finish(failed(parsed.error), 'invalid-request');
    const { clientPhone, user } = parsed.request;
    attempt.user = user;
    attempt.clientPhone = clientPhone;

    let caller: PbxCaller;
    let phoneNumber: string;
    let callerPattern: string;
    try {
      const [clientFor, format, pattern] = await withDeadline(Promise.all([deps.connect(projectId), deps.numberFormat(projectId), deps.callerPattern(projectId, user)]), budgetMs - MIN_PBX_TIMEOUT_MS);
      if (!pattern) {
        return finish(
          failed(`user ${user} is not an employee of this project who takes calls through the Beeline API (call method beeline_api with this PBX number)`, 'not-an-employee'),
          'not-an-employee',
        );
      }
      const windowStart = Math.floor(now() / windowMs) * windowMs;
      if (!(await withDeadline(deps.counter.take(projectId, windowStart, rateLimit.windowSeconds, rateLimit.calls), budgetMs - MIN_PBX_TIMEOUT_MS - (now() - start)))) {
        const retryIn = Math.max(1, Math.ceil((windowStart + windowMs - now()) / 1000));
        return finish(
          failed(`too many calls for this project: at most ${rateLimit.calls} per ${rateLimit.windowSeconds} s; the call was not started, try again in ${retryIn} s`, 'rate-limited'),
          'rate-limited',
        );
      }
      callerPattern = pattern;
      phoneNumber = formatPhoneNumber(clientPhone, format);
      caller = clientFor(Math.min(timeoutMs, budgetMs - (now() - start)));
    } catch (caught) {
      if (caught instanceof NotConnectedError) {
        return finish(failed('the Beeline PBX is not connected for this project: connect it first (PUT /projects/{projectId}/beeline)'), 'not-connected');
      }
      if (caught instanceof DeadlineError) return finish(failed('the PBX connection could not be read in time; the call was not started, try again'), 'deadline');
      return finish(failed('the call could not be started because of an internal error; try again'), 'internal', caught);
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
      if (!(caught instanceof PbxError)) {
        return finish(failed('the call could not be started because of an internal error; try again'), 'internal', caught);
      }
      return finish(failed(pbxFailureMessage(caught)), caught.failure);
    }
  };
}

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

// ---------------------------------------------------------------- composition

/**
 * The project's PBX through the shared ProjectPbx (connection + token cipher + PBX client),
 * with the click-to-call timeout; nothing this function never needs (queue, webhook key,
 * public URL), so it gets no more configuration or grants than it uses.
 */
export function clickToCallFrom(env: Environment, stores: Pick<Stores, 'pbx' | 'callCounter' | 'calls' | 'capture'>, log?: (attempt: CallAttempt) => void) {
  const projectPbx = projectPbxFrom(env, stores);
  const format = numberFormatFrom(env);
  return createClickToCall({
    callerPattern: async (projectId, user) => {
      const employee = (await stores.pbx.listEmployees(projectId)).find((e) => e.callMethod === BEELINE_CALL_METHOD && e.beelineNumber === user);
      return employee && pbxPatternOf(employee);
    },
    counter: stores.callCounter,
    noteOwnCallId: (projectId, callId, user, at) => stores.calls.recordClickToCall(projectId, callId, user, at),
    rateLimit: callRateLimitFrom(env),
    // Read (and decrypt) once; the caller picks the timeout from what is left of its budget.
    connect: async (projectId) => {
      const clientWith = await projectPbx.connect(projectId);
      return (timeoutMs) => clientWith(Math.max(1, Math.floor(timeoutMs)));
    },
    numberFormat: () => format,
    timeoutMs: clickToCallTimeoutMs(env),
    log,
  });
}
