/**
 * The simulated Beeline Cloud PBX's model: PBXs and their abonents, event subscriptions,
 * calls being played, events sent (and their delivery results), recordings, call
 * statistics, fault switches, the JSON views of the control routes, and the errors.
 */
import type { ParsedNumber } from './phone.js';
import type { LegPlan, Step } from './scenario.js';
import type { CallEventType } from './xml.js';

// ---------------------------------------------------------------------------------------
// Errors

/** An error of the PBX API: `{errorCode, description}` with an HTTP status. */
export class PbxApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly description: string,
  ) {
    super(`${errorCode}: ${description}`);
  }
}

/** A bad request to a control route (`/_sim/...`): `{error}` with an HTTP status. */
export class SimInputError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// Model

export interface Abonent {
  userId: string;
  /** Absent for a SIP account: its only identities are the userId and the extension. */
  phone?: string;
  firstName?: string;
  lastName?: string;
  extension?: string;
  email?: string;
  department?: string;
  recording: boolean;
}

/** An abonent as `GET abonents` shows it. */
export type AbonentJson = Omit<Abonent, 'recording'>;

/**
 * Where the evidence on the real PBX leaves a point open, the simulated PBX can play each
 * answer; the defaults are the best-supported ones.
 */
export interface PbxBehaviour {
  /** The body of a `POST abonents/{pattern}/call` answer: nothing, a JSON string id, or `{"extTrackingId": …}`. */
  callAnswer: 'empty' | 'text' | 'json';
  /** One leg switching from `Click-to-Dial` (the employee's own number) to `Originator` (the client's), or two legs. */
  clickToCall: 'one-leg' | 'two-legs';
  /** `national`: a Russian `phoneNumber` must be the 10-digit national form; other forms are refused. */
  callNumberFormat: 'national' | 'any';
  /** Whether released events of recorded calls carry `<recorded/>`. */
  recordedElement: 'never' | 'always';
  /** How the other side's number is written: `tel:+7…` in `address`, `sip:+7…@host` in `address`, or only in `userDN`. */
  remoteAddress: 'tel' | 'sip' | 'userDN';
  /** The tracking id of a picked-up or transferred leg: a new one (BroadWorks' schema) or the call's own. */
  continuationTrackingId: 'new' | 'kept';
  /** The `CallSubscriptionEvent` a new single-abonent subscription gets: right after the PUT answered, before it, or none. */
  initialEvent: 'after-answer' | 'before-answer' | 'none';
}

export const DEFAULT_BEHAVIOUR: Readonly<PbxBehaviour> = Object.freeze({
  callAnswer: 'empty',
  clickToCall: 'one-leg',
  callNumberFormat: 'national',
  recordedElement: 'never',
  remoteAddress: 'tel',
  continuationTrackingId: 'new',
  initialEvent: 'after-answer',
});

export interface Pbx {
  token: string;
  pbxId: string;
  customerId: string;
  abonents: Abonent[];
  behaviour: PbxBehaviour;
}

export interface AbonentInput {
  /** Absent = a SIP account (then `userId` defaults to `SIP<random>@ip.beeline.ru`). */
  phone?: string;
  extension?: string;
  firstName?: string;
  lastName?: string;
  recording?: boolean;
  /** Optional: defaults to `<phone>@mpbx.sip.beeline.ru`. */
  userId?: string;
  email?: string;
  department?: string;
}

export interface PbxInput {
  token: string;
  abonents: AbonentInput[];
  behaviour?: Partial<PbxBehaviour>;
}

export interface Subscription {
  subscriptionId: string;
  token: string;
  pattern: string | null;
  /** userId of the monitored abonent; null = the whole PBX. */
  targetUserId: string | null;
  targetType: string;
  targetId: string;
  subscriptionType: string;
  url: string;
  createdAt: number;
  expiresAt: number;
  grantedSeconds: number;
  endedAt?: number;
  endReason?: 'deleted' | 'terminated';
  nextSeq: number;
  /** `MPBX_E_…_EventSubscription@ip.beeline.ru` */
  subscriberUserId: string;
  externalApplicationId: string;
}

export interface ClickToCallConfig {
  ringMs: number;
  talkMs: number;
  employeeAnswers: boolean;
  clientAnswers: boolean;
}

export interface Faults {
  /** Send every event twice (same eventID, same sequenceNumber). */
  duplicateEvents: boolean;
  /** Hold each call's events and deliver them in random order when the call ends. */
  shuffleEvents: boolean;
  /** Deliver none of the events of calls started while this is on. */
  dropEvents: boolean;
  /** Deliver no event of these types for calls started while this is set (e.g. lost releases). */
  dropEventTypes: CallEventType[];
  /** Fail the next N API requests (not `/_sim/`) with 500 InternalError. */
  failApiNext: number;
  /** Delay every API answer by this many ms. */
  apiLatencyMs: number;
  /** Delay between the end of a recorded leg and its recording becoming available. */
  recordDelayMs: number;
  /** Largest subscription lifetime the PBX grants. */
  maxSubscriptionSeconds: number;
  /** Retry failed deliveries (3 more attempts, 100/200/400 ms apart). */
  retryDeliveries: boolean;
  /** Lifetime of the temporary recording links. */
  recordUrlTtlSeconds: number;
  /** Timeout of one webhook delivery. */
  deliveryTimeoutMs: number;
  /** How click-to-call plays. */
  clickToCall: ClickToCallConfig;
}

export type FaultsInput = Partial<Omit<Faults, 'clickToCall'>> & { clickToCall?: Partial<ClickToCallConfig> };

export const DEFAULT_FAULTS: Readonly<Faults> = Object.freeze({
  duplicateEvents: false,
  shuffleEvents: false,
  dropEvents: false,
  dropEventTypes: [],
  failApiNext: 0,
  apiLatencyMs: 0,
  recordDelayMs: 2000,
  maxSubscriptionSeconds: 3600,
  retryDeliveries: false,
  recordUrlTtlSeconds: 600,
  deliveryTimeoutMs: 5000,
  clickToCall: Object.freeze({ ringMs: 50, talkMs: 100, employeeAnswers: true, clientAnswers: true }),
});

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface SentEvent {
  eventID: string;
  type: string;
  sequenceNumber: number;
  subscriptionId: string;
  targetId: string;
  extTrackingId?: string;
  callId?: string;
  url: string;
  xml: string;
  createdAt: string;
  /** Not delivered because of `dropEvents`. */
  dropped: boolean;
  /** Held back by `shuffleEvents` until the call ends. */
  held: boolean;
  /** Sent twice because of `duplicateEvents`. */
  duplicated: boolean;
  deliveries: DeliveryAttempt[];
  /** HTTP status of the last delivery attempt. */
  status?: number;
  /** Error of the last delivery attempt (network error, timeout). */
  error?: string;
}

export type LegState = 'pending' | 'Alerting' | 'Active' | 'Released';

export interface Leg extends LegPlan<Abonent> {
  index: number;
  callId: string;
  /** The tracking id this leg's events carry: the call's, or its own (a picked-up or transferred leg). */
  extTrackingId: string;
  networkCallId: string;
  state: LegState;
  outcome?: 'answered' | 'missed';
  startTime?: number;
  answerTime?: number;
  releaseTime?: number;
}

export interface SimCall {
  extTrackingId: string;
  token: string;
  direction: 'incoming' | 'outgoing';
  source: 'control' | 'click-to-call';
  client: ParsedNumber | null;
  clientName?: string;
  hideNumber: boolean;
  sequential: boolean;
  legs: Leg[];
  steps: Step[];
  state: 'playing' | 'ended';
  t0: number;
  endedAt?: number;
  dropEvents: boolean;
  dropEventTypes: CallEventType[];
  shuffleEvents: boolean;
  events: SentEvent[];
  held: { ev: SentEvent; sub: Subscription }[];
  pending: Set<Promise<void>>;
  settled: boolean;
  done: Promise<void>;
  resolveDone: () => void;
  recordingIds: string[];
}

export interface Recording {
  id: string;
  token: string;
  externalId: string;
  userId: string;
  abonent: Abonent;
  phone?: string;
  direction: 'INBOUND' | 'OUTBOUND';
  date: number;
  duration: number;
  availableAt: number;
  bytes: Buffer;
}

export interface StatRow {
  token: string;
  userId: string;
  startDate: number;
  abonent: Abonent;
  direction: 'INBOUND' | 'OUTBOUND';
  status: 'MISSED' | 'RECIEVED' | 'PLACED';
  /** Talk time of an answered leg; ringing time of a missed one (as the real PBX reports). */
  duration: number;
  phone_from?: string;
  phone_to?: string;
  externalTrackingId: string;
}

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body?: unknown;
  status?: number;
  durationMs?: number;
}

export interface PlayCallInput {
  token: string;
  direction: 'incoming' | 'outgoing';
  client?: string;
  clientName?: string;
  legs: { abonent: string; answer: boolean; ringMs?: number; talkMs?: number }[];
  sequential?: boolean;
  hideNumber?: boolean;
}

// ---------------------------------------------------------------------------------------
// Views (JSON shapes of the control routes)

export interface SubscriptionView {
  subscriptionId: string;
  token: string;
  pattern: string | null;
  url: string;
  expiresAt: string;
  targetId: string;
  subscriptionType: string;
}

export interface LegView {
  index: number;
  abonent: string;
  /** Absent for a SIP account. */
  phone?: string;
  callId: string;
  extTrackingId: string;
  continuation?: 'pickup' | 'transfer';
  personality: string;
  answer: boolean;
  ringMs: number;
  talkMs: number;
  state: LegState;
  outcome: 'answered' | 'missed' | 'not-started' | 'pending';
  startTime?: number;
  answerTime?: number;
  releaseTime?: number;
  recorded: boolean;
}

export interface CallView {
  extTrackingId: string;
  token: string;
  direction: 'incoming' | 'outgoing';
  source: 'control' | 'click-to-call';
  client: string | null;
  clientAddress: string | null;
  hideNumber: boolean;
  sequential: boolean;
  state: 'playing' | 'ended';
  /** True once the call has ended and every delivery attempt has finished. */
  settled: boolean;
  startedAt: string;
  endedAt?: string;
  faults: { dropEvents: boolean; shuffleEvents: boolean };
  legs: LegView[];
  events: SentEvent[];
  recordings: { id: string; userId: string; availableAt: string; available: boolean }[];
}

// ---------------------------------------------------------------------------------------
// State shared by the collaborators of PbxSimState

/** Longest timer the simulator sets (longer waits are capped). */
export const MAX_TIMER_MS = 24 * 3600 * 1000;

/** The maps and logs PbxSimState owns, as its collaborators read and fill them. */
export interface SimData {
  /** Replaced as a whole by `POST /_sim/faults`: read it at the time of use. */
  readonly faults: Faults;
  readonly pbxs: Map<string, Pbx>;
  readonly subscriptions: Map<string, Subscription>;
  readonly calls: Map<string, SimCall>;
  readonly recordings: Map<string, Recording>;
  readonly stats: StatRow[];
  readonly eventLog: SentEvent[];
  readonly signedUrls: Map<string, { recordId: string; expMs: number }>;
}
