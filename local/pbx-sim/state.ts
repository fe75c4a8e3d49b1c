/**
 * The simulated Beeline Cloud PBX: PBXs and their abonents, event subscriptions, calls
 * being played, events sent (and their delivery results), recordings, call statistics and
 * fault switches. Independent of HTTP: server.ts maps routes onto this.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { postXml } from './delivery.js';
import { normaliseAbonentPhone, parsePhoneNumber, type ParsedNumber } from './phone.js';
import { fakeMp3 } from './recordings.js';
import { planClickToCall, planClickToCallOneLeg, planIncoming, planOutgoing, type LegPlan, type Step } from './scenario.js';
import {
  buildCallEventXml,
  buildSubscriptionTerminatedXml,
  CALL_EVENT_TYPE_NAMES,
  type CallEventType,
  type CallFields,
  type EventEnvelope,
  type RemotePartyFields,
} from './xml.js';

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
export interface AbonentJson {
  userId: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  extension?: string;
  email?: string;
  department?: string;
}

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
}

/** The other side's number as the PBX writes it under `remoteAddress`. */
function remoteNumber(remote: ParsedNumber, name: string | undefined, form: PbxBehaviour['remoteAddress']): RemotePartyFields {
  if (form === 'userDN') return { name, userDN: remote.telUri, callType: 'Network' };
  const uri = form === 'sip' ? `sip:+${remote.international}@mpbx.sip.beeline.ru` : remote.telUri;
  return { name, address: { uri, countryCode: remote.countryCode }, callType: 'Network' };
}

export const DEFAULT_BEHAVIOUR: Readonly<PbxBehaviour> = Object.freeze({
  callAnswer: 'empty',
  clickToCall: 'one-leg',
  callNumberFormat: 'national',
  recordedElement: 'never',
  remoteAddress: 'tel',
});

const BEHAVIOUR_CHOICES: { [K in keyof PbxBehaviour]: readonly PbxBehaviour[K][] } = {
  callAnswer: ['empty', 'text', 'json'],
  clickToCall: ['one-leg', 'two-legs'],
  callNumberFormat: ['national', 'any'],
  recordedElement: ['never', 'always'],
  remoteAddress: ['tel', 'sip', 'userDN'],
};

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

const ABONENT_DOMAIN = 'mpbx.sip.beeline.ru';
const MAX_EVENT_LOG = 10_000;
const MAX_REQUEST_LOG = 2_000;
const MAX_TIMER_MS = 24 * 3600 * 1000;

function isNonNegInt(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw new SimInputError(`${field} must be a string`);
  return v;
}

export function assertKnownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new SimInputError(`unknown field "${k}" in ${where}`);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Parses the faults body; throws SimInputError on bad values. `{}` = all defaults. */
export function parseFaults(body: unknown): Faults {
  if (!isPlainObject(body)) throw new SimInputError('faults body must be a JSON object');
  assertKnownKeys(
    body,
    [
      'duplicateEvents',
      'shuffleEvents',
      'dropEvents',
      'dropEventTypes',
      'failApiNext',
      'apiLatencyMs',
      'recordDelayMs',
      'maxSubscriptionSeconds',
      'retryDeliveries',
      'recordUrlTtlSeconds',
      'deliveryTimeoutMs',
      'clickToCall',
    ],
    'faults',
  );
  const f: Faults = { ...DEFAULT_FAULTS, clickToCall: { ...DEFAULT_FAULTS.clickToCall } };
  for (const k of ['duplicateEvents', 'shuffleEvents', 'dropEvents', 'retryDeliveries'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new SimInputError(`${k} must be a boolean`);
    f[k] = v;
  }
  if (body.dropEventTypes !== undefined) {
    const types = body.dropEventTypes;
    if (!Array.isArray(types) || !types.every((t): t is CallEventType => typeof t === 'string' && (CALL_EVENT_TYPE_NAMES as readonly string[]).includes(t))) {
      throw new SimInputError(`dropEventTypes must be a list of ${CALL_EVENT_TYPE_NAMES.join(', ')}`);
    }
    f.dropEventTypes = [...types];
  }
  const ints: [keyof Faults & string, number, number][] = [
    ['failApiNext', 0, 1_000_000],
    ['apiLatencyMs', 0, 600_000],
    ['recordDelayMs', 0, MAX_TIMER_MS],
    ['maxSubscriptionSeconds', 1, 10 * 365 * 86400],
    ['recordUrlTtlSeconds', 1, 10 * 365 * 86400],
    ['deliveryTimeoutMs', 1, 600_000],
  ];
  for (const [k, min, max] of ints) {
    const v = body[k];
    if (v === undefined) continue;
    if (!isNonNegInt(v, max) || v < min) throw new SimInputError(`${k} must be an integer between ${min} and ${max}`);
    (f as unknown as Record<string, number>)[k] = v;
  }
  const c = body.clickToCall;
  if (c !== undefined) {
    if (!isPlainObject(c)) throw new SimInputError('clickToCall must be an object');
    assertKnownKeys(c, ['ringMs', 'talkMs', 'employeeAnswers', 'clientAnswers'], 'clickToCall');
    for (const k of ['ringMs', 'talkMs'] as const) {
      const v = c[k];
      if (v === undefined) continue;
      if (!isNonNegInt(v, MAX_TIMER_MS)) throw new SimInputError(`clickToCall.${k} must be a non-negative integer`);
      f.clickToCall[k] = v;
    }
    for (const k of ['employeeAnswers', 'clientAnswers'] as const) {
      const v = c[k];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') throw new SimInputError(`clickToCall.${k} must be a boolean`);
      f.clickToCall[k] = v;
    }
  }
  return f;
}

export function abonentJson(a: Abonent): AbonentJson {
  const out: AbonentJson = { userId: a.userId };
  if (a.phone !== undefined) out.phone = a.phone;
  if (a.firstName !== undefined) out.firstName = a.firstName;
  if (a.lastName !== undefined) out.lastName = a.lastName;
  if (a.extension !== undefined) out.extension = a.extension;
  if (a.email !== undefined) out.email = a.email;
  if (a.department !== undefined) out.department = a.department;
  return out;
}

export class PbxSimState {
  faults: Faults = parseFaults({});
  readonly pbxs = new Map<string, Pbx>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly calls = new Map<string, SimCall>();
  readonly recordings = new Map<string, Recording>();
  readonly stats: StatRow[] = [];
  readonly eventLog: SentEvent[] = [];
  readonly requestLog: RequestLogEntry[] = [];
  readonly signedUrls = new Map<string, { recordId: string; expMs: number }>();

  private pbxCounter = 0;
  private callHalfCounter = 5_500_000 + Math.floor(Math.random() * 400_000);
  private recordCounter = 1_000_000;
  private subscriptionChains = new Map<string, Promise<void>>();
  private abort = PbxSimState.newAbortController();
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** Every timer and delivery listens on this signal: no listener limit. */
  private static newAbortController(): AbortController {
    const ac = new AbortController();
    setMaxListeners(0, ac.signal);
    return ac;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Forgets subscriptions, calls, events, recordings, statistics, the request log and the
   * faults; keeps the PBXs. Calls being played stop. */
  reset(): void {
    this.abort.abort();
    this.abort = PbxSimState.newAbortController();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const call of this.calls.values()) this.finishSettle(call);
    this.subscriptions.clear();
    this.subscriptionChains.clear();
    this.calls.clear();
    this.recordings.clear();
    this.stats.length = 0;
    this.eventLog.length = 0;
    this.requestLog.length = 0;
    this.signedUrls.clear();
    this.faults = parseFaults({});
  }

  /** Stops everything: timers, calls being played, deliveries in flight. */
  close(): void {
    this.closed = true;
    this.reset();
  }

  private sleep(ms: number): Promise<boolean> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(t);
        this.timers.delete(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        this.timers.delete(t);
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, Math.min(ms, MAX_TIMER_MS));
      this.timers.add(t);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---------------------------------------------------------------- PBXs and abonents

  addPbx(input: unknown): Pbx {
    if (!isPlainObject(input)) throw new SimInputError('body must be a JSON object {token, abonents}');
    assertKnownKeys(input, ['token', 'abonents', 'behaviour'], 'pbx');
    const behaviour: PbxBehaviour = { ...DEFAULT_BEHAVIOUR };
    if (input.behaviour !== undefined) {
      if (!isPlainObject(input.behaviour)) throw new SimInputError('behaviour must be an object');
      assertKnownKeys(input.behaviour, Object.keys(BEHAVIOUR_CHOICES), 'behaviour');
      for (const [key, choices] of Object.entries(BEHAVIOUR_CHOICES) as [keyof PbxBehaviour, readonly string[]][]) {
        const value = input.behaviour[key];
        if (value === undefined) continue;
        if (typeof value !== 'string' || !choices.includes(value)) throw new SimInputError(`behaviour.${key} must be one of ${choices.join(', ')}`);
        (behaviour as unknown as Record<string, string>)[key] = value;
      }
    }
    const token = input.token;
    if (typeof token !== 'string' || token.trim() === '') throw new SimInputError('token must be a non-empty string');
    if (!Array.isArray(input.abonents)) throw new SimInputError('abonents must be an array');
    const abonents: Abonent[] = [];
    input.abonents.forEach((raw: unknown, i: number) => {
      const where = `abonents[${i}]`;
      if (!isPlainObject(raw)) throw new SimInputError(`${where} must be an object`);
      assertKnownKeys(
        raw,
        ['phone', 'extension', 'firstName', 'lastName', 'recording', 'userId', 'email', 'department'],
        where,
      );
      const phoneRaw = optionalString(raw.phone, `${where}.phone`);
      const phone = phoneRaw === undefined || phoneRaw === '' ? undefined : normaliseAbonentPhone(phoneRaw);
      if (phone === null) throw new SimInputError(`${where}.phone is not a phone number: ${phoneRaw}`);
      if (raw.recording !== undefined && typeof raw.recording !== 'boolean') {
        throw new SimInputError(`${where}.recording must be a boolean`);
      }
      const a: Abonent = {
        userId: optionalString(raw.userId, `${where}.userId`) ?? (phone ? `${phone}@${ABONENT_DOMAIN}` : `SIP${randomUUID().replace(/-/g, '').slice(0, 11).toUpperCase()}@ip.beeline.ru`),
        recording: raw.recording === true,
      };
      if (phone) a.phone = phone;
      const ext = optionalString(raw.extension, `${where}.extension`);
      if (ext !== undefined) a.extension = ext;
      const fn = optionalString(raw.firstName, `${where}.firstName`);
      if (fn !== undefined) a.firstName = fn;
      const ln = optionalString(raw.lastName, `${where}.lastName`);
      if (ln !== undefined) a.lastName = ln;
      const em = optionalString(raw.email, `${where}.email`);
      if (em !== undefined) a.email = em;
      const dep = optionalString(raw.department, `${where}.department`);
      if (dep !== undefined) a.department = dep;
      for (const other of abonents) {
        if (a.phone !== undefined && other.phone === a.phone) throw new SimInputError(`duplicate abonent phone ${a.phone}`);
        if (other.userId.toLowerCase() === a.userId.toLowerCase()) throw new SimInputError(`duplicate userId ${a.userId}`);
        if (a.extension !== undefined && other.extension === a.extension) {
          throw new SimInputError(`duplicate extension ${a.extension}`);
        }
      }
      abonents.push(a);
    });
    const existing = this.pbxs.get(token);
    let pbx: Pbx;
    if (existing) {
      existing.abonents = abonents;
      existing.behaviour = behaviour;
      pbx = existing;
    } else {
      this.pbxCounter++;
      pbx = {
        token,
        pbxId: String(100_200 + this.pbxCounter),
        customerId: `770000${String(this.pbxCounter).padStart(5, '0')}`,
        abonents,
        behaviour,
      };
      this.pbxs.set(token, pbx);
    }
    this.log(`pbx-sim: PBX ${existing ? 'replaced' : 'added'} with ${abonents.length} abonent(s)`);
    return pbx;
  }

  /** Abonent by pattern: userId (case-insensitive), 10-digit phone or extension. With
   * `lenient` (control routes) any phone format is accepted too. */
  findAbonent(pbx: Pbx, pattern: string, lenient = false): Abonent | undefined {
    const p = pattern.trim();
    const lower = p.toLowerCase();
    const byExact =
      pbx.abonents.find((a) => a.userId.toLowerCase() === lower) ??
      pbx.abonents.find((a) => a.phone === p) ??
      pbx.abonents.find((a) => a.extension !== undefined && a.extension === p);
    if (byExact || !lenient) return byExact;
    const norm = normaliseAbonentPhone(p);
    return norm ? pbx.abonents.find((a) => a.phone === norm) : undefined;
  }

  requireAbonent(pbx: Pbx, pattern: string): Abonent {
    const a = this.findAbonent(pbx, pattern);
    if (!a) throw new PbxApiError(404, 'AbonentNotFound', `Абонент не найден: ${pattern}`);
    return a;
  }

  // ---------------------------------------------------------------- subscriptions

  isLive(sub: Subscription, now = Date.now()): boolean {
    return sub.endedAt === undefined && sub.expiresAt > now;
  }

  createSubscription(pbx: Pbx, body: unknown): { subscriptionId: string; expires: number } {
    if (!isPlainObject(body)) throw new PbxApiError(400, 'BadRequest', 'Тело запроса должно быть JSON-объектом');
    let expires: number;
    const e = body.expires;
    if (typeof e === 'number' && Number.isInteger(e) && e > 0) expires = e;
    else if (typeof e === 'string' && /^\d+$/.test(e) && Number(e) > 0) expires = Number(e);
    else throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра expires');
    const type = body.subscriptionType;
    if (type !== 'BASIC_CALL' && type !== 'ADVANCED_CALL') {
      throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра subscriptionType');
    }
    const url = body.url;
    let parsedUrl: URL | null = null;
    if (typeof url === 'string') {
      try {
        parsedUrl = new URL(url);
      } catch {
        parsedUrl = null;
      }
    }
    if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')) {
      throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра url');
    }
    let target: Abonent | null = null;
    const pattern = body.pattern;
    if (pattern !== undefined && pattern !== null && pattern !== '') {
      if (typeof pattern !== 'string') throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра pattern');
      target = this.requireAbonent(pbx, pattern);
    }
    const granted = Math.min(expires, this.faults.maxSubscriptionSeconds);
    const now = Date.now();
    const sub: Subscription = {
      subscriptionId: randomUUID(),
      token: pbx.token,
      pattern: target ? (pattern as string) : null,
      targetUserId: target ? target.userId : null,
      targetType: target ? 'User' : 'Enterprise',
      targetId: target ? target.userId : `MPBX_${pbx.pbxId}@ip.beeline.ru`,
      subscriptionType: type,
      url: url as string,
      createdAt: now,
      expiresAt: now + granted * 1000,
      grantedSeconds: granted,
      nextSeq: 1,
      subscriberUserId: `MPBX_E_${pbx.pbxId}_${pbx.customerId}_EventSubscription@ip.beeline.ru`,
      externalApplicationId: `${pbx.customerId}_${randomBytes(16).toString('hex')}`,
    };
    this.subscriptions.set(sub.subscriptionId, sub);
    this.log(`pbx-sim: subscription ${sub.subscriptionId} for ${sub.targetId} (${granted}s) → ${sub.url}`);
    return { subscriptionId: sub.subscriptionId, expires: granted };
  }

  private liveSubscriptionOf(pbx: Pbx, id: string): Subscription | undefined {
    const sub = this.subscriptions.get(id);
    if (!sub || sub.token !== pbx.token || !this.isLive(sub)) return undefined;
    return sub;
  }

  getSubscription(pbx: Pbx, id: string | null): Record<string, unknown> {
    if (!id) throw new PbxApiError(400, 'BadRequest', 'Не указан параметр subscriptionId');
    const sub = this.liveSubscriptionOf(pbx, id);
    if (!sub) throw new PbxApiError(404, 'GetSubscriptionInfoError', `Подписка ${id} не найдена`);
    return {
      subscriptionId: sub.subscriptionId,
      targetType: sub.targetType,
      targetId: sub.targetId,
      subscriptionType: sub.subscriptionType,
      expires: Math.max(0, Math.ceil((sub.expiresAt - Date.now()) / 1000)),
      url: sub.url,
    };
  }

  deleteSubscription(pbx: Pbx, id: string | null): void {
    if (!id) throw new PbxApiError(400, 'BadRequest', 'Не указан параметр subscriptionId');
    const sub = this.liveSubscriptionOf(pbx, id);
    if (!sub) throw new PbxApiError(404, 'DeleteSubscriptionError', `Подписка ${id} не найдена`);
    sub.endedAt = Date.now();
    sub.endReason = 'deleted';
    this.log(`pbx-sim: subscription ${id} deleted`);
  }

  listLiveSubscriptions(): SubscriptionView[] {
    const now = Date.now();
    return [...this.subscriptions.values()]
      .filter((s) => this.isLive(s, now))
      .map((s) => ({
        subscriptionId: s.subscriptionId,
        token: s.token,
        pattern: s.pattern,
        url: s.url,
        expiresAt: new Date(s.expiresAt).toISOString(),
        targetId: s.targetId,
        subscriptionType: s.subscriptionType,
      }));
  }

  /** Ends a live subscription and sends it a SubscriptionTerminatedEvent; resolves when the
   * delivery attempt(s) finished. */
  async terminateSubscription(id: string): Promise<SentEvent> {
    const sub = this.subscriptions.get(id);
    if (!sub || !this.isLive(sub)) throw new SimInputError(`no live subscription ${id}`, 404);
    sub.endedAt = Date.now();
    sub.endReason = 'terminated';
    const env = this.nextEnvelope(sub, sub.targetId);
    const ev = this.newEvent(sub, env, 'SubscriptionTerminatedEvent', buildSubscriptionTerminatedXml(env));
    this.log(`pbx-sim: subscription ${id} terminated`);
    if (this.faults.dropEvents) {
      ev.dropped = true;
      return ev;
    }
    await this.dispatch(ev, sub);
    return ev;
  }

  /** Live subscriptions that receive the events of a leg at this abonent. */
  private subscriptionsFor(token: string, userId: string): Subscription[] {
    const now = Date.now();
    return [...this.subscriptions.values()].filter(
      (s) => s.token === token && this.isLive(s, now) && (s.targetUserId === null || s.targetUserId === userId),
    );
  }

  // ---------------------------------------------------------------- events

  private nextEnvelope(sub: Subscription, targetId: string): EventEnvelope {
    return {
      eventID: randomUUID(),
      sequenceNumber: sub.nextSeq++,
      userId: sub.subscriberUserId,
      externalApplicationId: sub.externalApplicationId,
      subscriptionId: sub.subscriptionId,
      httpContactUri: sub.url,
      targetId,
    };
  }

  private newEvent(sub: Subscription, env: EventEnvelope, type: string, xml: string, call?: SimCall, leg?: Leg): SentEvent {
    const ev: SentEvent = {
      eventID: env.eventID,
      type,
      sequenceNumber: env.sequenceNumber,
      subscriptionId: sub.subscriptionId,
      targetId: env.targetId,
      url: sub.url,
      xml,
      createdAt: new Date().toISOString(),
      dropped: false,
      held: false,
      duplicated: false,
      deliveries: [],
    };
    if (call) ev.extTrackingId = call.extTrackingId;
    if (leg) ev.callId = leg.callId;
    this.eventLog.push(ev);
    if (this.eventLog.length > MAX_EVENT_LOG) this.eventLog.splice(0, this.eventLog.length - MAX_EVENT_LOG);
    return ev;
  }

  /** Queues the delivery of an event on its subscription's chain (events of one
   * subscription are delivered one after another, in order). */
  private dispatch(ev: SentEvent, sub: Subscription, call?: SimCall): Promise<void> {
    const copies = this.faults.duplicateEvents ? 2 : 1;
    ev.duplicated = copies > 1;
    const prev = this.subscriptionChains.get(sub.subscriptionId) ?? Promise.resolve();
    const p = prev.then(async () => {
      for (let i = 0; i < copies; i++) await this.deliver(ev);
    });
    this.subscriptionChains.set(sub.subscriptionId, p);
    if (call) {
      call.pending.add(p);
      void p.then(() => call.pending.delete(p));
    }
    return p;
  }

  private async deliver(ev: SentEvent): Promise<void> {
    const signal = this.abort.signal;
    const maxAttempts = this.faults.retryDeliveries ? 4 : 1;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (signal.aborted) return;
      const at = new Date().toISOString();
      const r = await postXml(ev.url, ev.xml, { timeoutMs: this.faults.deliveryTimeoutMs, signal });
      const rec: DeliveryAttempt = { attempt, at, durationMs: r.durationMs };
      if (r.status !== undefined) rec.status = r.status;
      if (r.error !== undefined) rec.error = r.error;
      ev.deliveries.push(rec);
      ev.status = r.status;
      ev.error = r.error;
      if (ev.status === undefined) delete ev.status;
      if (ev.error === undefined) delete ev.error;
      this.log(
        `pbx-sim: event ${ev.type} #${ev.sequenceNumber} ${ev.callId ?? ''} → ${ev.url} ${r.status ?? r.error ?? ''}`,
      );
      const ok = r.status !== undefined && r.status >= 200 && r.status < 300;
      if (ok || attempt === maxAttempts) return;
      if (!(await this.sleep(100 * 2 ** (attempt - 1)))) return;
    }
  }

  private callFields(call: SimCall, leg: Leg, type: CallEventType): CallFields {
    const released = type === 'CallReleasedEvent';
    const answered = leg.answerTime !== undefined;
    const state = released ? 'Released' : type === 'CallAnsweredEvent' ? 'Active' : 'Alerting';
    // Like the real PBX: a missed incoming leg's released event carries no address.
    const bareRemote = released && !answered && leg.personality === 'Terminator';
    const fields: CallFields = {
      callId: leg.callId,
      extTrackingId: call.extTrackingId,
      personality: leg.personality,
      state,
      remoteParty: bareRemote
        ? { privacy: leg.hidden, callType: 'Network' }
        : leg.hidden || !leg.remote
          ? { privacy: true, callType: 'Network' }
          : remoteNumber(leg.remote, leg.remoteName, this.pbxs.get(call.token)?.behaviour.remoteAddress ?? DEFAULT_BEHAVIOUR.remoteAddress),
      startTime: leg.startTime ?? Date.now(),
    };
    // Answered incoming legs carry networkCallId/endpoint/appearance (as in the captured
    // samples); missed and outgoing legs do not.
    if (leg.personality === 'Terminator' && leg.willAnswer) {
      fields.networkCallId = leg.networkCallId;
      fields.endpointAddressOfRecord = leg.abonent.userId;
      fields.appearance = 1;
    }
    if (released) {
      fields.releasingParty = leg.releasingParty;
      if (!answered) fields.internalReleaseCause = leg.missedCause;
      fields.releaseTime = leg.releaseTime;
    }
    if (answered && (type === 'CallAnsweredEvent' || released)) fields.answerTime = leg.answerTime;
    const recordedElement = this.pbxs.get(call.token)?.behaviour.recordedElement ?? DEFAULT_BEHAVIOUR.recordedElement;
    if (released && answered && leg.recordable && leg.abonent.recording && recordedElement === 'always') fields.recorded = true;
    return fields;
  }

  private emitLegEvent(call: SimCall, leg: Leg, type: CallEventType): void {
    const fields = this.callFields(call, leg, type);
    for (const sub of this.subscriptionsFor(call.token, leg.abonent.userId)) {
      const env = this.nextEnvelope(sub, leg.abonent.userId);
      const ev = this.newEvent(sub, env, type, buildCallEventXml(env, type, fields), call, leg);
      call.events.push(ev);
      if (call.dropEvents || call.dropEventTypes.includes(type)) {
        ev.dropped = true;
      } else if (call.shuffleEvents) {
        ev.held = true;
        call.held.push({ ev, sub });
      } else {
        void this.dispatch(ev, sub, call);
      }
    }
  }

  // ---------------------------------------------------------------- calls

  private newCall(
    pbx: Pbx,
    base: Pick<SimCall, 'direction' | 'source' | 'client' | 'clientName' | 'hideNumber' | 'sequential'>,
    plan: { legs: LegPlan<Abonent>[]; steps: Step[] },
    extTrackingId: string = randomUUID(),
  ): SimCall {
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const call: SimCall = {
      ...base,
      extTrackingId,
      token: pbx.token,
      legs: plan.legs.map((p, index) => ({
        ...p,
        index,
        callId: `callhalf-${++this.callHalfCounter}:0`,
        networkCallId: `BW${Date.now()}${Math.floor(Math.random() * 1e6)}@10.0.0.1`,
        state: 'pending' as const,
      })),
      steps: plan.steps,
      state: 'playing',
      t0: Date.now(),
      dropEvents: this.faults.dropEvents,
      dropEventTypes: [...this.faults.dropEventTypes],
      shuffleEvents: this.faults.shuffleEvents,
      events: [],
      held: [],
      pending: new Set(),
      settled: false,
      done,
      resolveDone,
      recordingIds: [],
    };
    this.calls.set(call.extTrackingId, call);
    this.log(
      `pbx-sim: call ${call.extTrackingId} ${call.direction}/${call.source} client=${call.client?.telUri ?? 'hidden'} legs=${call.legs.length}`,
    );
    void this.run(call);
    return call;
  }

  private async run(call: SimCall): Promise<void> {
    const signal = this.abort.signal;
    for (const s of call.steps) {
      const wait = call.t0 + s.at - Date.now();
      if (wait > 0 && !(await this.sleep(wait))) return;
      if (signal.aborted) return;
      const leg = call.legs[s.leg];
      if (leg) this.runStep(call, leg, s, call.t0 + s.at);
    }
    call.state = 'ended';
    call.endedAt = Date.now();
    if (call.held.length) {
      for (const { ev, sub } of shuffled(call.held)) {
        ev.held = false;
        void this.dispatch(ev, sub, call);
      }
      call.held = [];
    }
    while (call.pending.size) await Promise.allSettled([...call.pending]);
    this.finishSettle(call);
  }

  private finishSettle(call: SimCall): void {
    if (call.settled) return;
    call.settled = true;
    call.resolveDone();
  }

  private runStep(call: SimCall, leg: Leg, s: Step, at: number): void {
    if (s.action === 'start') {
      leg.state = 'Alerting';
      leg.startTime = at;
      this.emitLegEvent(call, leg, leg.startEvent);
    } else if (s.action === 'answer') {
      leg.state = 'Active';
      leg.answerTime = at;
      this.emitLegEvent(call, leg, 'CallAnsweredEvent');
    } else if (s.action === 'originate') {
      // One-leg click-to-call: the employee accepted; the same leg now rings the client.
      leg.personality = 'Originator';
      leg.remote = leg.originateTo ?? leg.remote;
      this.emitLegEvent(call, leg, 'CallOriginatedEvent');
    } else {
      leg.state = 'Released';
      leg.releaseTime = at;
      leg.outcome = leg.answerTime !== undefined ? 'answered' : 'missed';
      this.emitLegEvent(call, leg, 'CallReleasedEvent');
      this.afterRelease(call, leg);
    }
  }

  private afterRelease(call: SimCall, leg: Leg): void {
    const startTime = leg.startTime ?? call.t0;
    const releaseTime = leg.releaseTime ?? Date.now();
    const answered = leg.answerTime !== undefined;
    const duration = answered ? releaseTime - (leg.answerTime ?? releaseTime) : releaseTime - startTime;
    const otherPhone = call.hideNumber || !call.client ? undefined : call.client.display;
    if (leg.statsRow) {
      const row: StatRow = {
        token: call.token,
        userId: leg.abonent.userId,
        startDate: startTime,
        abonent: leg.abonent,
        direction: leg.direction,
        status: leg.direction === 'OUTBOUND' ? 'PLACED' : answered ? 'RECIEVED' : 'MISSED',
        // An unanswered outgoing leg: nothing was talked (the client never answered).
        duration: leg.direction === 'OUTBOUND' && !answered ? 0 : duration,
        externalTrackingId: call.extTrackingId,
      };
      if (leg.direction === 'INBOUND') {
        if (otherPhone !== undefined) row.phone_from = otherPhone;
        row.phone_to = leg.abonent.phone;
      } else {
        row.phone_from = leg.abonent.phone;
        if (otherPhone !== undefined) row.phone_to = otherPhone;
      }
      this.stats.push(row);
    }
    if (answered && leg.recordable && leg.abonent.recording) {
      const id = String(++this.recordCounter);
      const rec: Recording = {
        id,
        token: call.token,
        externalId: call.extTrackingId,
        userId: leg.abonent.userId,
        abonent: leg.abonent,
        direction: leg.direction,
        date: startTime,
        duration,
        availableAt: Date.now() + this.faults.recordDelayMs,
        bytes: fakeMp3(duration, `${call.extTrackingId}/${leg.abonent.userId}`),
      };
      if (otherPhone !== undefined) rec.phone = otherPhone;
      this.recordings.set(id, rec);
      call.recordingIds.push(id);
    }
  }

  private resolvePbx(token: unknown): Pbx {
    if (typeof token !== 'string' || token === '') throw new SimInputError('token must be a non-empty string');
    const pbx = this.pbxs.get(token);
    if (!pbx) throw new SimInputError('unknown PBX token (add the PBX with POST /_sim/pbx first)', 404);
    return pbx;
  }

  /** `POST /_sim/calls`: validates and starts playing a call; returns at once. */
  playCall(input: unknown): SimCall {
    if (this.closed) throw new SimInputError('simulator is closed', 503);
    if (!isPlainObject(input)) throw new SimInputError('body must be a JSON object');
    assertKnownKeys(
      input,
      ['token', 'direction', 'client', 'clientName', 'legs', 'sequential', 'hideNumber', 'extTrackingId'],
      'call',
    );
    const pbx = this.resolvePbx(input.token);
    const direction = input.direction;
    if (direction !== 'incoming' && direction !== 'outgoing') {
      throw new SimInputError('direction must be "incoming" or "outgoing"');
    }
    for (const k of ['sequential', 'hideNumber'] as const) {
      if (input[k] !== undefined && typeof input[k] !== 'boolean') throw new SimInputError(`${k} must be a boolean`);
    }
    const hideNumber = input.hideNumber === true;
    const sequential = input.sequential === true;
    const clientRaw = optionalString(input.client, 'client');
    let client: ParsedNumber | null = null;
    if (clientRaw !== undefined && clientRaw !== '') {
      client = parsePhoneNumber(clientRaw);
      if (!client) throw new SimInputError(`client is not a phone number: ${clientRaw}`);
    } else if (!hideNumber) {
      throw new SimInputError('client is required (unless hideNumber is true)');
    }
    const clientName = optionalString(input.clientName, 'clientName');
    let extTrackingId: string | undefined;
    if (input.extTrackingId !== undefined) {
      if (typeof input.extTrackingId !== 'string' || input.extTrackingId === '') {
        throw new SimInputError('extTrackingId must be a non-empty string');
      }
      if (this.calls.has(input.extTrackingId)) throw new SimInputError('extTrackingId already used', 409);
      extTrackingId = input.extTrackingId;
    }
    if (!Array.isArray(input.legs) || input.legs.length === 0) throw new SimInputError('legs must be a non-empty array');
    if (input.legs.length > 50) throw new SimInputError('at most 50 legs');
    if (direction === 'outgoing' && input.legs.length !== 1) {
      throw new SimInputError('an outgoing call has exactly one leg: the calling employee');
    }
    const legs = input.legs.map((raw: unknown, i: number) => {
      const where = `legs[${i}]`;
      if (!isPlainObject(raw)) throw new SimInputError(`${where} must be an object`);
      assertKnownKeys(raw, ['abonent', 'answer', 'ringMs', 'talkMs'], where);
      const pattern = optionalString(raw.abonent, `${where}.abonent`);
      if (!pattern) throw new SimInputError(`${where}.abonent is required`);
      const abonent = this.findAbonent(pbx, pattern, true);
      if (!abonent) throw new SimInputError(`${where}.abonent ${pattern} is not an abonent of this PBX`);
      if (typeof raw.answer !== 'boolean') throw new SimInputError(`${where}.answer must be a boolean`);
      for (const k of ['ringMs', 'talkMs'] as const) {
        if (raw[k] !== undefined && !isNonNegInt(raw[k], MAX_TIMER_MS)) {
          throw new SimInputError(`${where}.${k} must be a non-negative integer (ms)`);
        }
      }
      return {
        abonent,
        answer: raw.answer,
        ringMs: (raw.ringMs as number | undefined) ?? 50,
        talkMs: (raw.talkMs as number | undefined) ?? 100,
      };
    });
    const opts = { client, clientName, hidden: hideNumber };
    const plan =
      direction === 'incoming' ? planIncoming(legs, { ...opts, sequential }) : planOutgoing(legs[0]!, opts);
    return this.newCall(
      pbx,
      { direction, source: 'control', client, clientName, hideNumber, sequential },
      plan,
      extTrackingId,
    );
  }

  /** Click-to-call (`POST abonents/{pattern}/call`): the call id is the extTrackingId. */
  clickToCall(pbx: Pbx, abonent: Abonent, client: ParsedNumber): SimCall {
    // A SIP account has no number: its own side shows as its extension.
    const self = (abonent.phone ? parsePhoneNumber(abonent.phone) : abonent.extension ? parsePhoneNumber(abonent.extension) : null) ?? client;
    const plan = (pbx.behaviour.clickToCall === 'one-leg' ? planClickToCallOneLeg : planClickToCall)(abonent, self, client, this.faults.clickToCall);
    return this.newCall(
      pbx,
      { direction: 'outgoing', source: 'click-to-call', client, hideNumber: false, sequential: false },
      plan,
    );
  }

  callView(call: SimCall): CallView {
    const now = Date.now();
    const view: CallView = {
      extTrackingId: call.extTrackingId,
      token: call.token,
      direction: call.direction,
      source: call.source,
      client: call.client?.raw ?? null,
      clientAddress: call.client?.telUri ?? null,
      hideNumber: call.hideNumber,
      sequential: call.sequential,
      state: call.state,
      settled: call.settled,
      startedAt: new Date(call.t0).toISOString(),
      faults: { dropEvents: call.dropEvents, shuffleEvents: call.shuffleEvents },
      legs: call.legs.map((l) => {
        const v: LegView = {
          index: l.index,
          abonent: l.abonent.userId,
          phone: l.abonent.phone,
          callId: l.callId,
          personality: l.personality,
          answer: l.requestedAnswer,
          ringMs: l.ringMs,
          talkMs: l.talkMs,
          state: l.state,
          outcome: l.outcome ?? (call.state === 'ended' ? 'not-started' : 'pending'),
          recorded: l.answerTime !== undefined && l.recordable && l.abonent.recording,
        };
        if (l.startTime !== undefined) v.startTime = l.startTime;
        if (l.answerTime !== undefined) v.answerTime = l.answerTime;
        if (l.releaseTime !== undefined) v.releaseTime = l.releaseTime;
        return v;
      }),
      events: call.events,
      recordings: call.recordingIds.flatMap((id) => {
        const r = this.recordings.get(id);
        return r
          ? [{ id, userId: r.userId, availableAt: new Date(r.availableAt).toISOString(), available: r.availableAt <= now }]
          : [];
      }),
    };
    if (call.endedAt !== undefined) view.endedAt = new Date(call.endedAt).toISOString();
    return view;
  }

  // ---------------------------------------------------------------- recordings and statistics

  availableRecording(pbx: Pbx, id: string): Recording | undefined {
    const r = this.recordings.get(id);
    return r && r.token === pbx.token && r.availableAt <= Date.now() ? r : undefined;
  }

  recordingByCall(pbx: Pbx, extTrackingId: string, userPattern: string): Recording | undefined {
    const abonent = this.findAbonent(pbx, userPattern);
    const userId = (abonent?.userId ?? userPattern).toLowerCase();
    const now = Date.now();
    for (const r of this.recordings.values()) {
      if (r.token === pbx.token && r.externalId === extTrackingId && r.userId.toLowerCase() === userId && r.availableAt <= now) {
        return r;
      }
    }
    return undefined;
  }

  /** A new temporary link for a recording, valid for `recordUrlTtlSeconds`. */
  signRecordingUrl(baseUrl: string, rec: Recording): string {
    const now = Date.now();
    for (const [sig, v] of this.signedUrls) if (v.expMs <= now) this.signedUrls.delete(sig);
    const expMs = now + this.faults.recordUrlTtlSeconds * 1000;
    const sig = randomBytes(16).toString('hex');
    this.signedUrls.set(sig, { recordId: rec.id, expMs });
    return `${baseUrl}_sim/recordings/${rec.id}.mp3?exp=${Math.floor(expMs / 1000)}&sig=${sig}`;
  }

  /** Bytes behind a temporary link, or null when the link is unknown or expired. */
  signedRecording(id: string, sig: string | null): Recording | null {
    if (!sig) return null;
    const entry = this.signedUrls.get(sig);
    if (!entry || entry.recordId !== id || entry.expMs <= Date.now()) return null;
    return this.recordings.get(id) ?? null;
  }

  recordJson(r: Recording): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: r.id,
      externalId: r.externalId,
      direction: r.direction,
      date: r.date,
      duration: r.duration,
      fileSize: r.bytes.length,
      abonent: abonentJson(r.abonent),
    };
    if (r.phone !== undefined) out.phone = r.phone;
    return out;
  }

  listRecords(pbx: Pbx, q: { from: number; to: number; userPattern?: string; afterId?: string }): Recording[] {
    const now = Date.now();
    let userId: string | undefined;
    if (q.userPattern) userId = (this.findAbonent(pbx, q.userPattern)?.userId ?? q.userPattern).toLowerCase();
    const after = q.afterId !== undefined && /^\d+$/.test(q.afterId) ? Number(q.afterId) : -1;
    return [...this.recordings.values()]
      .filter(
        (r) =>
          r.token === pbx.token &&
          r.availableAt <= now &&
          r.date >= q.from &&
          r.date <= q.to &&
          (userId === undefined || r.userId.toLowerCase() === userId) &&
          Number(r.id) > after,
      )
      .sort((a, b) => Number(a.id) - Number(b.id))
      .slice(0, 100);
  }

  listStats(
    pbx: Pbx,
    q: { from: number; to: number; userPattern?: string; page: number; pageSize: number },
  ): Record<string, unknown>[] {
    let userId: string | undefined;
    if (q.userPattern) userId = (this.findAbonent(pbx, q.userPattern)?.userId ?? q.userPattern).toLowerCase();
    return this.stats
      .filter(
        (s) =>
          s.token === pbx.token &&
          s.startDate >= q.from &&
          s.startDate <= q.to &&
          (userId === undefined || s.userId.toLowerCase() === userId),
      )
      .sort((a, b) => a.startDate - b.startDate)
      .slice(q.page * q.pageSize, (q.page + 1) * q.pageSize)
      .map((s) => {
        const row: Record<string, unknown> = {
          startDate: s.startDate,
          abonent: abonentJson(s.abonent),
          direction: s.direction,
          status: s.status,
          duration: s.duration,
        };
        if (s.phone_from !== undefined) row.phone_from = s.phone_from;
        if (s.phone_to !== undefined) row.phone_to = s.phone_to;
        row.externalTrackingId = s.externalTrackingId;
        return row;
      });
  }

  // ---------------------------------------------------------------- request log

  logRequest(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
    if (this.requestLog.length > MAX_REQUEST_LOG) this.requestLog.splice(0, this.requestLog.length - MAX_REQUEST_LOG);
  }
}
