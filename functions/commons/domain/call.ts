/**
 * The call aggregate: all legs (callIds) of one business call (one extTrackingId), merged
 * from Xsi events that may arrive duplicated, out of order and through several employees'
 * subscriptions. Pure functions over plain data, so the processor can store the state as one
 * item and retry with optimistic concurrency.
 */
import { employeeNumberFromTargetId, normaliseClientPhone } from './phone';
import { CONTINUING_EVENT_TYPES, type XsiCall, type XsiEvent } from './xsi-event';

export type Direction = 'Incoming' | 'Outgoing';
export type Outcome = 'answered' | 'missed' | 'internal' | 'hidden' | 'in_progress';

export interface Leg {
  callId: string;
  /** The monitored abonent of this leg (Xsi `targetId`). */
  targetId?: string;
  /** The employee's PBX number: from the targetId (10 digits), else the delivering subscription's (a SIP account's extension). */
  operatorPhone?: string;
  personality?: string;
  startTime?: number;
  answerTime?: number;
  releaseTime?: number;
  released: boolean;
  /** Canonical client number of the other side, carried over from earlier events; never the employee's own. */
  remotePhone?: string;
  /**
   * An event showed the employee's own number as the other side: a click-to-call ringing the
   * employee (`Click-to-Dial`). On the real PBX the same leg then rings the client.
   */
  remoteSelf?: boolean;
  /** The other side is a colleague (callType Group or a remote userId). */
  remoteInternal: boolean;
  /** An event carried `<privacy/>`. */
  remotePrivacy: boolean;
  recorded: boolean;
  /** Ingest time of the first event of this leg: orders legs when startTime is missing. */
  firstSeenAt: number;
  /** The leg took over a call in progress: picked up from a colleague, or transferred to this employee. */
  continuing?: boolean;
  /** The tracking id the PBX filed this leg under, when it came from a continuation (a picked-up or transferred leg has its own). */
  trackingId?: string;
  /** An employee's own subscription delivered an event of this leg: the leg is a configured employee's. */
  watched?: boolean;
}

export interface CallState {
  projectId: string;
  extTrackingId: string;
  legs: Record<string, Leg>;
  /** eventIDs already applied: duplicates are recognised and change nothing. */
  seenEventIds: string[];
  /** Ingest time of the last event that changed a leg: the settle period counts from here. */
  lastChangeAt: number;
  /** Events of types this product does not interpret, kept for the call log. */
  otherEvents: { eventId: string; type: string }[];
  finalized?: FinalOutcome;
  /** This product's stable link to the recording, once the PBX has one. */
  recordLink?: string;
  /** Rebuilt from the PBX's call records because its webhooks never arrived. */
  recovered?: boolean;
  /**
   * This call (a pickup or a transfer under a new tracking id) continues that one: its legs
   * are joined into it, and only that call has an outcome and effects.
   */
  continues?: string;
  /** The tracking ids of the calls joined into this one. */
  continuations?: string[];
  /**
   * Events came through the whole-PBX subscription: the call is this product's only if a leg is
   * a configured employee's (`watched`); the others only help decide the outcome.
   */
  throughWholePbx?: boolean;
  /** `beeline_call_started` was written (with this state): never again for this call. */
  startReported?: StartReport;
}

export interface StartReport {
  /** Processor time of the report: an `activeCall` older than ACTIVE_CALL_MAX_MS is stale whatever the PBX's clocks say. */
  reportedAt: number;
  /** The client whose `activeCall` the call is until it ends; absent when the call had ended before it was first seen. */
  activeFor?: string;
}

export interface FinalOutcome {
  outcome: Exclude<Outcome, 'in_progress'>;
  clientId?: string;
  /** The operator the client's variables name. */
  operatorPhone?: string;
  finalizedAt: number;
}

export interface CallSummary {
  direction: Direction;
  /** As the call log shows it: `in_progress` until the call is finalized. */
  outcome: Outcome;
  /** What the outcome is once every leg has ended (decided for good after the settle period). */
  decided?: Exclude<Outcome, 'in_progress'>;
  /** The outcome the legs give now, even for a finalized call (a late event may change it). */
  fresh?: Exclude<Outcome, 'in_progress'>;
  clientPhone?: string;
  operatorPhone?: string;
  /** Operator leg's abonent id (for recordings). */
  operatorTargetId?: string;
  /** The tracking id the PBX filed the operator's leg under (for recordings): the call's own unless the leg came from a pickup or transfer. */
  operatorTrackingId: string;
  startedAt: number;
  endedAt?: number;
  allLegsEnded: boolean;
  recorded: boolean;
}

export interface IncomingEvent {
  event: XsiEvent;
  /** Ingest time, epoch ms. */
  receivedAt: number;
  /**
   * The PBX number of the employee whose subscription delivered the event: 10 digits, or a SIP
   * account's extension (its targetId holds no number).
   */
  operatorNumber?: string;
  /** Delivered by the whole-PBX subscription rather than an employee's. */
  wholePbx?: boolean;
}

export type ApplyResult = { kind: 'duplicate'; state: CallState } | { kind: 'applied'; state: CallState };

/** What a call keeps is bounded whatever the PBX sends: event ids seen (enough to recognise redeliveries; an older one re-applied changes nothing), other events, legs. */
export const MAX_SEEN_EVENT_IDS = 256;
export const MAX_OTHER_EVENTS = 32;
export const MAX_LEGS = 100;
/**
 * A time an event gives may be this far ahead of its arrival (clocks differ); a later one is taken
 * as the arrival. A time in the future would make every later call of the client look older and
 * freeze its variables; a past one only makes this call older, which is harmless.
 */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

export function newCall(projectId: string, extTrackingId: string, at: number): CallState {
  return { projectId, extTrackingId, legs: {}, seenEventIds: [], lastChangeAt: at, otherEvents: [] };
}

/** The call a queued event belongs to, if any. */
export function callOf(event: XsiEvent): XsiCall | undefined {
  return event.kind === 'subscriptionTerminated' ? undefined : event.call;
}

/**
 * Merges one event into the call. Commutative for the facts it keeps (times, answered,
 * released, numbers), so any delivery order converges to the same state.
 */
export function applyEvent(state: CallState, { event, receivedAt, operatorNumber, wholePbx = false }: IncomingEvent): ApplyResult {
  const eventId = event.envelope.eventId;
  if (state.seenEventIds.includes(eventId)) return { kind: 'duplicate', state };
  const next: CallState = { ...state, legs: { ...state.legs }, seenEventIds: [...state.seenEventIds, eventId].slice(-MAX_SEEN_EVENT_IDS) };

  if (event.kind !== 'call') {
    next.otherEvents = [...state.otherEvents, { eventId, type: event.kind === 'ignored' ? event.type : event.kind }].slice(-MAX_OTHER_EVENTS);
    return { kind: 'applied', state: next };
  }
  // A `calls` list may hold legs of other calls: only this call's are merged.
  for (const call of [event.call, ...(event.otherCalls ?? [])]) {
    if (call.extTrackingId !== state.extTrackingId) continue;
    if (next.legs[call.callId] === undefined && Object.keys(next.legs).length >= MAX_LEGS) continue;
    const leg = mergeLeg(next.legs[call.callId], call, event.type, event.envelope.targetId, receivedAt, operatorNumber);
    if (!wholePbx) leg.watched = true;
    next.legs[call.callId] = leg;
  }
  if (wholePbx) next.throughWholePbx = true;
  next.lastChangeAt = Math.max(state.lastChangeAt, receivedAt);
  return { kind: 'applied', state: next };
}

/**
 * A call that began with a pickup or a transfer under a tracking id of its own, not yet joined
 * to the call it continues: the processor looks that call up by the client's number.
 */
export function seeksContinued(state: CallState): boolean {
  const legs = Object.values(state.legs);
  return state.continues === undefined && legs.length > 0 && legs.every((leg) => leg.continuing === true);
}

/**
 * Joins a continuation's legs into the call it continues (whole legs, so any number of
 * redeliveries and any order converge); undefined when that changes nothing.
 */
export function joinContinuation(root: CallState, continuation: CallState): CallState | undefined {
  const legs = { ...root.legs };
  let changed = false;
  for (const leg of Object.values(continuation.legs)) {
    const joined = combineLegs(legs[leg.callId], { ...leg, trackingId: leg.trackingId ?? continuation.extTrackingId });
    if (legs[leg.callId] === undefined || legFingerprint(legs[leg.callId]!) !== legFingerprint(joined)) {
      legs[leg.callId] = joined;
      changed = true;
    }
  }
  const known = root.continuations?.includes(continuation.extTrackingId) === true;
  if (!changed && known) return undefined;
  return {
    ...root,
    legs,
    continuations: known ? root.continuations : [...(root.continuations ?? []), continuation.extTrackingId],
    lastChangeAt: Math.max(root.lastChangeAt, continuation.lastChangeAt),
    ...((root.throughWholePbx || continuation.throughWholePbx) && { throughWholePbx: true }),
  };
}

/** The facts of two views of one leg together (each fact merges as in `mergeLeg`). */
function combineLegs(a: Leg | undefined, b: Leg): Leg {
  if (!a) return b;
  return {
    ...a,
    targetId: a.targetId ?? b.targetId,
    operatorPhone: a.operatorPhone ?? b.operatorPhone,
    personality: a.personality ?? b.personality,
    startTime: minDefined(a.startTime, b.startTime),
    answerTime: minDefined(a.answerTime, b.answerTime),
    releaseTime: maxDefined(a.releaseTime, b.releaseTime),
    released: a.released || b.released,
    remotePhone: a.remotePhone ?? b.remotePhone,
    remoteSelf: a.remoteSelf || b.remoteSelf || undefined,
    remoteInternal: a.remoteInternal || b.remoteInternal,
    remotePrivacy: a.remotePrivacy || b.remotePrivacy,
    recorded: a.recorded || b.recorded,
    firstSeenAt: Math.min(a.firstSeenAt, b.firstSeenAt),
    continuing: a.continuing || b.continuing || undefined,
    trackingId: a.trackingId ?? b.trackingId,
    watched: a.watched || b.watched || undefined,
  };
}

function legFingerprint(leg: Leg): string {
  return JSON.stringify(leg, Object.keys(leg).sort());
}

function mergeLeg(previous: Leg | undefined, call: XsiCall, type: string, targetId: string | undefined, receivedAt: number, operatorNumber: string | undefined): Leg {
  const leg: Leg = previous ? { ...previous } : { callId: call.callId, released: false, remoteInternal: false, remotePrivacy: false, recorded: false, firstSeenAt: receivedAt };
  leg.firstSeenAt = Math.min(leg.firstSeenAt, receivedAt);
  leg.targetId ??= targetId;
  // The targetId first: a subscription may watch more than one abonent (a whole PBX).
  leg.operatorPhone ??= employeeNumberFromTargetId(targetId) ?? operatorNumber;
  leg.personality ??= call.personality;
  // Times come from outside: one ahead of the event's arrival is taken as the arrival.
  const trusted = (time: number | undefined) => (time === undefined || time <= receivedAt + MAX_CLOCK_AHEAD_MS ? time : receivedAt);
  leg.startTime = minDefined(leg.startTime, trusted(call.startTime));
  leg.releaseTime = maxDefined(leg.releaseTime, trusted(call.releaseTime));
  leg.released ||= type === 'CallReleasedEvent' || call.state === 'Released';
  leg.recorded ||= call.recorded;
  if (CONTINUING_EVENT_TYPES.has(type)) leg.continuing = true;

  const remote = call.remoteParty;
  const remotePhone = remote && (normaliseClientPhone(remote.address) ?? normaliseClientPhone(remote.userDN));
  // While the PBX rings the employee for a click-to-call, the other side is the employee:
  // neither that number nor an answer in that phase (the employee's) is the client's.
  const ringingEmployee = remotePhone !== undefined && leg.operatorPhone !== undefined && remotePhone === `7${leg.operatorPhone}`;
  if (ringingEmployee) leg.remoteSelf = true;
  else leg.answerTime = minDefined(leg.answerTime, trusted(call.answerTime));
  if (remote) {
    if (!ringingEmployee) leg.remotePhone ??= remotePhone;
    leg.remoteInternal ||= remote.callType === 'Group' || remote.userId !== undefined;
    leg.remotePrivacy ||= remote.privacy;
  }
  return leg;
}

/** Legs in the order they were rung. */
export function orderedLegs(state: CallState): Leg[] {
  return Object.values(state.legs).sort((a, b) => (a.startTime ?? a.firstSeenAt) - (b.startTime ?? b.firstSeenAt) || a.firstSeenAt - b.firstSeenAt || a.callId.localeCompare(b.callId));
}

/**
 * A leg that only ever rang the employee: a click-to-call the employee did not accept, or the
 * employee's half of a click-to-call played as two legs. It has no client.
 */
function isSelfLeg(leg: Leg): boolean {
  return leg.remoteSelf === true && leg.remotePhone === undefined;
}

/** Started by click-to-call: a leg rang the employee first (`Click-to-Dial`, or the employee's own number as the other side). */
export function startedByClickToCall(state: CallState): boolean {
  return Object.values(state.legs).some((leg) => leg.remoteSelf === true || leg.personality === 'Click-to-Dial');
}

export function summarise(state: CallState): CallSummary {
  const legs = orderedLegs(state);
  const first = legs[0];
  const direction: Direction = first?.personality === 'Terminator' || first === undefined ? 'Incoming' : 'Outgoing';
  const clientLegs = legs.filter((leg) => !isSelfLeg(leg) && !leg.remoteInternal);
  const clientPhone = clientLegs.find((leg) => leg.remotePhone !== undefined)?.remotePhone;
  const allLegsEnded = legs.length > 0 && legs.every((leg) => leg.released);

  const answeredLegs = clientLegs.filter((leg) => leg.answerTime !== undefined).sort((a, b) => (a.answerTime ?? 0) - (b.answerTime ?? 0));
  // A call picked up or transferred ends with the colleague who took it last: theirs is the follow-up.
  const takers = answeredLegs.filter((leg) => leg.continuing === true && leg.operatorPhone !== undefined);
  const answeringLeg = takers.at(-1) ?? answeredLegs.find((leg) => leg.operatorPhone !== undefined) ?? answeredLegs[0];
  const operatorLeg = answeringLeg ?? legs.find((leg) => leg.operatorPhone !== undefined) ?? first;

  const decided = allLegsEnded ? (isEmployeesCall(state) ? decideOutcome(legs, clientPhone, answeringLeg !== undefined) : 'hidden') : undefined;

  const starts = legs.map((leg) => leg.startTime ?? leg.firstSeenAt);
  const ends = legs.map((leg) => leg.releaseTime).filter((t): t is number => t !== undefined);
  return {
    direction,
    outcome: state.finalized?.outcome ?? 'in_progress',
    decided: state.finalized?.outcome ?? decided,
    fresh: decided,
    clientPhone,
    operatorPhone: operatorLeg?.operatorPhone,
    operatorTargetId: operatorLeg?.targetId,
    operatorTrackingId: operatorLeg?.trackingId ?? state.extTrackingId,
    startedAt: starts.length > 0 ? Math.min(...starts) : state.lastChangeAt,
    endedAt: allLegsEnded && ends.length > 0 ? Math.max(...ends) : undefined,
    allLegsEnded,
    recorded: answeringLeg?.recorded ?? false,
  };
}

/**
 * The call has just become one to report as started (`beeline_call_started`): an employee's
 * call with a client number, not reported yet, not finalized, not a pickup or transfer joined
 * into another call (that one was reported).
 */
export function startsNow(state: CallState, summary: CallSummary): boolean {
  return state.startReported === undefined && state.finalized === undefined && state.continues === undefined && summary.clientPhone !== undefined && isEmployeesCall(state);
}

/**
 * A call seen only through the whole-PBX subscription, with no leg at a configured employee,
 * is not this product's: it has no effects and no place in the call log.
 */
export function isEmployeesCall(state: CallState): boolean {
  return !state.throughWholePbx || Object.values(state.legs).some((leg) => leg.watched === true);
}

function decideOutcome(legs: Leg[], clientPhone: string | undefined, answered: boolean): Exclude<Outcome, 'in_progress'> {
  if (clientPhone === undefined) {
    return legs.some((leg) => leg.remoteInternal) ? 'internal' : 'hidden';
  }
  return answered ? 'answered' : 'missed';
}

/**
 * A finalized call whose legs now tell a different story (an event processed late, e.g. a
 * retried record): its outcome or operator must be amended.
 */
export function needsAmend(state: CallState): boolean {
  const final = state.finalized;
  if (!final) return false;
  const now = summarise(state);
  if (!now.allLegsEnded || now.fresh === undefined) return false;
  return now.fresh !== final.outcome || (final.operatorPhone !== undefined && now.operatorPhone !== final.operatorPhone);
}

/**
 * When the call's outcome may be decided: every leg has ended and no leg changed for the
 * settle period (a sequential hunt group starts its next leg right after the previous ends).
 * Undefined while a leg is still ringing or talking.
 */
export function settleDeadline(state: CallState, settleMs: number): number | undefined {
  const legs = Object.values(state.legs);
  if (legs.length === 0 || !legs.every((leg) => leg.released)) return undefined;
  return state.lastChangeAt + (clearCut(state) ? Math.min(settleMs, CLEAR_CUT_SETTLE_MS) : settleMs);
}

/**
 * A call answered by one employee on its one leg, nothing joined into it or continued: no hunt
 * group rings on after an answer, so only events arriving out of order are waited for. A transfer
 * that shows up later still amends the call (operator and variables; the dialog is told once).
 */
export const CLEAR_CUT_SETTLE_MS = 2_000;

function clearCut(state: CallState): boolean {
  const legs = Object.values(state.legs);
  return legs.length === 1 && legs[0]!.answerTime !== undefined && !legs[0]!.continuing && state.continues === undefined && (state.continuations ?? []).length === 0;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
