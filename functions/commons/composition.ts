/**
 * Builds the functions' collaborators from an environment map (`process.env` on AWS, an
 * explicit map in the local stack). Configuration picks adapters; the domain never asks where
 * it runs.
 */
import { DynamoAccessStore } from './adapters/dynamo/access-store';
import { DynamoCaptureSink, DynamoCaptureStore } from './adapters/dynamo/capture-store';
import { DynamoCallCounter } from './adapters/dynamo/call-counter';
import { DynamoCallStore } from './adapters/dynamo/call-store';
import { DynamoEventFeed } from './adapters/dynamo/event-feed';
import { DynamoIdempotencyStore } from './adapters/dynamo/idempotency-store';
import type { CallAnswer } from './app/click-to-call/answer';
import { DynamoClientStore } from './adapters/dynamo/client-store';
import { DynamoPbxStore } from './adapters/dynamo/pbx-store';
import { DynamoProjectStore } from './adapters/dynamo/project-store';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClientFrom } from './adapters/dynamo/document-client';
import { BeelinePbxClient } from './adapters/pbx-client';
import { secretFromEnvironment, secretVersionsFromEnvironment } from './adapters/secrets';
import { SqsMessageQueue, sqsClientFrom } from './adapters/sqs-queue';
import { cipherFrom } from './adapters/token-cipher';
import { CallPipeline } from './app/calls/call-pipeline';
import { captureCheckMsFrom, captureRecorder, type CaptureRecorder } from './app/capture-recorder';
import { createCredentials } from './app/credentials';
import { DEFAULT_BEELINE_API_URL, SETTINGS } from './contracts/settings';
import type { ProjectStore, RecordingSource } from './ports';
import { QUEUE_LANES, type QueueLane } from './contracts/queues';
import { recordLink } from './domain/record-links';
import { recordLinkTtlDaysFrom, required, settingFrom, settleSecondsFrom, type Environment } from './environment';
import { NotConnectedError, ProjectPbx, type PbxClientFactory } from './app/project-pbx';
import { SubscriptionService } from './app/subscription-service';

/** The stores call processing uses (the processor builds only these: its bundle has no room for the rest). */
export function processingStoresFrom(env: Environment) {
  return processingStoresOn(documentClientFrom(env), required(env, 'TABLE_NAME'));
}

function processingStoresOn(db: DynamoDBDocumentClient, table: string) {
  const clients = new DynamoClientStore(db, table);
  return {
    calls: new DynamoCallStore(db, table, clients),
    clients,
    projects: new DynamoProjectStore(db, table),
    pbx: new DynamoPbxStore(db, table),
    capture: new DynamoCaptureSink(db, table),
    events: new DynamoEventFeed(db, table),
  };
}

export type ProcessingStores = ReturnType<typeof processingStoresFrom>;

/** Every store, on one DynamoDB client. */
export function storesFrom(env: Environment) {
  const db = documentClientFrom(env);
  const table = required(env, 'TABLE_NAME');
  return {
    ...processingStoresOn(db, table),
    access: new DynamoAccessStore(db, table),
    callCounter: new DynamoCallCounter(db, table),
    idempotency: new DynamoIdempotencyStore<CallAnswer>(db, table),
    capture: new DynamoCaptureStore(db, table),
  };
}

/** Capture mode's recorder: the project's setting is read every `CAPTURE_CHECK_SECONDS` (default 30, at most 60). */
export function captureRecorderFrom(env: Environment, stores: Pick<ProcessingStores, 'capture'>, onError?: (error: unknown) => void): CaptureRecorder {
  return captureRecorder(stores.capture, { checkMs: captureCheckMsFrom(env), onError });
}

export type Stores = ReturnType<typeof storesFrom>;

/** Who is calling: the platform token (from its secret, with the previous value during a rotation) or a project key. */
export function credentialsFrom(env: Environment, stores: Pick<Stores, 'access'>, onTouchError?: (error: unknown) => void) {
  return createCredentials({
    platformTokens: secretVersionsFromEnvironment('ADMIN_TOKEN', env),
    keys: stores.access,
    keyCacheMs: settingFrom(env, SETTINGS.keyCacheSeconds) * 1000,
    onTouchError,
  });
}

/** The queues of the lanes a function sends to (each configured lane's URL is required). */
export function queueFrom(env: Environment, lanes: readonly QueueLane[] = ['live', 'work']) {
  const urls = Object.fromEntries(lanes.map((lane) => [lane, required(env, QUEUE_LANES[lane].envVar)]));
  return new SqsMessageQueue(sqsClientFrom(env), urls);
}

/** A PBX client factory: one per token, with the configured base URL and (default) timeout. */
export function pbxClientsFrom(env: Environment): PbxClientFactory {
  const baseUrl = env.BEELINE_API_URL || DEFAULT_BEELINE_API_URL;
  const defaultTimeoutMs = Number(env[SETTINGS.pbxTimeoutMs.env] ?? SETTINGS.pbxTimeoutMs.default);
  return (token, timeoutMs = defaultTimeoutMs, retries, observe) => new BeelinePbxClient({ baseUrl, token, timeoutMs, retries, observe });
}

/** A project's PBX clients; in capture mode their exchanges are kept, with the token redacted. */
export function projectPbxFrom(env: Environment, stores: Pick<ProcessingStores, 'pbx' | 'capture'>): ProjectPbx {
  const capture = captureRecorderFrom(env, stores);
  return new ProjectPbx(stores.pbx, cipherFrom(env, 'pbxTokens'), pbxClientsFrom(env), (projectId, token) => (exchange) => capture.pbx(projectId, exchange, [token]));
}

/**
 * Project settings change rarely and every finished call reads them: cached per process for a
 * short while (a changed time zone or messenger list applies to calls within 30 s).
 */
export function cachedProjects(store: ProjectStore, ttlMs = 30_000, now = Date.now): ProjectStore {
  const get = cachedFor(
    ttlMs,
    (projectId: string) => store.get(projectId),
    (projectId) => projectId,
    now,
  );
  return { get };
}

/** An abonent's recording setting changes rarely: asked once per 10 minutes per abonent and process. */
export function cachedRecordingSettings(read: (projectId: string, userId: string) => Promise<boolean>, ttlMs = 10 * 60_000, now = Date.now): (projectId: string, userId: string) => Promise<boolean> {
  return cachedFor(ttlMs, read, (projectId, userId) => `${projectId}\u0000${userId}`, now);
}

/** `read` with its answers kept for `ttlMs` per key, in a bounded per-process map. */
function cachedFor<A extends unknown[], V>(ttlMs: number, read: (...args: A) => Promise<V>, keyOf: (...args: A) => string, now: () => number): (...args: A) => Promise<V> {
  const cache = new Map<string, { value: V; at: number }>();
  return async (...args) => {
    const key = keyOf(...args);
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    const value = await read(...args);
    if (cache.size >= 10_000) cache.clear();
    cache.set(key, { value, at: now() });
    return value;
  };
}

/** Background PBX reads (recordings, statistics, recovery) wait longer than interactive ones (the PBX can take 15 s and more there), with one retry. */
const PBX_BACKGROUND_RETRIES = 1;

export function pbxBackgroundTimeoutMsFrom(env: Environment): number {
  return settingFrom(env, SETTINGS.pbxBackgroundTimeoutMs);
}

/** A project's PBX client for background reads (longer timeout, one retry). */
function backgroundPbxFrom(env: Environment, stores: Pick<ProcessingStores, 'pbx' | 'capture'>) {
  const backgroundTimeoutMs = pbxBackgroundTimeoutMsFrom(env);
  const projectPbx = projectPbxFrom(env, stores);
  return (projectId: string) => projectPbx.client(projectId, backgroundTimeoutMs, PBX_BACKGROUND_RETRIES);
}

/** Recordings at the PBX; a project that is not connected (any more) has none to look for, which is not a PBX failure. */
export function recordingSourceFrom(env: Environment, stores: Pick<ProcessingStores, 'pbx' | 'capture'>): RecordingSource {
  return recordingSourceOn(backgroundPbxFrom(env, stores));
}

function recordingSourceOn(background: ReturnType<typeof backgroundPbxFrom>): RecordingSource {
  const connected = (projectId: string) => background(projectId).catch((error: unknown) => (error instanceof NotConnectedError ? undefined : Promise.reject(error)));
  return {
    reference: async (projectId, extTrackingId, userId) => (await connected(projectId))?.recordReference(extTrackingId, userId),
    recordsCalls: cachedRecordingSettings(async (projectId, userId) => (await (await connected(projectId))?.recordingEnabled(userId)) ?? false),
  };
}

export function pipelineFrom(env: Environment, stores: ProcessingStores, now: () => number = Date.now) {
  const webhookKey = secretFromEnvironment('WEBHOOK_KEY', env);
  const background = backgroundPbxFrom(env, stores);
  const publicUrl = required(env, 'PUBLIC_URL').replace(/\/$/, '');
  const linkTtlDays = recordLinkTtlDaysFrom(env);
  return new CallPipeline({
    calls: stores.calls,
    clients: stores.clients,
    projects: cachedProjects(stores.projects),
    events: stores.events,
    queue: queueFrom(env),
    settleSeconds: settleSecondsFrom(env),
    recordings: {
      source: recordingSourceOn(background),
      linkFor: async (projectId, extTrackingId) => {
        const [key, generation] = await Promise.all([webhookKey(), stores.pbx.getRecordLinkGeneration(projectId)]);
        return `${publicUrl}${recordLink(key, projectId, extTrackingId, generation, now(), linkTtlDays).path}`;
      },
      firstDelaySeconds: settingFrom(env, SETTINGS.recordFirstDelaySeconds),
      giveUpSeconds: settingFrom(env, SETTINGS.recordGiveUpSeconds),
    },
    recovery: {
      history: {
        statistics: async (projectId, from, to) => (await background(projectId)).statistics(from, to),
        records: async (projectId, from, to) => (await background(projectId)).records(from, to),
      },
      windowSeconds: settingFrom(env, SETTINGS.recoveryWindowSeconds),
      lagSeconds: settingFrom(env, SETTINGS.recoveryLagSeconds),
    },
    now,
  });
}

export function subscriptionServiceFrom(env: Environment, stores: Pick<ProcessingStores, 'pbx' | 'capture'>, log?: (message: string, details: Record<string, unknown>) => void, now?: () => number) {
  return new SubscriptionService({
    store: stores.pbx,
    projectPbx: projectPbxFrom(env, stores),
    queue: queueFrom(env, ['work']),
    webhookKey: secretFromEnvironment('WEBHOOK_KEY', env),
    publicUrl: required(env, 'PUBLIC_URL'),
    log,
    now,
  });
}
