/**
 * The small interfaces the domain needs from the outside world. DynamoDB, SQS and the PBX
 * implement them in ./adapters; tests and the local stack use the same adapters against
 * DynamoDB Local and the SQS emulator.
 */
import type { AuditEntry, ProjectKey } from './domain/access';
import type { CapturedExchange, CaptureSetting } from './domain/capture';
import type { CallState, CallSummary, Outcome } from './domain/call';
import type { CallLogEntry } from './domain/call-log';
import type { Client, PhoneMatch, ProjectSettings } from './domain/clients';
import type { CallVariables } from './domain/effects';
import type { RecordingRow, StatisticsRow } from './domain/recovery';
import type { OutboundEvent, OutboundEventType } from './domain/outbound-events';
import type { DeliveryStatus } from './domain/delivery';
import type { XsiEvent } from './domain/xsi-event';
import type { Employee, SubscriptionRecord, SubscriptionState } from './domain/subscriptions';
import type { WebhookSecretState } from './domain/webhook-secret';
import { MAX_QUEUED_BYTES } from './contracts/sqs';

export type { CallLogEntry } from './domain/call-log';

export interface StoredCall {
  state: CallState;
  /** Optimistic-concurrency version; 0 = not stored yet. */
  version: number;
}

/**
 * A save's answer: written, or refused because the call is no longer at the expected version,
 * with the call as it is stored now when the refusal tells it (DynamoDB returns the item with a
 * failed condition), so the caller merges again without reading.
 */
export type SaveResult = { saved: true } | { saved: false; current?: StoredCall };

export interface CallFinalization {
  stored: StoredCall;
  /** The state with `finalized` set. */
  state: CallState;
  summary: CallSummary;
  /** The client's effects; `create` when the client does not exist yet (created in the same transaction). */
  client?: { clientId: string; variables: CallVariables; notification?: string; create?: Client /** Reports the notification: written with it or not at all. */; event?: OutboundEvent };
  at: Date;
}

/** `client-exists`: the client to create was created meanwhile (match again); nothing written. */
export type FinalizeResult = 'committed' | 'call-changed' | 'client-exists';

export interface CallStore {
  load(projectId: string, extTrackingId: string): Promise<StoredCall | undefined>;
  /**
   * Stores the state if the stored version is still `expectedVersion`; false on a conflict.
   * `started` (the state's `startReported` just set) is written in the same transaction, with
   * the client's active call when the state names one (`startReported.activeFor`).
   */
  save(state: CallState, summary: CallSummary, expectedVersion: number, started?: OutboundEvent): Promise<SaveResult>;
  /**
   * In one transaction: the client's deal variables (unless a later call already wrote
   * them), the dialog notification, the end of the client's active call, and the call marked
   * final; nothing when the call changed meanwhile or the client to create already exists.
   */
  finalize(input: CallFinalization): Promise<FinalizeResult>;
  /**
   * Sets the call's record link, and the client's `beeline_record_link` unless the client's
   * variables already belong to a later call (`event`, reporting that, is written with it or
   * not at all). False when the call changed meanwhile.
   */
  setRecordLink(stored: StoredCall, link: string, clientId: string | undefined, callStartedAt: number, event?: OutboundEvent): Promise<boolean>;
  /** Notes a click-to-call started with this product's own `callId` (the PBX named none), to link it to its call later. */
  recordClickToCall(projectId: string, callId: string, operator: string, at: number): Promise<void>;
  /**
   * Links the call to the click-to-call of that employee started nearest to `startedAt` (within
   * ± toleranceMs) not linked to another call yet; answers its callId, if any.
   */
  linkClickToCall(projectId: string, extTrackingId: string, operator: string, startedAt: number, toleranceMs: number): Promise<string | undefined>;
  /** The call by its extTrackingId, or by the `c2c-` Call ID a bot was given. */
  find(projectId: string, id: string): Promise<{ entry: CallLogEntry; state: CallState } | undefined>;
  /**
   * The call with this client a pickup or transfer at `at` continues: the latest one with that
   * client number started within `lookbackMs` before, still open or ended within `recentMs`,
   * other than `excluding`.
   */
  findContinued(projectId: string, query: { clientPhone: string; at: number; lookbackMs: number; recentMs: number; excluding: string }): Promise<string | undefined>;
  /** The project's calls with this client number that started within ± toleranceMs. */
  callsNear(projectId: string, startedAt: number, clientPhone: string, toleranceMs: number): Promise<{ extTrackingId: string; outcome: Outcome }[]>;
}

/** The project's outbound events, oldest first (`GET /projects/{projectId}/events`). */
export interface OutboundEventFeed {
  /** Events after the cursor that occurred at or before `until` (later ones may still be committing); `next` always names where to go on from. */
  list(projectId: string, query: { after?: string; limit: number; until: Date }): Promise<{ items: OutboundEvent[]; next: string }>;
  /** An event that is its own effect (no other write): stored once; false when it is there already. */
  append(event: OutboundEvent): Promise<boolean>;
}

/** A project's receiver of outbound events. Secrets are ciphertexts here (TokenCipher); only the delivery function decrypts them. */
export interface DeliverySettings {
  url: string;
  secretCipher: string;
  secretHint: string;
  /** During a rotation: the previous secret, which signs too until `previousUntil` (epoch ms). */
  previousSecretCipher?: string;
  previousUntil?: number;
  /** The receiver's consecutive failed attempts, and until when no new attempt is made (epoch ms). */
  failures?: number;
  pausedUntil?: number;
  updatedAt: string;
}

/** How one event's delivery went. */
export interface DeliveryRecord {
  eventId: string;
  type: OutboundEventType;
  occurredAt: string;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  /** ISO time of the last attempt. */
  at: string;
}

export interface DeliveryStore {
  getSettings(projectId: string): Promise<DeliverySettings | undefined>;
  /** The settings and the audit entry of the change, together. */
  putSettings(projectId: string, settings: DeliverySettings, audit: AuditEntry): Promise<void>;
  /** False when there was none (and nothing is audited). */
  deleteSettings(projectId: string, audit: AuditEntry): Promise<boolean>;
  /** The settings and the event's record, in one read. */
  forAttempt(projectId: string, event: { occurredAt: string; eventId: string }): Promise<{ settings?: DeliverySettings; record?: DeliveryRecord }>;
  saveRecord(projectId: string, record: DeliveryRecord): Promise<void>;
  /** The latest records, newest event first. */
  recent(projectId: string, limit: number): Promise<DeliveryRecord[]>;
  /** The receiver's health on its settings (nothing when the settings are gone). */
  setReceiverHealth(projectId: string, health: { failures: number; pausedUntil?: number }): Promise<void>;
}

/** One event on its way to the project's receiver: the body is the stored event, byte for byte the same on every attempt. */
export interface DeliveryJob {
  v: 1;
  projectId: string;
  eventId: string;
  type: OutboundEventType;
  occurredAt: string;
  body: string;
  /** Attempts made so far. */
  attempts: number;
  /** When the event was handed to delivery (epoch ms): the give-up time counts from here. */
  since: number;
  /** No attempt before this (epoch ms): a wait longer than an SQS delay is made of hops. */
  notBefore?: number;
}

export interface DeliveryQueue {
  send(jobs: readonly DeliveryJob[], delaySeconds?: number): Promise<void>;
}

export type ReceiverAnswer = { ok: true; status: number } | { ok: false; error: string };

/** POSTs one signed delivery; never follows a redirect; refuses addresses the target policy forbids. */
export interface WebhookSender {
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<ReceiverAnswer>;
}

/** Where AWS-side consumers subscribe to outbound events (EventBridge on AWS; nothing locally). */
export interface EventBus {
  publish(events: readonly OutboundEvent[]): Promise<void>;
}

/** What the PBX keeps of past calls (statistics rows, recordings), for recovery. */
export interface CallHistorySource {
  statistics(projectId: string, from: Date, to: Date): Promise<StatisticsRow[]>;
  records(projectId: string, from: Date, to: Date): Promise<RecordingRow[]>;
}

export interface RecordingSource {
  /** A temporary download link of the recording of that call at that abonent, if it exists yet. */
  reference(projectId: string, extTrackingId: string, abonentUserId: string): Promise<string | undefined>;
  /** Whether the abonent's calls are recorded (the PBX's setting; events may not say). */
  recordsCalls(projectId: string, abonentUserId: string): Promise<boolean>;
}

export interface ClientDirectory {
  /** The client a call from this number belongs to (§4 steps 1–2), in one keyed read. */
  match(projectId: string, phone: string): Promise<PhoneMatch | undefined>;
}

export interface ProjectStore {
  get(projectId: string): Promise<ProjectSettings | undefined>;
}

/** Messages on the events queue. */
export type QueueMessage =
  | { v: 1; kind: 'event'; projectId: string; receivedAt: number; event: XsiEvent }
  | { v: 1; kind: 'settle'; projectId: string; extTrackingId: string }
  /** Rebuild the project's recent calls whose webhooks never arrived from the PBX's records. */
  | { v: 1; kind: 'recover'; projectId: string; page?: RecoveryPage }
  /** Look for the recording of a finished call (first after a delay, then with back-off). */
  | { v: 1; kind: 'record'; projectId: string; extTrackingId: string; attempt: number }
  /** Reconcile an employee's subscription (renewal, retry after a failure, a new webhook secret). */
  | { v: 1; kind: 'subscription'; projectId: string; employeeId: string; reason: 'renewal' | 'retry' | 'rotated' | 'terminated' }
  /** Whether a missed incoming call was returned in time (else `beeline_missed_unreturned`). */
  | { v: 1; kind: 'missed'; projectId: string; extTrackingId: string };

/** The rest of a recovery run too big for one message: the same window, the calls after the cursor. */
export interface RecoveryPage {
  from: number;
  to: number;
  /** The last call done: its start time and tracking id. */
  afterAt: number;
  afterId: string;
}

export interface MessageQueue {
  /** Queues the message; MessageTooLargeError (nothing queued) when it is over the queue's limit. */
  send(message: QueueMessage, delaySeconds?: number): Promise<void>;
}

/** A list's `cursor` that is not one the API gave (or not for this list). */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor: not a cursor this list gave; start again without it');
  }
}

/** One page of a list, and the cursor of the next page (none at the end). */
export interface Page<T> {
  items: T[];
  next?: string;
}

export class MessageTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`a queued message is at most ${MAX_QUEUED_BYTES} bytes; this one is ${bytes}`);
  }
}

/** Project keys (hashes only) and the audit log of credential changes. */
export interface AccessStore {
  getKey(projectId: string, keyId: string): Promise<ProjectKey | undefined>;
  listKeys(projectId: string): Promise<ProjectKey[]>;
  /** Stores the key and its audit entry in one write. */
  createKey(key: ProjectKey, audit: AuditEntry): Promise<void>;
  /** Deletes the key and records the audit entry in one write; false when there was no such key. */
  revokeKey(projectId: string, keyId: string, audit: AuditEntry): Promise<boolean>;
  /** Notes when a key was last used (a key deleted meanwhile stays deleted). */
  touchKey(projectId: string, keyId: string, at: string): Promise<void>;
  listAudit(projectId: string, limit: number): Promise<AuditEntry[]>;
}

/** What capturing functions need: the setting, and keeping one exchange. */
export interface CaptureSink {
  setting(projectId: string): Promise<CaptureSetting>;
  /** Keeps one exchange if the capture still runs and is under its limit (checked in the write); false when not kept. */
  keep(projectId: string, exchange: CapturedExchange, now: number): Promise<boolean>;
}

/** Capture mode: the setting and the exchanges kept (see domain/capture.ts). */
export interface CaptureStore extends CaptureSink {
  /** Starts (or restarts) a capture with its audit entry; the count starts again at 0. */
  start(projectId: string, setting: { until: string; startedAt: string }, audit: AuditEntry): Promise<void>;
  /** Ends the capture now (what was kept stays until its TTL), with its audit entry. */
  stop(projectId: string, at: string, audit: AuditEntry): Promise<void>;
  /** Kept exchanges oldest first, after the cursor. */
  list(projectId: string, after: string | undefined, limit: number): Promise<{ items: (CapturedExchange & { id: string })[]; next?: string }>;
}

/** What a key's first request left: nothing yet (`claimed`: do the work), its answer, work still going on, or another request under the same key. */
export type IdempotencyClaim<T> = { kind: 'claimed' } | { kind: 'answered'; answer: T } | { kind: 'in-progress' } | { kind: 'other-request' };

/** Answers kept by Idempotency-Key (the key and the request as hashes), for `ttlSeconds`. */
export interface IdempotencyStore<T> {
  claim(projectId: string, keyHash: string, requestHash: string, now: number, ttlSeconds: number): Promise<IdempotencyClaim<T>>;
  /** Keeps the answer of a claimed key. */
  complete(projectId: string, keyHash: string, requestHash: string, answer: T): Promise<void>;
  /** Gives a claimed key up: nothing was done, so a retry under it may try again. */
  release(projectId: string, keyHash: string, requestHash: string, now: number): Promise<void>;
}

/** Counts call starts per project in fixed windows (the beeline_call rate limit). */
export interface CallCounter {
  /** Counts one call in the window starting at `windowStart` (epoch ms); false (nothing counted) when `limit` calls are there already. */
  take(projectId: string, windowStart: number, windowSeconds: number, limit: number): Promise<boolean>;
}

/** A client's dialog message. */
export interface DialogMessage {
  text: string;
  at: string;
  kind: string;
}

export class TelephonyNumberTakenError extends Error {
  constructor(readonly phone: string) {
    super(`a telephony client with phone ${phone} already exists`);
  }
}

export class ConcurrentUpdateError extends Error {
  constructor() {
    super('the client was changed at the same time; try again');
  }
}

/** PBX API tokens at rest, bound to their project (KMS on AWS, a local key in the local stack). */
export interface TokenCipher {
  encrypt(plaintext: string, projectId: string): Promise<string>;
  decrypt(ciphertext: string, projectId: string): Promise<string>;
}

/** A project's PBX connection as stored. */
export interface StoredConnection {
  /** Encrypted with the project's TokenCipher; never returned by any API. */
  encryptedToken: string;
  tokenHint: string;
  connectedAt: string;
}

// ---------------------------------------------------------------- the PBX

export interface Abonent {
  userId: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  extension?: string;
  email?: string;
  department?: string;
}

export interface Subscription {
  subscriptionId: string;
  /** Seconds granted (on create) or remaining (on read). */
  expires: number;
  url?: string;
  targetId?: string;
  subscriptionType?: string;
}

/** A call recording as `GET records` lists it. */
export interface PbxRecord {
  id: string;
  /** The call's extTrackingId. */
  externalId?: string;
  /** The other party, 10 digits. */
  phone?: string;
  direction?: 'INBOUND' | 'OUTBOUND' | string;
  /** Epoch ms. */
  date: number;
  /** Milliseconds. */
  duration?: number;
  abonent?: Abonent;
}

/** A row of `GET v2/statistics` (one per leg). */
export interface PbxStatisticsRow {
  startDate: number;
  abonent?: Abonent;
  direction?: 'INBOUND' | 'OUTBOUND' | string;
  status?: 'MISSED' | 'RECIEVED' | 'PLACED' | string;
  duration?: number;
  phone_from?: string;
  phone_to?: string;
}

export type PbxFailure = 'refused' | 'unauthorized' | 'unreachable' | 'timeout' | 'invalid-response';

export class PbxError extends Error {
  constructor(
    readonly failure: PbxFailure,
    message: string,
    readonly status?: number,
    readonly errorCode?: string,
    readonly description?: string,
  ) {
    super(message);
    this.name = 'PbxError';
  }

  /** The text for users: the PBX's own description when it gave one. */
  get userMessage(): string {
    return this.description || this.message;
  }
}

/** The Beeline Cloud PBX API as this product uses it (one client per token). */
export interface PbxClient {
  listAbonents(): Promise<Abonent[]>;
  /** Whether the abonent's calls are recorded. */
  recordingEnabled(pattern: string): Promise<boolean>;
  /** Starts a call (never repeated); `callId` when the PBX's answer names one. */
  call(pattern: string, phoneNumber: string): Promise<{ callId?: string }>;
  /** An event subscription of one abonent (`pattern`) or of the whole PBX (no pattern). */
  subscribe(input: { pattern?: string; expires: number; url: string; subscriptionType?: string }): Promise<Subscription>;
  /** Undefined when the PBX no longer knows it. */
  getSubscription(subscriptionId: string): Promise<Subscription | undefined>;
  unsubscribe(subscriptionId: string): Promise<void>;
  /** A temporary download link of the call's recording at that abonent, if there is one yet. */
  recordReference(extTrackingId: string, userId: string): Promise<string | undefined>;
  records(dateFrom: Date, dateTo: Date, maxPages?: number): Promise<PbxRecord[]>;
  statistics(dateFrom: Date, dateTo: Date, maxPages?: number): Promise<PbxStatisticsRow[]>;
}

/** What the project watches at the PBX beyond its employees. */
export interface WatchSetting {
  wholePbx: boolean;
  savedAt?: string;
}

export interface VersionedState {
  state: SubscriptionState;
  version: number;
}

export interface DueRenewal {
  projectId: string;
  employeeId: string;
}

/** The PBX connection, employees and subscription bookkeeping of every project. */
export interface PbxStore {
  getConnection(projectId: string): Promise<StoredConnection | undefined>;
  /** Stores the connection and the audit entry of the change in one write. */
  putConnection(projectId: string, connection: StoredConnection, audit: AuditEntry): Promise<void>;
  /** Every project with a PBX connection (for the scheduled recovery). */
  connectedProjects(): Promise<string[]>;
  /** Removes the connection and records the audit entry in one write; false (nothing written) when there was none. */
  deleteConnection(projectId: string, audit: AuditEntry): Promise<boolean>;
  getWebhookSecret(projectId: string): Promise<WebhookSecretState>;
  /** Stores the rotated state if the generation is still `from`'s, with its audit entry; false when someone rotated meanwhile. */
  rotateWebhookSecret(projectId: string, from: WebhookSecretState, next: WebhookSecretState, audit: AuditEntry): Promise<boolean>;
  /** The generation the project's record links are signed with (0 until the first revocation). */
  getRecordLinkGeneration(projectId: string): Promise<number>;
  /** Every link made so far stops working: the next generation, with the audit entry, in one write. */
  revokeRecordLinks(projectId: string, at: Date, audit: (generation: number) => AuditEntry): Promise<number>;
  getWatch(projectId: string): Promise<WatchSetting>;
  /** Stores the setting and the audit entry of the change in one write. */
  putWatch(projectId: string, setting: WatchSetting, audit: AuditEntry): Promise<void>;
  getEmployee(projectId: string, employeeId: string): Promise<Employee | undefined>;
  listEmployees(projectId: string): Promise<Employee[]>;
  listStates(projectId: string): Promise<Map<string, SubscriptionState>>;
  /** Saves the employee and marks its subscription pending (the employee stream does the rest). */
  saveEmployee(projectId: string, employee: Employee): Promise<void>;
  deleteEmployee(projectId: string, employeeId: string): Promise<boolean>;
  getState(projectId: string, employeeId: string): Promise<VersionedState>;
  /** Replaces the state if nobody changed it since `version` was read; false on a conflict. */
  putState(projectId: string, employeeId: string, state: SubscriptionState, version: number): Promise<boolean>;
  /** Notes that events arrive (best effort; the caller throttles it). */
  touchLastEvent(projectId: string, employeeId: string, at: string): Promise<void>;
  putSubscriptionRecord(record: SubscriptionRecord): Promise<void>;
  /** Keeps a replaced subscription's events acceptable for a grace period, then lets TTL remove it. */
  retireSubscriptionRecord(projectId: string, subscriptionId: string, at: number): Promise<void>;
  getSubscriptionRecord(projectId: string, subscriptionId: string): Promise<SubscriptionRecord | undefined>;
  /** Subscriptions whose renewal time has come, across all projects. */
  dueRenewals(now: string, limit?: number): Promise<DueRenewal[]>;
}
