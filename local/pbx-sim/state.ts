/**
 * The simulated Beeline Cloud PBX: PBXs and their abonents, event subscriptions, calls
 * being played, events sent (and their delivery results), recordings, call statistics and
 * fault switches. Independent of HTTP: server.ts maps routes onto this.
 *
 * PbxSimState owns the maps and logs and delegates: model.ts (types), input.ts (control
 * bodies), abonents.ts, subscriptions.ts, events.ts (envelopes and delivery), calls.ts
 * (calls being played), records.ts (recordings and statistics), clock.ts (timers).
 */
import { findAbonent, requireAbonent } from './abonents.js';
import { CallPlayer, finishSettle } from './calls.js';
import { SimClock } from './clock.js';
import { EventSender } from './events.js';
import { parseFaults, parsePbxInput } from './input.js';
import type { Abonent, CallView, Faults, Pbx, Recording, RequestLogEntry, SentEvent, SimCall, SimData, StatRow, Subscription, SubscriptionView } from './model.js';
import { SimInputError } from './model.js';
import type { ParsedNumber } from './phone.js';
import { RecordQueries } from './records.js';
import { Subscriptions } from './subscriptions.js';
import { buildCallSubscriptionXml } from './xml.js';

// What this module exported before the split: importers of './state.js' keep working.
export { abonentJson } from './abonents.js';
export { assertKnownKeys, isPlainObject, parseFaults } from './input.js';
export { DEFAULT_BEHAVIOUR, DEFAULT_FAULTS, PbxApiError, SimInputError } from './model.js';
export type {
  Abonent,
  AbonentInput,
  AbonentJson,
  CallView,
  ClickToCallConfig,
  DeliveryAttempt,
  Faults,
  FaultsInput,
  Leg,
  LegState,
  LegView,
  Pbx,
  PbxBehaviour,
  PbxInput,
  PlayCallInput,
  Recording,
  RequestLogEntry,
  SentEvent,
  SimCall,
  StatRow,
  Subscription,
  SubscriptionView,
} from './model.js';

const MAX_REQUEST_LOG = 2_000;

export class PbxSimState implements SimData {
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
  private closed = false;
  private readonly clock = new SimClock();
  private readonly events: EventSender;
  private readonly subscriptionBook: Subscriptions;
  private readonly player: CallPlayer;
  private readonly records: RecordQueries;

  constructor(private readonly log: (line: string) => void = () => {}) {
    this.events = new EventSender(this, this.clock, log);
    this.subscriptionBook = new Subscriptions(this, this.events, log);
    this.player = new CallPlayer(this, this.clock, this.events, this.subscriptionBook, log);
    this.records = new RecordQueries(this);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Forgets subscriptions, calls, events, recordings, statistics, the request log and the
   * faults; keeps the PBXs. Calls being played stop. */
  reset(): void {
    this.clock.reset();
    for (const call of this.calls.values()) finishSettle(call);
    this.subscriptions.clear();
    this.events.reset();
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

  // ---------------------------------------------------------------- PBXs and abonents

  addPbx(input: unknown): Pbx {
    const { token, abonents, behaviour } = parsePbxInput(input);
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
    return findAbonent(pbx, pattern, lenient);
  }

  requireAbonent(pbx: Pbx, pattern: string): Abonent {
    return requireAbonent(pbx, pattern);
  }

  // ---------------------------------------------------------------- subscriptions

  isLive(sub: Subscription, now = Date.now()): boolean {
    return this.subscriptionBook.isLive(sub, now);
  }

  createSubscription(pbx: Pbx, body: unknown): { subscriptionId: string; expires: number } {
    return this.subscriptionBook.createSubscription(pbx, body);
  }

  /**
   * The `CallSubscriptionEvent` a new subscription to one abonent gets (none for the whole
   * PBX): the abonent's calls in progress. Resolves when the delivery attempts finished.
   */
  async sendInitialState(subscriptionId: string): Promise<void> {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub || !this.isLive(sub) || sub.targetUserId === null) return;
    const env = this.events.nextEnvelope(sub, sub.targetUserId);
    const ev = this.events.newEvent(sub, env, 'CallSubscriptionEvent', buildCallSubscriptionXml(env, this.player.callsInProgressAt(sub.token, sub.targetUserId)));
    if (this.faults.dropEvents) {
      ev.dropped = true;
      return;
    }
    await this.events.dispatch(ev, sub);
  }

  getSubscription(pbx: Pbx, id: string | null): Record<string, unknown> {
    return this.subscriptionBook.getSubscription(pbx, id);
  }

  deleteSubscription(pbx: Pbx, id: string | null): void {
    this.subscriptionBook.deleteSubscription(pbx, id);
  }

  listLiveSubscriptions(): SubscriptionView[] {
    return this.subscriptionBook.listLiveSubscriptions();
  }

  /** Ends a live subscription and sends it a SubscriptionTerminatedEvent; resolves when the
   * delivery attempt(s) finished. */
  terminateSubscription(id: string): Promise<SentEvent> {
    return this.subscriptionBook.terminateSubscription(id);
  }

  // ---------------------------------------------------------------- calls

  /** `POST /_sim/calls`: validates and starts playing a call; returns at once. */
  playCall(input: unknown): SimCall {
    if (this.closed) throw new SimInputError('simulator is closed', 503);
    return this.player.playCall(input);
  }

  /** Click-to-call (`POST abonents/{pattern}/call`): the call id is the extTrackingId. */
  clickToCall(pbx: Pbx, abonent: Abonent, client: ParsedNumber): SimCall {
    return this.player.clickToCall(pbx, abonent, client);
  }

  callView(call: SimCall): CallView {
    return this.player.callView(call);
  }

  // ---------------------------------------------------------------- recordings and statistics

  availableRecording(pbx: Pbx, id: string): Recording | undefined {
    return this.records.availableRecording(pbx, id);
  }

  recordingByCall(pbx: Pbx, extTrackingId: string, userPattern: string): Recording | undefined {
    return this.records.recordingByCall(pbx, extTrackingId, userPattern);
  }

  /** A new temporary link for a recording, valid for `recordUrlTtlSeconds`. */
  signRecordingUrl(baseUrl: string, rec: Recording): string {
    return this.records.signRecordingUrl(baseUrl, rec);
  }

  /** Bytes behind a temporary link, or null when the link is unknown or expired. */
  signedRecording(id: string, sig: string | null): Recording | null {
    return this.records.signedRecording(id, sig);
  }

  recordJson(r: Recording): Record<string, unknown> {
    return this.records.recordJson(r);
  }

  listRecords(pbx: Pbx, q: { from: number; to: number; userPattern?: string; afterId?: string }): Recording[] {
    return this.records.listRecords(pbx, q);
  }

  listStats(pbx: Pbx, q: { from: number; to: number; userPattern?: string; page: number; pageSize: number }): Record<string, unknown>[] {
    return this.records.listStats(pbx, q);
  }

  // ---------------------------------------------------------------- request log

  logRequest(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
    if (this.requestLog.length > MAX_REQUEST_LOG) this.requestLog.splice(0, this.requestLog.length - MAX_REQUEST_LOG);
  }
}
