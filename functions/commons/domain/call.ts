/**
 * The call aggregate: all legs (callIds) of one business call (one extTrackingId), merged
 * from Xsi events that may arrive duplicated, out of order and through several employees'
 * subscriptions. Pure functions over plain data, so the processor can store the state as one
 * item and retry with optimistic concurrency.
 */
import { employeeNumberFromTargetId, normaliseClientPhone } from './phone';
import type { XsiCall, XsiEvent } from './xsi-event';

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
}

export type ApplyResult =
  | { kind: 'duplicate'; state: CallState }
  | { kind: 'applied'; state: CallState };

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
export function applyEvent(state: CallState, { event, receivedAt, operatorNumber }: IncomingEvent): ApplyResult {
  const eventId = event.envelope.eventId;
  if (state.seenEventIds.includes(eventId)) return { kind: 'duplicate', state };
  const next: CallState = { ...state, legs: { ...state.legs }, seenEventIds: [...state.seenEventIds, eventId] };

  if (event.kind !== 'call') {
    next.otherEvents = [...state.otherEvents, { eventId, type: event.kind === 'ignored' ? event.type : event.kind }];
    return { kind: 'applied', state: next };
  }
  const call = event.call;
  const previous = state.legs[call.callId];
  next.legs[call.callId] = mergeLeg(previous, call, event.type, event.envelope.targetId, receivedAt, operatorNumber);
  next.lastChangeAt = Math.max(state.lastChangeAt, receivedAt);
  return { kind: 'applied', state: next };
}

function mergeLeg(
  previous: Leg | undefined,
  call: XsiCall,
  type: string,
  targetId: string | undefined,
  receivedAt: number,
  operatorNumber: string | undefined,
): Leg {
  const leg: Leg = previous
    ? { ...previous }
    : { callId: call.callId, released: false, remoteInternal: false, remotePrivacy: false, recorded: false, firstSeenAt: receivedAt };
  leg.firstSeenAt = Math.min(leg.firstSeenAt, receivedAt);
  leg.targetId ??= targetId;
  // The targetId first: a subscription may watch more than one abonent (a whole PBX).
  leg.operatorPhone ??= employeeNumberFromTargetId(targetId) ?? operatorNumber;
  leg.personality ??= call.personality;
  leg.startTime = minDefined(leg.startTime, call.startTime);
  leg.releaseTime = maxDefined(leg.releaseTime, call.releaseTime);
  leg.released ||= type === 'CallReleasedEvent' || call.state === 'Released';
  leg.recorded ||= call.recorded;

  const remote = call.remoteParty;
  const remotePhone = remote && (normaliseClientPhone(remote.address) ?? normaliseClientPhone(remote.userDN));
  // While the PBX rings the employee for a click-to-call, the other side is the employee:
  // neither that number nor an answer in that phase (the employee's) is the client's.
  const ringingEmployee = remotePhone !== undefined && leg.operatorPhone !== undefined && remotePhone === `7${leg.operatorPhone}`;
  if (ringingEmployee) leg.remoteSelf = true;
  else leg.answerTime = minDefined(leg.answerTime, call.answerTime);
  if (remote) {
    if (!ringingEmployee) leg.remotePhone ??= remotePhone;
    leg.remoteInternal ||= remote.callType === 'Group' || remote.userId !== undefined;
    leg.remotePrivacy ||= remote.privacy;
  }
  return leg;
}

/** Legs in the order they were rung. */
export function orderedLegs(state: CallState): Leg[] {
  return Object.values(state.legs).sort(
    (a, b) =>
      (a.startTime ?? a.firstSeenAt) - (b.startTime ?? b.firstSeenAt) ||
      a.firstSeenAt - b.firstSeenAt ||
      a.callId.localeCompare(b.callId),
  );
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

  const answeredLegs = clientLegs
    .filter((leg) => leg.answerTime !== undefined)
    .sort((a, b) => (a.answerTime ?? 0) - (b.answerTime ?? 0));
  const answeringLeg = answeredLegs.find((leg) => leg.operatorPhone !== undefined) ?? answeredLegs[0];
  const operatorLeg = answeringLeg ?? legs.find((leg) => leg.operatorPhone !== undefined) ?? first;

  const decided = allLegsEnded ? decideOutcome(legs, clientPhone, answeringLeg !== undefined) : undefined;

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
    startedAt: starts.length > 0 ? Math.min(...starts) : state.lastChangeAt,
    endedAt: allLegsEnded && ends.length > 0 ? Math.max(...ends) : undefined,
    allLegsEnded,
    recorded: answeringLeg?.recorded ?? false,
  };
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
  return state.lastChangeAt + settleMs;
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
