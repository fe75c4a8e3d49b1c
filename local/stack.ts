/**
 * The whole product on one machine: DynamoDB Local with the project's table, the SQS emulator
 * with the events, work and delivery queues and their DLQs, the same function code as on AWS
 * behind a small API Gateway stand-in, and pollers feeding the queues and the table's stream to
 * the functions (as their event sources do on AWS). No event bus: EventBridge is AWS's only.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { createHandler as createApiHandler } from '../functions/api';
import { createHandler as createCallbackHandler } from '../functions/callback';
import { createHandler as createConsoleHandler } from '../functions/console';
import { CONSOLE_LOOPBACK_MEDIA_ENV } from '../functions/commons/contracts/console';
import { createHandler as createDeliveryHandler } from '../functions/delivery';
import { createHandler as createRelayHandler } from '../functions/relay';
import type { DeliveryOutcome } from '../functions/commons/app/delivery/deliverer';
import { DELIVERY_LOOPBACK_ENV, DELIVERY_QUEUE_ENV } from '../functions/commons/contracts/events';
import { SETTINGS } from '../functions/commons/contracts/settings';
import { LOCAL_STAGE, STAGE_ENV } from '../functions/commons/contracts/metrics';
import type { DeliveryJob } from '../functions/commons/ports';
import type { Environment } from '../functions/commons/environment';
import { sqsClientFrom } from '../functions/commons/adapters/sqs-queue';
import { createHandler as createIngestHandler } from '../functions/ingest';
import { DEDICATED_ROUTES, type DedicatedFunction } from '../functions/commons/http/routes';
import { QUEUE_LANES } from '../functions/commons/contracts/queues';
import type { SQSEvent } from 'aws-lambda';
import type { FinalizedCall } from '../functions/commons/app/calls/call-pipeline';
import { createHandler as createProcessorHandler } from '../functions/processor';
import { createHandler as createSweeperHandler } from '../functions/sweeper';
import { createHandler as createSubscriptionHandler } from '../functions/subscription';
import { withProcessorFaults, type ProcessorFaults } from './fault-injection';
import { ensureTable, LOCAL_AWS, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb';
import { createGateway } from './gateway';
import { seedDefaultPbx, startPbxSimulator, type PbxSimulator } from './pbx-sim/index';
import { freePort } from './free-port';
import { QueuePoller } from './queue-poller';
import { employeeRecords, outboundEventRecords, StreamPoller } from './stream-poller';
import { startLocalQueues } from './sqs';
import { LOCAL_CIPHER_SECRET_ENV } from '../functions/commons/contracts/keys';

export interface LocalStackOptions {
  /** API port; 0 = any free port. */
  port?: number;
  host?: string;
  /** Where DynamoDB Local keeps data; `:memory:` keeps nothing. */
  dataDir?: string;
  /** DynamoDB Local's port when the stack starts it; default any free port. */
  dynamoPort?: number;
  /** Reuse a running DynamoDB Local (tests start one per run). */
  dynamoEndpoint?: string;
  tableName?: string;
  settleSeconds?: number;
  adminToken?: string;
  /** The previous platform token, accepted too (a rotation under way). */
  previousAdminToken?: string;
  webhookKey?: string;
  /** How long a function trusts a project key it has read (a revoked key works at most this long). */
  keyCacheSeconds?: number;
  /** How often functions read a project's capture setting (default 30 s). */
  captureCheckSeconds?: number;
  /** beeline_call starts allowed per project and window (default 30 per 60 s). */
  callRateLimit?: { calls: number; windowSeconds: number };
  /** Queue visibility timeout: how long a failed message waits before its retry. */
  visibilityTimeoutSeconds?: number;
  pollerConcurrency?: number;
  /** The PBX API base URL; unset = start the PBX simulator (on `simPort`) and use it. */
  beelineApiUrl?: string;
  /** PBX simulator port; 0 = any free port. */
  simPort?: number;
  /** Base of the webhook URLs given to the PBX; default the API's own URL. */
  publicUrl?: string;
  /** Local key for PBX tokens at rest (AWS uses KMS). */
  tokenKey?: string;
  /** Recording look-ups: first after this delay, then with back-off until the give-up time. */
  recordFirstDelaySeconds?: number;
  recordGiveUpSeconds?: number;
  /** How long record links work (default 30 days). */
  recordLinkTtlDays?: number;
  /** The event feed shows events this old (default 35 s; tests use less). */
  eventFeedLagSeconds?: number;
  /** Recovery of lost calls: how far back, and how old a call must be before it counts as lost. */
  recoveryWindowSeconds?: number;
  recoveryLagSeconds?: number;
  /** How often the recovery of lost calls runs (EventBridge schedule on AWS). */
  recoverySweepSeconds?: number;
  /** Outbound delivery: how long a receiver may take (default 10 s), the first retry's delay (default 5 s, ×4 each time), when to give up (default 24 h). */
  deliveryTimeoutSeconds?: number;
  deliveryRetryBaseSeconds?: number;
  deliveryGiveUpSeconds?: number;
  /** How often the renewal sweep runs (EventBridge schedule on AWS). */
  renewSweepSeconds?: number;
  /** One line per call as it is processed, and per simulator action. */
  console?: (line: string) => void;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  onError?: (error: unknown) => void;
  /** Soak only: the processor's clock (simulated time: a replay a day later, a long outage). */
  processorClock?: () => number;
  /** Test only: the processor fails a random share of each batch's records (local/fault-injection.ts). */
  processorFaults?: ProcessorFaults;
}

export interface LocalStack {
  apiUrl: string;
  port: number;
  env: Environment;
  queueUrl: string;
  /** PBX work: recovery, recording look-ups, subscriptions. */
  workQueueUrl: string;
  deadLetterQueueUrl: string;
  deliveryQueueUrl: string;
  /** The PBX API base URL the functions use. */
  pbxUrl: string;
  /** Present when the stack started the simulator itself. */
  simulator?: PbxSimulator;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    let dynamo: DynamoDbLocal | undefined;
    let dynamoEndpoint = options.dynamoEndpoint;
    if (!dynamoEndpoint) {
      dynamo = await startDynamoDbLocal({ dataDir: options.dataDir ?? '.data', port: options.dynamoPort });
      stops.push(() => dynamo!.stop());
      dynamoEndpoint = dynamo.endpoint;
    }
    const tableName = options.tableName ?? 'beeline-telephony';
    await ensureTable(dynamoEndpoint, tableName);

    let simulator: PbxSimulator | undefined;
    let pbxUrl = options.beelineApiUrl;
    if (!pbxUrl) {
      simulator = await startPbxSimulator({ port: options.simPort ?? 3001, host: options.host ?? '127.0.0.1' });
      stops.push(() => simulator!.close());
      await seedDefaultPbx(simulator);
      pbxUrl = simulator.url;
    }

    const dataDir = options.dataDir ?? '.data';
    const queues = await startLocalQueues({
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      stateFile: options.dynamoEndpoint || dataDir === ':memory:' ? undefined : join(dataDir, 'queues.json'),
    });
    stops.push(() => queues.stop());

    const env: Environment = {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_SQS: queues.endpoint,
      TABLE_NAME: tableName,
      [STAGE_ENV]: LOCAL_STAGE,
      [QUEUE_LANES.live.envVar]: queues.queueUrl,
      [QUEUE_LANES.work.envVar]: queues.workQueueUrl,
      CALL_SETTLE_SECONDS: String(options.settleSeconds ?? 15),
      ADMIN_TOKEN: options.adminToken ?? 'local-admin-token',
      ADMIN_TOKEN_PREVIOUS: options.previousAdminToken,
      WEBHOOK_KEY: options.webhookKey ?? 'local-webhook-key',
      KEY_CACHE_SECONDS: options.keyCacheSeconds === undefined ? undefined : String(options.keyCacheSeconds),
      CAPTURE_CHECK_SECONDS: options.captureCheckSeconds === undefined ? undefined : String(options.captureCheckSeconds),
      CALL_RATE_LIMIT: options.callRateLimit && String(options.callRateLimit.calls),
      CALL_RATE_WINDOW_SECONDS: options.callRateLimit && String(options.callRateLimit.windowSeconds),
      BEELINE_API_URL: pbxUrl,
      [LOCAL_CIPHER_SECRET_ENV]: options.tokenKey ?? 'local-token-key',
      PBX_TIMEOUT_MS: '5000',
      RECORD_FIRST_DELAY_SECONDS: String(options.recordFirstDelaySeconds ?? 90),
      RECORD_GIVE_UP_SECONDS: String(options.recordGiveUpSeconds ?? 1200),
      RECORD_LINK_TTL_DAYS: options.recordLinkTtlDays === undefined ? undefined : String(options.recordLinkTtlDays),
      EVENT_FEED_LAG_SECONDS: options.eventFeedLagSeconds === undefined ? undefined : String(options.eventFeedLagSeconds),
      RECOVERY_WINDOW_SECONDS: String(options.recoveryWindowSeconds ?? 7200),
      RECOVERY_LAG_SECONDS: String(options.recoveryLagSeconds ?? 300),
      [DELIVERY_QUEUE_ENV]: queues.deliveryQueueUrl,
      // Receivers on this machine (http://127.0.0.1:…) are what local use needs; AWS never sets it.
      [DELIVERY_LOOPBACK_ENV]: 'true',
      [SETTINGS.deliveryTimeoutSeconds.env]: options.deliveryTimeoutSeconds === undefined ? undefined : String(options.deliveryTimeoutSeconds),
      [SETTINGS.deliveryRetryBaseSeconds.env]: options.deliveryRetryBaseSeconds === undefined ? undefined : String(options.deliveryRetryBaseSeconds),
      [SETTINGS.deliveryGiveUpSeconds.env]: options.deliveryGiveUpSeconds === undefined ? undefined : String(options.deliveryGiveUpSeconds),
    };
    // The SDK reads credentials from the process environment; local endpoints accept any.
    process.env.AWS_ACCESS_KEY_ID ??= LOCAL_AWS.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_AWS.credentials.secretAccessKey;
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    // EMF metrics go to CloudWatch on AWS; locally they would only clutter the console.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

    const logger = (serviceName: string) => new Logger({ serviceName, logLevel: options.logLevel ?? 'WARN' });
    const onError = options.onError ?? ((error: unknown) => console.error('local stack:', error));
    const host = options.host ?? '127.0.0.1';
    // Chosen before the functions are built: webhook URLs given to the PBX carry it.
    const port = options.port === 0 ? await freePort() : (options.port ?? 3000);
    env.PUBLIC_URL = options.publicUrl ?? `http://${host}:${port}`;

    const print = options.console;
    const processor = createProcessorHandler(env, {
      logger: logger('beeline-processor'),
      now: options.processorClock,
      onCallFinalized: print && ((call) => print(describeCall(call))),
    });
    const handler = options.processorFaults ? withProcessorFaults((event) => processor(event), options.processorFaults) : (event: SQSEvent) => processor(event);
    const concurrency = options.pollerConcurrency ?? 2;
    for (const queueUrl of [queues.queueUrl, queues.workQueueUrl]) {
      const poller = new QueuePoller({ sqs: sqsClientFrom(env), queueUrl, handler, concurrency, onError });
      if (concurrency === 0) continue;
      poller.start();
      stops.push(() => poller.stop());
    }

    const delivery = createDeliveryHandler(env, { logger: logger('beeline-delivery'), onOutcome: print && ((job, outcome) => printed(print, describeDelivery(job, outcome))) });
    const deliveries = new QueuePoller({ sqs: sqsClientFrom(env), queueUrl: queues.deliveryQueueUrl, handler: delivery, concurrency: Math.max(concurrency, 2), onError });
    if (concurrency > 0) {
      deliveries.start();
      stops.push(() => deliveries.stop());
    }

    // The table's stream, to its two consumers (each with its filter, as their event source mappings).
    const subscription = createSubscriptionHandler(env, { logger: logger('beeline-subscription') });
    const relay = createRelayHandler(env, { logger: logger('beeline-relay') });
    for (const [filter, handler] of [
      [employeeRecords, subscription],
      [outboundEventRecords, relay],
    ] as const) {
      const stream = new StreamPoller({ endpoint: dynamoEndpoint, tableName, filter, handler: (event) => handler(event), onError });
      await stream.start();
      stops.push(() => stream.stop());
    }

    const sweeper = createSweeperHandler(env, { logger: logger('beeline-sweeper') });
    // Two schedules, as on AWS: renewals often, recovery (which reads the PBX's history) less often.
    const renewals = setInterval(() => void sweeper({ task: 'renew' }).catch(onError), (options.renewSweepSeconds ?? 60) * 1000);
    const recoveries = setInterval(() => void sweeper({ task: 'recover' }).catch(onError), (options.recoverySweepSeconds ?? 300) * 1000);
    stops.push(async () => {
      clearInterval(renewals);
      clearInterval(recoveries);
    });

    const ingest = createIngestHandler(env, { logger: logger('beeline-ingest') });
    const api = createApiHandler(env, { logger: logger('beeline-api') });
    const callback = createCallbackHandler(env, { logger: logger('beeline-callback') });
    // Recordings play from the simulator over loopback http.
    const consoleSite = createConsoleHandler({ ...env, [CONSOLE_LOOPBACK_MEDIA_ENV]: 'true' }, { logger: logger('beeline-console') });
    const dedicated = { ingest, callback, console: consoleSite } satisfies Record<DedicatedFunction, unknown>;
    const server = createGateway(
      [
        // As API Gateway routes them: the dedicated routes to their functions, the rest ($default) to the api function.
        ...DEDICATED_ROUTES.map((route) => ({ method: route.method, pattern: route.path, handler: dedicated[route.servedBy] })),
      ],
      api,
      onError,
    );
    server.listen(port, host);
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new Error(`port ${port} is in use: stop what runs there or set PORT`) : error;
      }),
    ]);
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return {
      apiUrl: `http://${host}:${port}`,
      port,
      env,
      queueUrl: queues.queueUrl,
      workQueueUrl: queues.workQueueUrl,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      deliveryQueueUrl: queues.deliveryQueueUrl,
      pbxUrl,
      simulator,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** One readable console line per processed call. */
export function describeCall({ projectId, summary, clientId }: FinalizedCall): string {
  const client = summary.clientPhone ? `client ${summary.clientPhone}${clientId ? ` (${clientId})` : ''}` : 'no client';
  return `call ${summary.direction.toLowerCase()} ${summary.outcome}: ${client}, operator ${summary.operatorPhone ?? '-'} [project ${projectId}]`;
}

/** One console line per delivery attempt (none for a job that only waited or had nothing to do). */
export function describeDelivery(job: DeliveryJob, outcome: DeliveryOutcome): string | undefined {
  const what = `delivery ${job.type} ${job.eventId}`;
  const where = `[project ${job.projectId}]`;
  switch (outcome.kind) {
    case 'delivered':
      return `${what}: delivered (HTTP ${outcome.status}, attempt ${outcome.attempts}) ${where}`;
    case 'retrying':
      return `${what}: ${outcome.error}, retry at ${new Date(outcome.nextAt).toISOString()} (attempt ${outcome.attempts}) ${where}`;
    case 'failed':
      return `${what}: failed after ${outcome.attempts} attempts (${outcome.error}) ${where}`;
    default:
      return undefined;
  }
}

function printed(print: (line: string) => void, line: string | undefined): void {
  if (line !== undefined) print(line);
}
