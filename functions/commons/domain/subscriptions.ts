/**
 * Employees and their webhook subscriptions at the PBX (product spec §2), as rules over plain
 * data. Subscriptions expire silently at the PBX, so every one carries the moment it must be
 * renewed, computed from the lifetime the PBX actually granted.
 */

import { normaliseEmployeeNumber } from './phone';
import { MAX_SQS_DELAY_SECONDS } from '../contracts/sqs';

export const BEELINE_CALL_METHOD = 'beeline_api';
export type CallMethod = typeof BEELINE_CALL_METHOD | 'none';

export interface Employee {
  employeeId: string;
  name?: string;
  callMethod: CallMethod;
  /** 10 digits starting with 9, or the extension of a SIP account (which has no number). */
  beelineNumber?: string;
  /** The abonent's full PBX userId (recordings are looked up by it). */
  abonentUserId?: string;
  /** Changes on every save, so saving an unchanged employee still re-registers. */
  savedAt: string;
}

export type SubscriptionStatus = 'active' | 'pending' | 'failed' | 'none';

export interface SubscriptionState {
  status: SubscriptionStatus;
  subscriptionId?: string;
  /** The number the subscription watches. */
  number?: string;
  expiresAt?: string;
  renewAt?: string;
  lastEventAt?: string;
  /** Since when the employee has been subscribed without interruption. */
  activeSince?: string;
  lastError?: string;
  /** Consecutive failed attempts (drives the retry back-off). */
  failures?: number;
}

/**
 * The optional subscription to the whole PBX (no pattern), kept like an employee's under this
 * reserved id: it sees the legs of abonents that are not employees (a hunt group or call centre
 * member who answers), so a group call answered there is not reported missed.
 */
export const WHOLE_PBX_WATCH = '--whole-pbx';

/** What a subscription watches at the PBX: one abonent (its pattern and number), or every abonent. */
export type WatchTarget = { pattern: string; number: string } | { wholePbx: true };

/** What the PBX is to watch for an employee: its abonent, or nothing (not a `beeline_api` employee). */
export function employeeWatch(employee: Employee | undefined): WatchTarget | undefined {
  if (!shouldSubscribe(employee)) return undefined;
  return { pattern: pbxPatternOf(employee)!, number: employee.beelineNumber };
}

/** What the processor needs to know about a subscription id seen in an event. */
export interface SubscriptionRecord {
  subscriptionId: string;
  projectId: string;
  employeeId: string;
  /** The watched employee's PBX number; absent for the whole-PBX subscription. */
  number?: string;
  /** Epoch ms when a newer subscription replaced it (or it was removed). */
  retiredAt?: number;
}

/** One day: the largest lifetime in common use; the PBX may grant less. */
export const DESIRED_LIFETIME_SECONDS = 86_400;
/** Events of a replaced subscription still in flight are accepted this long. */
export const RETIRED_GRACE_MS = 10 * 60_000;
/** A replaced subscription's record is kept longer than the dead-letter queue keeps events (14 days), so a replay is still judged. */
export const RETIRED_RECORD_KEPT_SECONDS = 15 * 86_400;
/** An event from a subscription we have not recorded yet (created a moment ago) is retried this long. */
export const UNKNOWN_SUBSCRIPTION_PATIENCE_MS = 60_000;

/** The extension of an abonent: a short number. */
const EXTENSION = /^[0-9]{2,6}$/;

/** What an abonent is known by (the PBX's abonent list). */
export interface AbonentIdentity {
  userId: string;
  phone?: string;
  extension?: string;
}

/**
 * The abonent an employee's PBX number names, and the number to store: a 10-digit number names
 * the abonent with that number; an extension names a SIP account (no number), whose extension
 * is then its PBX number, or an abonent with a number, whose 10 digits are stored.
 */
export function abonentForEmployeeNumber<A extends AbonentIdentity>(
  abonents: readonly A[],
  typed: string,
): { abonent: A; number: string } | { error: 'not-a-number' | 'not-an-abonent'; number?: string } {
  const number = employeeNumberOf(typed);
  if (!number) return { error: 'not-a-number' };
  if (!EXTENSION.test(number)) {
    const abonent = abonents.find((a) => abonentNumber(a) === number);
    return abonent ? { abonent, number } : { error: 'not-an-abonent', number };
  }
  const abonent = abonents.find((a) => a.extension === number);
  if (!abonent) return { error: 'not-an-abonent', number };
  return { abonent, number: abonentNumber(abonent) ?? number };
}

/** A PBX number as typed: 10 digits starting with 9 (any pasted format), or an extension; undefined otherwise. */
export function employeeNumberOf(typed: string): string | undefined {
  const extension = typed.trim();
  return normaliseEmployeeNumber(typed) ?? (EXTENSION.test(extension) ? extension : undefined);
}

/** The abonent's 10-digit number, from `phone` or from a numeric userId; undefined for a SIP account. */
export function abonentNumber(abonent: AbonentIdentity): string | undefined {
  return normaliseEmployeeNumber(abonent.phone) ?? normaliseEmployeeNumber(abonent.userId.split('@')[0]);
}

/**
 * The pattern an employee is subscribed and called by at the PBX: the abonent's full userId (a
 * bare 10-digit pattern may also mean a company number); the number for employees saved before
 * the userId was kept.
 */
export function pbxPatternOf(employee: Pick<Employee, 'abonentUserId' | 'beelineNumber'>): string | undefined {
  return employee.abonentUserId ?? employee.beelineNumber;
}

export function shouldSubscribe(employee: Employee | undefined): employee is Employee & { beelineNumber: string } {
  return employee?.callMethod === BEELINE_CALL_METHOD && employee.beelineNumber !== undefined;
}

/** Renew when 60% of the granted lifetime has passed: early enough for a sweep every few minutes. */
export function renewalTime(now: number, grantedSeconds: number): number {
  return now + Math.floor(grantedSeconds * 1000 * 0.6);
}

/** Back-off for retries after a failure: 5 s, 10 s, 20 s … capped at SQS's 15-minute delay. */
export function retryDelaySeconds(failures: number): number {
  return Math.min(MAX_SQS_DELAY_SECONDS, 5 * 2 ** Math.max(0, failures - 1));
}

export type EventSource = 'accepted' | 'foreign' | 'maybe-new';

/**
 * Whether an event carrying this subscription id may reach the project's clients. Judged by when
 * the event arrived (`receivedAt`, this product's clock at the webhook), not when it is processed:
 * an event replayed from the dead-letter queue a day later is judged as it was then.
 */
export function judgeEventSource(record: SubscriptionRecord | undefined, projectId: string, receivedAt: number, now: number): EventSource {
  if (record) {
    if (record.projectId !== projectId) return 'foreign';
    if (record.retiredAt === undefined || receivedAt - record.retiredAt <= RETIRED_GRACE_MS) return 'accepted';
    return 'foreign';
  }
  return now - receivedAt <= UNKNOWN_SUBSCRIPTION_PATIENCE_MS ? 'maybe-new' : 'foreign';
}

/** The token is shown only as its last four characters. */
export function tokenHint(token: string): string {
  return `…${token.slice(-4)}`;
}

export function webhookPath(projectId: string, secret: string): string {
  return `/webhooks/beeline/${projectId}/${secret}`;
}

/**
 * The "notifications stopped arriving" symptom: subscribed for longer than the quiet period
 * and no event for that long either.
 */
export function isQuiet(state: SubscriptionState, now: number, quietPeriodMs: number): boolean {
  if (state.status !== 'active') return false;
  const since = Date.parse(state.lastEventAt ?? state.activeSince ?? '');
  return Number.isFinite(since) && now - since > quietPeriodMs;
}
