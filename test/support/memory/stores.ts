/**
 * In-memory adapters of the storage ports, for the fast tier: the same contracts as the
 * DynamoDB adapters (versions, conditional writes, the finalize transaction's outcomes), kept
 * in maps. test/integration/store-contract.test.ts runs the same checks against both.
 */
import { summarise, type CallState, type CallSummary, type Outcome } from '../../../functions/commons/domain/call';
import { logEntryOf, shownInCallLog } from '../../../functions/commons/domain/call-log';
import { activeCallOf, phoneIndexEntries, type ActiveCall, type Client, type PhoneMatch, type ProjectSettings } from '../../../functions/commons/domain/clients';
import type { Employee, SubscriptionRecord, SubscriptionState } from '../../../functions/commons/domain/subscriptions';
import { INITIAL_WEBHOOK_SECRET, type WebhookSecretState } from '../../../functions/commons/domain/webhook-secret';
import type { AuditEntry } from '../../../functions/commons/domain/access';
import type { OutboundEvent } from '../../../functions/commons/domain/outbound-events';
import type {
  CallCounter,
  CallFinalization,
  CallLogEntry,
  CallStore,
  ClientDirectory,
  DeliveryJob,
  DeliveryQueue,
  DeliveryRecord,
  DeliverySettings,
  DeliveryStore,
  DialogMessage,
  DueRenewal,
  FinalizeResult,
  IdempotencyClaim,
  IdempotencyStore,
  MessageQueue,
  OutboundEventFeed,
  PbxStore,
  ProjectStore,
  QueueMessage,
  SaveResult,
  StoredCall,
  StoredConnection,
  VersionedState,
  WatchSetting,
} from '../../../functions/commons/ports';

const key = (...parts: string[]) => parts.join('\u0000');
const clone = <T>(value: T): T => structuredClone(value);

interface StoredClient extends Client {
  lastCallStartedAt?: number;
}

/** Clients, their phone index and their dialogs. */
export class MemoryClients implements ClientDirectory {
  readonly clients = new Map<string, StoredClient>();
  private readonly telephonyIndex = new Map<string, string>();
  private readonly variableIndex = new Map<string, { createdAt: string; clientId: string }[]>();
  readonly messages = new Map<string, (DialogMessage & { id: string })[]>();
  /** Active calls by client, by extTrackingId. */
  private readonly activeCalls = new Map<string, Map<string, ActiveCall & { reportedAt: number }>>();

  constructor(private readonly now: () => number = Date.now) {}

  async match(projectId: string, phone: string): Promise<PhoneMatch | undefined> {
    const telephony = this.telephonyIndex.get(key(projectId, phone));
    if (telephony) return { clientId: telephony, via: 'telephony' };
    const first = [...(this.variableIndex.get(key(projectId, phone)) ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.clientId.localeCompare(b.clientId))[0];
    return first && { clientId: first.clientId, via: 'variable' };
  }

  /** A client registered by the platform (a chat user holding a number in a variable, or a telephony client). */
  add(projectId: string, client: Client): void {
    this.create(projectId, client);
  }

  get(projectId: string, clientId: string): Client | undefined {
    const stored = this.clients.get(key(projectId, clientId));
    if (!stored) return undefined;
    const { lastCallStartedAt: _lastCallStartedAt, ...client } = clone(stored);
    const activeCall = activeCallOf([...(this.activeCalls.get(key(projectId, clientId))?.values() ?? [])], this.now());
    return { ...client, ...(activeCall && { activeCall }) };
  }

  startActiveCall(projectId: string, clientId: string, call: ActiveCall & { reportedAt: number }): void {
    const calls = this.activeCalls.get(key(projectId, clientId)) ?? new Map();
    calls.set(call.extTrackingId, { ...call });
    this.activeCalls.set(key(projectId, clientId), calls);
  }

  endActiveCall(projectId: string, clientId: string, extTrackingId: string): void {
    this.activeCalls.get(key(projectId, clientId))?.delete(extTrackingId);
  }

  dialog(projectId: string, clientId: string): DialogMessage[] {
    return (this.messages.get(key(projectId, clientId)) ?? []).map(({ id: _id, ...message }) => message);
  }

  /** False (nothing written) when the client or its telephony number exists already. */
  create(projectId: string, client: Client, lastCallStartedAt?: number): boolean {
    const entries = phoneIndexEntries(client);
    if (this.clients.has(key(projectId, client.clientId))) return false;
    if (entries.telephony && this.telephonyIndex.has(key(projectId, entries.telephony))) return false;
    this.clients.set(key(projectId, client.clientId), { ...clone(client), lastCallStartedAt });
    if (entries.telephony) this.telephonyIndex.set(key(projectId, entries.telephony), client.clientId);
    for (const phone of entries.variables) {
      const list = this.variableIndex.get(key(projectId, phone)) ?? [];
      list.push({ createdAt: client.createdAt, clientId: client.clientId });
      this.variableIndex.set(key(projectId, phone), list);
    }
    return true;
  }

  stored(projectId: string, clientId: string): StoredClient | undefined {
    return this.clients.get(key(projectId, clientId));
  }

  post(projectId: string, clientId: string, id: string, message: DialogMessage): void {
    const list = this.messages.get(key(projectId, clientId)) ?? [];
    const at = list.findIndex((m) => m.id === id && m.at === message.at);
    if (at >= 0) list[at] = { ...message, id };
    else list.push({ ...message, id });
    list.sort((a, b) => a.at.localeCompare(b.at));
    this.messages.set(key(projectId, clientId), list);
  }
}

interface CallRecord {
  state: CallState;
  version: number;
  entry: CallLogEntry;
  listed: boolean;
}

export class MemoryCallStore implements CallStore {
  private readonly calls = new Map<string, CallRecord>();
  /** Outbound events written with their effects, in the order written. */
  readonly events: OutboundEvent[] = [];
  private readonly clickToCalls = new Map<string, { at: number; callId: string }[]>();
  private readonly aliases = new Map<string, string>();

  constructor(private readonly clients: MemoryClients) {}

  async load(projectId: string, extTrackingId: string): Promise<StoredCall | undefined> {
    const record = this.calls.get(key(projectId, extTrackingId));
    return record && { state: clone(record.state), version: record.version };
  }

  async save(state: CallState, summary: CallSummary, expectedVersion: number, started?: OutboundEvent): Promise<SaveResult> {
    // Refused with the call as stored, as DynamoDB returns it with a failed condition.
    if ((this.calls.get(key(state.projectId, state.extTrackingId))?.version ?? 0) !== expectedVersion) return { saved: false, current: await this.load(state.projectId, state.extTrackingId) };
    this.put(state, summary, expectedVersion);
    if (started) {
      this.events.push(clone(started));
      const { activeFor, reportedAt } = state.startReported!;
      if (activeFor !== undefined) {
        this.clients.startActiveCall(state.projectId, activeFor, { extTrackingId: state.extTrackingId, startedAt: new Date(summary.startedAt).toISOString(), reportedAt });
      }
    }
    return { saved: true };
  }

  async finalize({ stored, state, summary, client, at }: CallFinalization): Promise<FinalizeResult> {
    const { projectId, extTrackingId } = state;
    if ((this.calls.get(key(projectId, extTrackingId))?.version ?? 0) !== stored.version) return 'call-changed';
    if (client?.create) {
      const created = { ...client.create, dealVariables: { ...client.create.dealVariables, ...client.variables } };
      if (!this.clients.create(projectId, created, summary.startedAt)) return 'client-exists';
    } else if (client) {
      const existing = this.clients.stored(projectId, client.clientId);
      if (!existing) throw new Error(`finalize: client ${client.clientId} does not exist`);
      // Variables of a later call are never overwritten by an older one.
      if (existing.lastCallStartedAt === undefined || existing.lastCallStartedAt <= summary.startedAt) {
        existing.dealVariables = { ...existing.dealVariables, ...client.variables };
        existing.lastCallStartedAt = summary.startedAt;
      }
    }
    const activeFor = state.startReported?.activeFor;
    if (activeFor !== undefined) this.clients.endActiveCall(projectId, activeFor, extTrackingId);
    if (client?.notification !== undefined) {
      this.clients.post(projectId, client.clientId, `call-${extTrackingId}`, { text: client.notification, at: at.toISOString(), kind: 'notification' });
      if (client.event) this.events.push(clone(client.event));
    }
    this.put(state, summary, stored.version);
    return 'committed';
  }

  async setRecordLink(stored: StoredCall, link: string, clientId: string | undefined, callStartedAt: number, event?: OutboundEvent): Promise<boolean> {
    const state: CallState = { ...stored.state, recordLink: link };
    if (!(await this.save(state, summarise(state), stored.version)).saved) return false;
    const client = clientId && this.clients.stored(state.projectId, clientId);
    if (client && client.lastCallStartedAt === callStartedAt) {
      client.dealVariables = { ...client.dealVariables, beeline_record_link: link };
      if (event) this.events.push(clone(event));
    }
    return true;
  }

  async recordClickToCall(projectId: string, callId: string, operator: string, at: number): Promise<void> {
    const list = this.clickToCalls.get(key(projectId, operator)) ?? [];
    list.push({ at, callId });
    this.clickToCalls.set(key(projectId, operator), list);
  }

  async linkClickToCall(projectId: string, extTrackingId: string, operator: string, startedAt: number, toleranceMs: number): Promise<string | undefined> {
    const nearest = (this.clickToCalls.get(key(projectId, operator)) ?? [])
      .filter((c) => Math.abs(c.at - startedAt) <= toleranceMs)
      .sort((a, b) => Math.abs(a.at - startedAt) - Math.abs(b.at - startedAt));
    for (const { callId } of nearest) {
      const claimed = this.aliases.get(key(projectId, callId));
      if (claimed === undefined || claimed === extTrackingId) {
        this.aliases.set(key(projectId, callId), extTrackingId);
        return callId;
      }
    }
    return undefined;
  }

  async find(projectId: string, id: string): Promise<{ entry: CallLogEntry; state: CallState } | undefined> {
    let stored = await this.load(projectId, id);
    const alias = this.aliases.get(key(projectId, id));
    if (!stored && alias) stored = await this.load(projectId, alias);
    if (stored?.state.continues) stored = (await this.load(projectId, stored.state.continues)) ?? stored;
    return stored && { entry: logEntryOf(stored.state, summarise(stored.state)), state: stored.state };
  }

  async findContinued(projectId: string, query: { clientPhone: string; at: number; lookbackMs: number; recentMs: number; excluding: string }): Promise<string | undefined> {
    const recent = new Date(query.at - query.recentMs).toISOString();
    return this.listed(projectId)
      .filter(({ entry, state }) => {
        const startedAt = Date.parse(entry.startedAt);
        return startedAt >= query.at - query.lookbackMs && startedAt <= query.at && entry.clientPhone === query.clientPhone && state.extTrackingId !== query.excluding;
      })
      .filter(({ entry }) => entry.outcome === 'in_progress' || (entry.endedAt !== undefined && entry.endedAt >= recent))
      .sort((a, b) => b.entry.startedAt.localeCompare(a.entry.startedAt) || b.state.extTrackingId.localeCompare(a.state.extTrackingId))[0]?.state.extTrackingId;
  }

  async callsNear(projectId: string, startedAt: number, clientPhone: string, toleranceMs: number): Promise<{ extTrackingId: string; outcome: Outcome }[]> {
    return this.listed(projectId)
      .filter(({ entry }) => Math.abs(Date.parse(entry.startedAt) - startedAt) <= toleranceMs && entry.clientPhone === clientPhone)
      .map(({ entry }) => ({ extTrackingId: entry.extTrackingId, outcome: entry.outcome }));
  }

  /** The call log, newest first. */
  callLog(projectId: string): CallLogEntry[] {
    return this.listed(projectId)
      .sort((a, b) => b.entry.startedAt.localeCompare(a.entry.startedAt))
      .map(({ entry }) => clone(entry));
  }

  private listed(projectId: string): CallRecord[] {
    return [...this.calls.values()].filter((record) => record.listed && record.state.projectId === projectId);
  }

  private put(state: CallState, summary: CallSummary, expectedVersion: number): void {
    this.calls.set(key(state.projectId, state.extTrackingId), { state: clone(state), version: expectedVersion + 1, entry: logEntryOf(state, summary), listed: shownInCallLog(state) });
  }
}

/** The event feed over the events the memory call store wrote (and those appended on their own). */
export class MemoryEventFeed implements OutboundEventFeed {
  constructor(private readonly calls: MemoryCallStore) {}

  async append(event: OutboundEvent): Promise<boolean> {
    if (this.calls.events.some((e) => e.eventId === event.eventId && e.occurredAt === event.occurredAt)) return false;
    this.calls.events.push(clone(event));
    return true;
  }

  async list(projectId: string, { after, limit, until }: { after?: string; limit: number; until: Date }): Promise<{ items: OutboundEvent[]; next: string }> {
    const position = (e: OutboundEvent) => `${e.occurredAt}#${e.eventId}`;
    const items = this.calls.events
      .filter((e) => e.projectId === projectId && (after === undefined || position(e) > after) && e.occurredAt <= until.toISOString())
      .sort((a, b) => position(a).localeCompare(position(b)))
      .slice(0, limit);
    return { items: items.map(clone), next: items.length > 0 ? position(items.at(-1)!) : (after ?? '') };
  }
}

export class MemoryProjects implements ProjectStore {
  readonly projects = new Map<string, ProjectSettings>();

  async get(projectId: string): Promise<ProjectSettings | undefined> {
    return clone(this.projects.get(projectId));
  }
}

/** What was queued, with its delay and when it comes due; `next` hands over the earliest due. */
export class MemoryQueue implements MessageQueue {
  private pending: QueuedMessage[] = [];
  readonly sent: QueuedMessage[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  async send(message: QueueMessage, delaySeconds = 0): Promise<void> {
    const entry = { message: clone(message), delaySeconds, dueAt: this.now() + delaySeconds * 1000 };
    this.pending.push(entry);
    this.sent.push(entry);
  }

  next(): QueuedMessage | undefined {
    if (this.pending.length === 0) return undefined;
    const earliest = this.pending.reduce((a, b) => (b.dueAt < a.dueAt ? b : a));
    this.pending.splice(this.pending.indexOf(earliest), 1);
    return earliest;
  }

  /** A message taken too early goes back as it was. */
  putBack(entry: QueuedMessage): void {
    this.pending.push(entry);
  }

  get size(): number {
    return this.pending.length;
  }
}

export interface QueuedMessage {
  message: QueueMessage;
  delaySeconds: number;
  dueAt: number;
}

export class MemoryCallCounter implements CallCounter {
  private readonly counts = new Map<string, number>();

  async take(projectId: string, windowStart: number, _windowSeconds: number, limit: number): Promise<boolean> {
    const k = key(projectId, String(windowStart));
    const count = this.counts.get(k) ?? 0;
    if (count >= limit) return false;
    this.counts.set(k, count + 1);
    return true;
  }
}

export class MemoryPbxStore implements PbxStore {
  private readonly connections = new Map<string, StoredConnection>();
  private readonly secrets = new Map<string, WebhookSecretState>();
  private readonly linkGenerations = new Map<string, number>();
  private readonly watches = new Map<string, WatchSetting>();
  private readonly employees = new Map<string, Map<string, Employee>>();
  private readonly states = new Map<string, Map<string, VersionedState>>();
  private readonly records = new Map<string, SubscriptionRecord>();
  readonly audit: AuditEntry[] = [];

  async getConnection(projectId: string) {
    return clone(this.connections.get(projectId));
  }
  async putConnection(projectId: string, connection: StoredConnection, audit: AuditEntry) {
    this.connections.set(projectId, clone(connection));
    this.audit.push(audit);
  }
  async connectedProjects() {
    return [...this.connections.keys()];
  }
  async deleteConnection(projectId: string, audit: AuditEntry) {
    if (!this.connections.delete(projectId)) return false;
    this.audit.push(audit);
    return true;
  }
  async getWebhookSecret(projectId: string) {
    return clone(this.secrets.get(projectId) ?? INITIAL_WEBHOOK_SECRET);
  }
  async rotateWebhookSecret(projectId: string, from: WebhookSecretState, next: WebhookSecretState, audit: AuditEntry) {
    if ((await this.getWebhookSecret(projectId)).generation !== from.generation) return false;
    this.secrets.set(projectId, clone(next));
    this.audit.push(audit);
    return true;
  }
  async getRecordLinkGeneration(projectId: string) {
    return this.linkGenerations.get(projectId) ?? 0;
  }
  async revokeRecordLinks(projectId: string, _at: Date, audit: (generation: number) => AuditEntry) {
    const next = (this.linkGenerations.get(projectId) ?? 0) + 1;
    this.linkGenerations.set(projectId, next);
    this.audit.push(audit(next));
    return next;
  }
  async getWatch(projectId: string) {
    return clone(this.watches.get(projectId) ?? { wholePbx: false });
  }
  async putWatch(projectId: string, setting: WatchSetting, audit: AuditEntry) {
    this.watches.set(projectId, clone(setting));
    this.audit.push(audit);
  }
  async getEmployee(projectId: string, employeeId: string) {
    return clone(this.employees.get(projectId)?.get(employeeId));
  }
  async listEmployees(projectId: string) {
    return [...(this.employees.get(projectId)?.values() ?? [])].map(clone);
  }
  async listStates(projectId: string) {
    return new Map([...(this.states.get(projectId)?.entries() ?? [])].map(([id, { state }]) => [id, clone(state)]));
  }
  async saveEmployee(projectId: string, employee: Employee) {
    this.mapOf(this.employees, projectId).set(employee.employeeId, clone(employee));
    const current = await this.getState(projectId, employee.employeeId);
    this.mapOf(this.states, projectId).set(employee.employeeId, { state: { ...current.state, status: 'pending' }, version: current.version + 1 });
  }
  async deleteEmployee(projectId: string, employeeId: string) {
    return this.employees.get(projectId)?.delete(employeeId) ?? false;
  }
  async getState(projectId: string, employeeId: string): Promise<VersionedState> {
    return clone(this.states.get(projectId)?.get(employeeId) ?? { state: { status: 'none' } as SubscriptionState, version: 0 });
  }
  async putState(projectId: string, employeeId: string, state: SubscriptionState, version: number) {
    const stored = await this.getState(projectId, employeeId);
    if (stored.version !== version) return false;
    // As DynamoDB's: the stored lastEventAt stays (touchLastEvent's alone).
    const { lastEventAt: _ignored, ...rest } = clone(state);
    const lastEventAt = stored.state.lastEventAt;
    this.mapOf(this.states, projectId).set(employeeId, { state: { ...rest, ...(lastEventAt !== undefined && { lastEventAt }) }, version: version + 1 });
    return true;
  }
  async touchLastEvent(projectId: string, employeeId: string, at: string) {
    const stored = this.states.get(projectId)?.get(employeeId);
    if (stored) stored.state = { ...stored.state, lastEventAt: at };
  }
  async putSubscriptionRecord(record: SubscriptionRecord) {
    this.records.set(key(record.projectId, record.subscriptionId), clone(record));
  }
  async retireSubscriptionRecord(projectId: string, subscriptionId: string, at: number) {
    const record = this.records.get(key(projectId, subscriptionId));
    if (record) record.retiredAt = at;
  }
  async getSubscriptionRecord(projectId: string, subscriptionId: string) {
    return clone(this.records.get(key(projectId, subscriptionId)));
  }
  async dueRenewals(now: string, limit = 500): Promise<DueRenewal[]> {
    const due: { renewAt: string; projectId: string; employeeId: string }[] = [];
    for (const [projectId, states] of this.states) {
      for (const [employeeId, { state }] of states) {
        if ((state.status === 'active' || state.status === 'failed') && state.renewAt && state.renewAt <= now) due.push({ renewAt: state.renewAt, projectId, employeeId });
      }
    }
    return due
      .sort((a, b) => a.renewAt.localeCompare(b.renewAt))
      .slice(0, limit)
      .map(({ projectId, employeeId }) => ({ projectId, employeeId }));
  }

  private mapOf<V>(maps: Map<string, Map<string, V>>, projectId: string): Map<string, V> {
    const map = maps.get(projectId) ?? new Map<string, V>();
    maps.set(projectId, map);
    return map;
  }
}

/** Idempotency keys in a map, with the conditional semantics of the DynamoDB store. */
export class MemoryIdempotencyStore<T> implements IdempotencyStore<T> {
  private readonly keys = new Map<string, { requestHash: string; expiresAt: number; answer?: T }>();

  async claim(projectId: string, keyHash: string, requestHash: string, now: number, ttlSeconds: number): Promise<IdempotencyClaim<T>> {
    const k = key(projectId, keyHash);
    const held = this.keys.get(k);
    if (!held || held.expiresAt < now) {
      this.keys.set(k, { requestHash, expiresAt: now + ttlSeconds * 1000 });
      return { kind: 'claimed' };
    }
    if (held.requestHash !== requestHash) return { kind: 'other-request' };
    return held.answer === undefined ? { kind: 'in-progress' } : { kind: 'answered', answer: clone(held.answer) };
  }

  async complete(projectId: string, keyHash: string, requestHash: string, answer: T): Promise<void> {
    const held = this.keys.get(key(projectId, keyHash));
    if (held?.requestHash === requestHash) held.answer = clone(answer);
  }

  async release(projectId: string, keyHash: string, requestHash: string, now: number): Promise<void> {
    const held = this.keys.get(key(projectId, keyHash));
    if (held?.requestHash === requestHash && held.answer === undefined) held.expiresAt = now - 1;
  }
}

/** A project's receiver settings and delivery records in maps, with the DynamoDB store's semantics (health only on existing settings). */
export class MemoryDeliveryStore implements DeliveryStore {
  readonly settings = new Map<string, DeliverySettings>();
  readonly records = new Map<string, Map<string, DeliveryRecord>>();
  readonly audit: AuditEntry[] = [];

  async getSettings(projectId: string): Promise<DeliverySettings | undefined> {
    const found = this.settings.get(projectId);
    return found && clone(found);
  }

  async putSettings(projectId: string, settings: DeliverySettings, audit: AuditEntry): Promise<void> {
    this.settings.set(projectId, clone(settings));
    this.audit.push(clone(audit));
  }

  async deleteSettings(projectId: string, audit: AuditEntry): Promise<boolean> {
    if (!this.settings.delete(projectId)) return false;
    this.audit.push(clone(audit));
    return true;
  }

  async forAttempt(projectId: string, event: { occurredAt: string; eventId: string }): Promise<{ settings?: DeliverySettings; record?: DeliveryRecord }> {
    const record = this.records.get(projectId)?.get(`${event.occurredAt}#${event.eventId}`);
    return { settings: await this.getSettings(projectId), record: record && clone(record) };
  }

  async saveRecord(projectId: string, record: DeliveryRecord): Promise<void> {
    const records = this.records.get(projectId) ?? new Map<string, DeliveryRecord>();
    this.records.set(projectId, records);
    records.set(`${record.occurredAt}#${record.eventId}`, clone(record));
  }

  async recent(projectId: string, limit: number): Promise<DeliveryRecord[]> {
    const records = this.records.get(projectId) ?? new Map<string, DeliveryRecord>();
    return [...records.entries()]
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .slice(0, limit)
      .map(([, record]) => clone(record));
  }

  async setReceiverHealth(projectId: string, health: { failures: number; pausedUntil?: number }): Promise<void> {
    const settings = this.settings.get(projectId);
    if (!settings) return;
    settings.failures = health.failures;
    if (health.pausedUntil === undefined) delete settings.pausedUntil;
    else settings.pausedUntil = health.pausedUntil;
  }
}

/** Delivery jobs sent back to the queue, with their delay. */
export class MemoryDeliveryQueue implements DeliveryQueue {
  readonly sent: { job: DeliveryJob; delaySeconds?: number }[] = [];

  async send(jobs: readonly DeliveryJob[], delaySeconds?: number): Promise<void> {
    for (const job of jobs) this.sent.push({ job: clone(job), delaySeconds });
  }

  /** Takes what was sent so far. */
  take(): { job: DeliveryJob; delaySeconds?: number }[] {
    return this.sent.splice(0);
  }
}
