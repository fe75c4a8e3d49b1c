/**
 * Typed form of a Beeline (BroadWorks Xsi-Events) webhook body.
 * The parser lives in ./xsi-parser.ts; this module holds only the types shared by
 * the ingest function (which parses) and the processor (which consumes the JSON form).
 */

/** Event types whose `call` element changes the state of a call leg. */
export const CALL_EVENT_TYPES = [
  'CallReceivedEvent',
  'CallOriginatedEvent',
  'CallOriginatingEvent',
  'CallAnsweredEvent',
  'CallUpdatedEvent',
  'CallRedirectedEvent',
  'CallForwardedEvent',
  'CallPickedUpEvent',
  'CallTransferredEvent',
  'CallHeldEvent',
  'CallRetrievedEvent',
  'CallReleasingEvent',
  'CallReleasedEvent',
] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

/**
 * Event types with which a leg takes over a call already in progress under a new tracking id:
 * a colleague picked up a call ringing elsewhere, or a call was transferred to this employee.
 */
export const CONTINUING_EVENT_TYPES: ReadonlySet<string> = new Set<CallEventType>(['CallPickedUpEvent', 'CallTransferredEvent']);

/** At most this many `call` elements of one event's `calls` list are read. */
export const MAX_CALLS_PER_EVENT = 16;
/** Bounds of what an event may carry (longer is refused at the webhook): ids, other text, lists, times. */
export const MAX_ID_CHARS = 128;
export const MAX_TEXT_CHARS = 512;
export const MAX_REDIRECTIONS = 16;
export const MAX_EPOCH_MS = Date.UTC(2100, 0, 1);

export interface XsiEnvelope {
  /** UUID unique per event: the de-duplication key. */
  eventId: string;
  sequenceNumber?: number;
  /** The PBX's internal subscriber id, not the employee. */
  userId?: string;
  externalApplicationId?: string;
  subscriptionId?: string;
  /** The monitored abonent, e.g. `9001234567@mpbx.sip.beeline.ru`. */
  targetId?: string;
  /** Local name of `eventData/@type` without prefix, e.g. `CallReceivedEvent`. */
  eventType: string;
}

export interface XsiRemoteParty {
  name?: string;
  /** e.g. `tel:+79161234567` */
  address?: string;
  /** `address/@countryCode`, e.g. `7` */
  countryCode?: string;
  userDN?: string;
  /** Present when the other side is a colleague. */
  userId?: string;
  /** `Network` (external) or `Group` (colleague). */
  callType?: string;
  /** `<privacy/>` present: the number is hidden. */
  privacy: boolean;
}

export interface XsiRedirection {
  address?: string;
  userId?: string;
  userDN?: string;
  callType?: string;
  reason?: string;
}

export interface XsiCall {
  /** One leg at one target, e.g. `callhalf-8322939:0`. */
  callId: string;
  /** Shared by all legs of one business call. */
  extTrackingId: string;
  networkCallId?: string;
  /** `Terminator` | `Originator` | `Click-to-Dial` (other values kept as sent). */
  personality?: string;
  /** `Alerting` | `Active` | `Held` | `Released` (other values kept as sent). */
  state?: string;
  remoteParty?: XsiRemoteParty;
  endpointAddressOfRecord?: string;
  releasingParty?: string;
  internalReleaseCause?: string;
  redirections: XsiRedirection[];
  /** `acdCallInfo` element present (call-centre call). */
  acdCall: boolean;
  huntGroupUserId?: string;
  /** Epoch milliseconds. */
  startTime?: number;
  answerTime?: number;
  releaseTime?: number;
  /** `recorded` element present. */
  recorded: boolean;
  recordingState?: string;
}

export type XsiEvent =
  /**
   * A call event of a known type with a usable `call` element. `otherCalls`: the further
   * elements of a `calls` list (CallRedirectedEvent holds a list rather than one `call`).
   */
  | { kind: 'call'; envelope: XsiEnvelope; type: CallEventType; call: XsiCall; otherCalls?: XsiCall[] }
  /** The PBX ended the subscription: re-subscribe. */
  | { kind: 'subscriptionTerminated'; envelope: XsiEnvelope }
  /**
   * Anything else (HookStatusEvent, recording events, unknown types): accepted and kept,
   * never a failure. `call` is kept when one was present and parseable.
   */
  | { kind: 'ignored'; envelope: XsiEnvelope; type: string; call?: XsiCall };

export type ParseResult = { ok: true; event: XsiEvent } | { ok: false; error: string };
