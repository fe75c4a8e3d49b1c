import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnRoute, type CfnStage, HttpApi, type HttpRoute, HttpMethod, type HttpStage, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEDICATED_ROUTES, type DedicatedFunction, ROUTES, type RouteSpec } from '../functions/commons/http/routes.js';
import { FUNCTIONS } from '../functions/commons/contracts/functions.js';
import { METRICS_NAMESPACE } from '../functions/commons/contracts/metrics.js';
import { QUEUE_LANES } from '../functions/commons/contracts/queues.js';
import { RECOVER_INPUT, RENEW_INPUT } from '../functions/commons/contracts/schedules.js';
import { MAX_RECEIVE_COUNT } from '../functions/commons/contracts/sqs.js';
import { EMPLOYEE_STREAM_FILTER } from '../functions/commons/contracts/stream.js';
import { DELIVERY_QUEUE_ENV, EVENT_BUS_ENV, EVENT_BUS_SOURCE, OUTBOUND_EVENT_STREAM_FILTER } from '../functions/commons/contracts/events.js';
import { SETTINGS } from '../functions/commons/contracts/settings.js';
import { API_FUNCTION_TIMEOUT_SECONDS, readConfig, type TelephonyConfig } from './config.js';
import { TelephonyFunction } from './function.js';
import { TelephonyMonitoring } from './monitoring.js';
import { acknowledge } from './nag.js';
import { tableFromDefinition } from './table.js';

/** Processor timeout; the events queue's visibility timeout is derived from it. */
export const PROCESSOR_TIMEOUT = Duration.seconds(30);
/** AWS guidance for SQS event sources: visibility timeout ≥ 6 × function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/**
 * The work queue (PBX work: recovery, recording look-ups, subscriptions) feeds the processor
 * with at most this many batches at a time: PBX work never takes the concurrency live events
 * need, and the PBX sees a bounded number of background requests.
 */
export const WORK_MAX_CONCURRENCY = 5;
/** Small batches: each message may wait on the PBX for up to two background timeouts. */
export const WORK_BATCH_SIZE = 5;
export const WEBHOOK_ROUTE_PATH = ROUTES.webhook.path;
/** `beeline_call` from bots: its own function (short budget, few grants) instead of the platform API. */
export const CALLBACK_ROUTE_PATH = ROUTES.beelineCall.path;
/**
 * Platform API timeout: it makes PBX reads (up to 3 attempts × PBX_TIMEOUT_MS plus back-off)
 * inside HTTP API requests, whose integration limit is 30 s; see API_FUNCTION_TIMEOUT_SECONDS
 * and MAX_PBX_ATTEMPT_TIMEOUT_MS in lib/config.ts.
 */
export const API_TIMEOUT = Duration.seconds(API_FUNCTION_TIMEOUT_SECONDS);
/** Callback timeout; the handler answers within its own 4.5 s budget. */
export const CALLBACK_TIMEOUT = Duration.seconds(10);
/** Subscription (stream consumer) timeout. */
export const SUBSCRIPTION_TIMEOUT = Duration.seconds(30);
/** Renewal sweep timeout. */
export const RENEWER_TIMEOUT = Duration.seconds(60);
/** Stream retries of a failed batch (bisected) before it is reported to the stream DLQ. */
export const STREAM_RETRY_ATTEMPTS = 5;

/**
 * The stream filter of the subscription function: employee items (`sk` beginning with
 * EMPLOYEE_STREAM_FILTER.sortKeyPrefix) only, so its own writes of subscription state never
 * trigger it again.
 */
export function employeeStreamFilter(): Record<string, unknown> {
  return FilterCriteria.filter({ dynamodb: { Keys: { sk: { S: FilterRule.beginsWith(EMPLOYEE_STREAM_FILTER.sortKeyPrefix) } } } });
}

/** The relay's stream filter: new outbound event items only (OUTBOUND_EVENT_STREAM_FILTER). */
export function outboundEventStreamFilter(): Record<string, unknown> {
  const { eventName, attribute, value } = OUTBOUND_EVENT_STREAM_FILTER;
  return FilterCriteria.filter({ eventName: FilterRule.isEqual(eventName), dynamodb: { NewImage: { [attribute]: { S: FilterRule.isEqual(value) } } } });
}

/** Delivery: a batch probes a failing receiver once (≤ 10 s) and sends the rest together (≤ 10 s), well within this. */
export const DELIVERY_TIMEOUT = Duration.seconds(60);
/**
 * At most this many delivery batches at a time: receivers are outside AWS, so a burst of events
 * never takes the account's concurrency from call processing; a failing receiver is paused as a
 * whole (one probe per pause), so it cannot hold these either.
 */
export const DELIVERY_MAX_CONCURRENCY = 10;
/** Every queue keeps messages for SQS's maximum, 14 days: a queue never drops what its DLQ would keep. */
export const QUEUE_RETENTION = Duration.days(14);

export interface BeelineTelephonyStackProps extends StackProps {
  /** @default read from CDK context (see lib/config.ts) */
  readonly config?: TelephonyConfig;
}

/**
 * Beeline Cloud PBX telephony: HTTP API → ingest → SQS → processor → DynamoDB, plus the
 * platform API function, and the subscription lifecycle: employee changes on the table's
 * stream → subscription function → PBX; a scheduled sweeper queues due renewals and recoveries;
 * the callback function starts calls at the PBX for bots (`beeline_call`).
 */
export class BeelineTelephonyStack extends Stack {
  public readonly config: TelephonyConfig;
  public readonly table: Table;
  public readonly eventsQueue: Queue;
  /** PBX work (recovery, recording look-ups, subscriptions), apart from live call events. */
  public readonly workQueue: Queue;
  /** Dead letters of both queues. */
  public readonly deadLetterQueue: Queue;
  /** On-failure destination of the subscription function's stream (batch metadata, not items). */
  public readonly subscriptionStreamDlq: Queue;
  public readonly webhookKeySecret: Secret;
  public readonly adminTokenSecret: Secret;
  /** Encrypts PBX API tokens at rest (encryption context `{ projectId }`). */
  public readonly tokenKey: Key;
  public readonly deliveryKey: Key;
  public readonly ingestFunction: TelephonyFunction;
  public readonly processorFunction: TelephonyFunction;
  public readonly apiFunction: TelephonyFunction;
  public readonly subscriptionFunction: TelephonyFunction;
  public readonly sweeperFunction: TelephonyFunction;
  /** `POST /projects/{projectId}/beeline/call` (click-to-call). */
  public readonly callbackFunction: TelephonyFunction;
  /** Table stream (outbound events) → delivery queue and event bus. */
  public readonly relayFunction: TelephonyFunction;
  /** Delivery queue → the projects' receivers (signed POSTs, back-off). */
  public readonly deliveryFunction: TelephonyFunction;
  /** The admin console (GET /console and its files): static, no data access. */
  public readonly consoleFunction: TelephonyFunction;
  /** Delivery jobs (their retries wait here as delayed messages). */
  public readonly deliveryQueue: Queue;
  /** Delivery jobs whose function failed 5 times (not failing receivers: those are retried by the function). */
  public readonly deliveryDlq: Queue;
  /** Every outbound event, for AWS-side consumers (`detail-type` = the event's type). */
  public readonly eventBus: EventBus;
  /** `{"task":"renew"}` every renewSweepMinutes: due renewals, retries, the quiet-employee check. */
  public readonly renewalSchedule: Rule;
  /** `{"task":"recover"}` every recoveryMinutes: lost-call recovery per connected project. */
  public readonly recoverySchedule: Rule;
  /** Alarms, alarm topic and dashboard. */
  public readonly monitoring: TelephonyMonitoring;
  public readonly httpApi: HttpApi;
  public readonly httpStage: HttpStage;
  /** Base of the webhook URLs the functions register at the PBX (`PUBLIC_URL`, no trailing slash). */
  public readonly publicUrl: string;

  public constructor(scope: Construct, id: string, props: BeelineTelephonyStackProps = {}) {
    super(scope, id, {
      description: 'Beeline Cloud PBX telephony module (webhooks, events queue, processor, platform API, PBX subscriptions)',
      ...props,
    });
    const config = props.config ?? readConfig(this);
    this.config = config;
    this.templateOptions.description = `${this.templateOptions.description} · stage ${config.stage} · settings ${config.settingsFile ?? 'defaults and context only'}`;
    Tags.of(this).add('service', 'beeline-telephony');
    Tags.of(this).add('stage', config.stage);

    // ---- Data --------------------------------------------------------------------------------
    this.table = tableFromDefinition(this, 'Table');

    // ---- Queues ------------------------------------------------------------------------------
    this.deadLetterQueue = new Queue(this, 'EventsDlq', {
      retentionPeriod: QUEUE_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    // (AwsSolutions-SQS3 recognises it as the events queue's DLQ by the redrive policy: nothing to acknowledge.)
    const processorQueue = {
      // As long as its DLQ keeps messages (SQS's maximum): an event waiting out an outage is never dropped for age.
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * PROCESSOR_TIMEOUT.toSeconds()),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    };
    this.eventsQueue = new Queue(this, 'EventsQueue', processorQueue);
    // Its own DLQ: a delivery job is not a processor message (the events DLQ's replay would refuse it).
    this.deliveryDlq = new Queue(this, 'DeliveryDlq', { retentionPeriod: QUEUE_RETENTION, encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
    this.deliveryQueue = new Queue(this, 'DeliveryQueue', {
      ...processorQueue,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * DELIVERY_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: this.deliveryDlq, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.workQueue = new Queue(this, 'WorkQueue', processorQueue);
    this.subscriptionStreamDlq = new Queue(this, 'SubscriptionStreamDlq', {
      retentionPeriod: QUEUE_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(
      this.subscriptionStreamDlq,
      'AwsSolutions-SQS3',
      "This queue is the on-failure destination (a dead-letter queue) of the subscription function's table-stream source; " +
        'it is read by operators only, so it needs no DLQ itself. The subscription-stream-dlq-not-empty alarm fires on its first message.',
    );

    // ---- Keys --------------------------------------------------------------------------------
    this.tokenKey = new Key(this, 'TokenKey', {
      description: `Beeline telephony (${config.stage}): PBX API tokens at rest`,
      alias: `alias/beeline-telephony-${config.stage}-tokens`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN, // losing it would make every stored token unreadable
    });
    this.deliveryKey = new Key(this, 'DeliveryKey', {
      description: `Beeline telephony (${config.stage}): the outbound receivers' signing secrets at rest`,
      alias: `alias/beeline-telephony-${config.stage}-delivery-secrets`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN, // losing it would make every receiver's secret unreadable
    });

    // ---- Secrets (generated at deploy time; never in the template) ---------------------------
    this.webhookKeySecret = new Secret(this, 'WebhookKey', {
      description: 'Beeline telephony: key deriving per-project webhook URL secrets (HMAC)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.webhookKeySecret,
      'AwsSolutions-SMG4',
      "Not rotated automatically: every project's webhook URL secret is an HMAC under this key, so a new key changes every URL " +
        'registered at the PBX and events would be rejected until all subscriptions are re-registered. Rotation is a planned operation.',
    );
    this.adminTokenSecret = new Secret(this, 'AdminToken', {
      description: 'Beeline telephony: bearer token of the platform API (/projects/...)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.adminTokenSecret,
      'AwsSolutions-SMG4',
      'Not rotated automatically: this bearer token is configured in the calling platform (outside AWS), which a rotation Lambda cannot ' +
        'update; a rotation would cut the platform off. Rotate it by hand together with the platform (put-secret-value, then update the platform).',
    );

    // ---- Functions ---------------------------------------------------------------------------
    const common = { logLevel: config.logLevel, stage: config.stage };
    /** Functions that talk to the PBX API. */
    const pbxEnvironment = { BEELINE_API_URL: config.beelineApiUrl, [SETTINGS.pbxTimeoutMs.env]: String(config.pbxTimeoutMs) };

    this.ingestFunction = new TelephonyFunction(this, 'Ingest', {
      ...common,
      ...FUNCTIONS.ingest,
      description: 'Beeline PBX webhooks: validate, queue',
      timeout: Duration.seconds(10),
      reservedConcurrency: config.concurrency.ingestReserved,
    })
      .bindQueueSender(this.eventsQueue)
      // The project's webhook secret generations (read once a minute per project); in capture mode
      // it keeps webhook bodies, with UpdateItem only.
      .bindTable(this.table, 'readUpdate')
      .bindSecretReader(this.webhookKeySecret, 'WEBHOOK_KEY_SECRET_ARN');

    this.processorFunction = new TelephonyFunction(this, 'Processor', {
      ...common,
      ...FUNCTIONS.processor,
      description: 'Beeline PBX events: match clients, track calls, write variables',
      timeout: PROCESSOR_TIMEOUT,
      memorySize: 512,
      environment: {
        [SETTINGS.callSettleSeconds.env]: String(config.callSettleSeconds),
        [SETTINGS.recordFirstDelaySeconds.env]: String(config.recordFirstDelaySeconds),
        [SETTINGS.recordGiveUpSeconds.env]: String(config.recordGiveUpSeconds),
        [SETTINGS.recordLinkTtlDays.env]: String(config.recordLinkTtlDays),
        [SETTINGS.recoveryWindowSeconds.env]: String(config.recoveryWindowSeconds),
        [SETTINGS.recoveryLagSeconds.env]: String(config.recoveryLagSeconds),
        [SETTINGS.pbxBackgroundTimeoutMs.env]: String(config.pbxBackgroundTimeoutMs),
        ...pbxEnvironment,
      },
    })
      .bindTable(this.table, 'readWrite')
      .bindQueueSender(this.eventsQueue) // delayed "settle" messages
      .bindQueueSender(this.workQueue, QUEUE_LANES.work.envVar) // look-ups, recovery pages, re-subscriptions
      .bindKey(this.tokenKey, 'pbxTokens')
      .bindSecretReader(this.webhookKeySecret, 'WEBHOOK_KEY_SECRET_ARN'); // (re)subscribing builds webhook URLs
    this.processorFunction.addEventSource(
      new SqsEventSource(this.eventsQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        maxConcurrency: config.concurrency.eventsMax,
        reportBatchItemFailures: true,
      }),
    );
    this.processorFunction.addEventSource(
      new SqsEventSource(this.workQueue, {
        batchSize: WORK_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(1),
        maxConcurrency: WORK_MAX_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );

    this.apiFunction = new TelephonyFunction(this, 'Api', {
      ...common,
      ...FUNCTIONS.api,
      description: 'Platform API (/projects/...), recording links (/records/...) and 404 for anything else',
      // PBX reads (3 attempts × PBX_TIMEOUT_MS ≤ 8 s, plus back-off) must fit; 29 s ends before
      // the HTTP API's 30 s integration limit, so the function answers (and logs) instead of a 503.
      timeout: API_TIMEOUT,
      environment: { ...pbxEnvironment, [SETTINGS.recordLinkTtlDays.env]: String(config.recordLinkTtlDays) },
    })
      .bindTable(this.table, 'readWrite')
      // The subscription service it composes queues subscription retries and re-subscriptions.
      .bindQueueSender(this.workQueue, QUEUE_LANES.work.envVar)
      .bindKey(this.tokenKey, 'pbxTokens', 'encryptDecrypt') // the only function that stores (encrypts) tokens
      .bindKey(this.deliveryKey, 'deliverySecrets', 'encryptDecrypt') // and receivers' secrets
      .bindSecretReader(this.adminTokenSecret, 'ADMIN_TOKEN_SECRET_ARN')
      .bindSecretReader(this.webhookKeySecret, 'WEBHOOK_KEY_SECRET_ARN');

    this.subscriptionFunction = new TelephonyFunction(this, 'Subscription', {
      ...common,
      ...FUNCTIONS.subscription,
      description: 'Employee changes (table stream) → PBX webhook subscriptions',
      timeout: SUBSCRIPTION_TIMEOUT,
      memorySize: 256,
      environment: pbxEnvironment,
    })
      .bindTable(this.table, 'readWrite')
      .bindQueueSender(this.workQueue, QUEUE_LANES.work.envVar) // failed (re)subscriptions are retried through the work queue
      .bindKey(this.tokenKey, 'pbxTokens')
      .bindSecretReader(this.webhookKeySecret, 'WEBHOOK_KEY_SECRET_ARN');
    this.subscriptionFunction.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: STREAM_RETRY_ATTEMPTS,
        reportBatchItemFailures: true,
        filters: [employeeStreamFilter()],
        onFailure: new SqsDlq(this.subscriptionStreamDlq),
      }),
    );

    this.callbackFunction = new TelephonyFunction(this, 'Callback', {
      ...common,
      ...FUNCTIONS.callback,
      description: 'beeline_call: starts a call at the PBX for bots (POST /projects/{projectId}/beeline/call)',
      timeout: CALLBACK_TIMEOUT,
      memorySize: 256,
      reservedConcurrency: config.concurrency.callbackReserved,
      environment: {
        ...pbxEnvironment,
        CLICK_TO_CALL_NUMBER_FORMAT: config.clickToCallNumberFormat,
        [SETTINGS.callRateLimit.env]: String(config.callRateLimit.calls),
        [SETTINGS.callRateWindowSeconds.env]: String(config.callRateLimit.windowSeconds),
      },
    })
      // Reads the project's connection item and decrypts its token, checks project keys (and notes
      // their last use), counts calls for the per-project rate limit: no queue, no webhook key.
      .bindTable(this.table, 'readUpdate')
      .bindKey(this.tokenKey, 'pbxTokens')
      .bindSecretReader(this.adminTokenSecret, 'ADMIN_TOKEN_SECRET_ARN');

    this.sweeperFunction = new TelephonyFunction(this, 'Sweeper', {
      ...common,
      ...FUNCTIONS.sweeper,
      description: 'Scheduled: queues due subscription renewals and checks for quiet employees (renew), queues a lost-call recovery per connected project (recover)',
      timeout: RENEWER_TIMEOUT,
      environment: { [SETTINGS.quietPeriodSeconds.env]: String(config.quietPeriodHours * 3600) },
    })
      .bindTable(this.table, 'read') // queries the gsi1 index (due renewals, connected projects); writes nothing
      .bindQueueSender(this.workQueue, QUEUE_LANES.work.envVar);
    this.renewalSchedule = new Rule(this, 'RenewalSchedule', {
      description: 'Beeline telephony: subscription renewals and the quiet-employee check (sweeper, task "renew")',
      schedule: Schedule.rate(Duration.minutes(config.renewSweepMinutes)),
      targets: [new LambdaFunction(this.sweeperFunction, { event: RuleTargetInput.fromObject(RENEW_INPUT) })],
    });
    this.recoverySchedule = new Rule(this, 'RecoverySchedule', {
      description: 'Beeline telephony: recovery of calls whose webhooks were lost (sweeper, task "recover")',
      schedule: Schedule.rate(Duration.minutes(config.recoveryMinutes)),
      targets: [new LambdaFunction(this.sweeperFunction, { event: RuleTargetInput.fromObject(RECOVER_INPUT) })],
    });

    // ---- Outbound events ---------------------------------------------------------------------
    this.eventBus = new EventBus(this, 'OutboundEvents', { eventBusName: `beeline-telephony-${config.stage}-events` });
    this.relayFunction = new TelephonyFunction(this, 'Relay', {
      ...common,
      ...FUNCTIONS.relay,
      description: 'Outbound events (table stream) → delivery queue and the event bus',
      timeout: SUBSCRIPTION_TIMEOUT,
      environment: { [EVENT_BUS_ENV]: this.eventBus.eventBusName },
    })
      .bindTable(this.table, 'read') // the project's receiver settings
      .bindQueueSender(this.deliveryQueue, DELIVERY_QUEUE_ENV);
    this.eventBus.grantPutEventsTo(this.relayFunction);
    this.relayFunction.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        retryAttempts: STREAM_RETRY_ATTEMPTS,
        reportBatchItemFailures: true,
        filters: [outboundEventStreamFilter()],
        onFailure: new SqsDlq(this.subscriptionStreamDlq),
      }),
    );
    this.deliveryFunction = new TelephonyFunction(this, 'Delivery', {
      ...common,
      ...FUNCTIONS.delivery,
      description: "Delivery queue → signed POSTs to the projects' receivers (Standard Webhooks), retried with back-off for 24 h",
      timeout: DELIVERY_TIMEOUT,
      environment: {
        [SETTINGS.deliveryTimeoutSeconds.env]: String(SETTINGS.deliveryTimeoutSeconds.default),
        [SETTINGS.deliveryRetryBaseSeconds.env]: String(SETTINGS.deliveryRetryBaseSeconds.default),
        [SETTINGS.deliveryGiveUpSeconds.env]: String(SETTINGS.deliveryGiveUpSeconds.default),
      },
    })
      .bindTable(this.table, 'readWrite') // receiver settings and health, delivery records
      .bindQueueSender(this.deliveryQueue, DELIVERY_QUEUE_ENV) // retries
      .bindKey(this.deliveryKey, 'deliverySecrets'); // the receivers' signing secrets, never a PBX token
    this.deliveryFunction.addEventSource(
      new SqsEventSource(this.deliveryQueue, { batchSize: 10, maxBatchingWindow: Duration.seconds(1), maxConcurrency: DELIVERY_MAX_CONCURRENCY, reportBatchItemFailures: true }),
    );

    this.consoleFunction = new TelephonyFunction(this, 'Console', {
      ...common,
      ...FUNCTIONS.console,
      description: 'The admin console: GET /console and its script and style sheet (static, no data access)',
      timeout: Duration.seconds(5),
      memorySize: 128,
    });

    // ---- HTTP API ----------------------------------------------------------------------------
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `beeline-telephony-${config.stage}`,
      description: 'Beeline telephony: PBX webhooks, platform API, recording links and beeline_call',
      createDefaultStage: false,
      // $default: everything not matched below, so unknown paths get the api function's JSON 404.
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', this.apiFunction, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
    // After the API (no dependency cycle: the functions reference the API, the API's resource
    // references no function; the integrations, routes and permissions reference both).
    // $default stage: the endpoint has no stage path prefix.
    this.publicUrl = config.publicUrl ?? this.httpApi.apiEndpoint;
    for (const fn of [this.apiFunction, this.processorFunction, this.subscriptionFunction]) fn.addEnvironment('PUBLIC_URL', this.publicUrl);
    // The dedicated routes of the route table, each to its function; no API Gateway authorizer on
    // any of them: each is authenticated by its function (AwsSolutions-APIG4).
    const dedicated: Record<DedicatedFunction, { integration: HttpLambdaIntegration; why: string }> = {
      ingest: {
        integration: new HttpLambdaIntegration('IngestIntegration', this.ingestFunction, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
        why:
          'The Beeline PBX calls this webhook with no Authorization header (its subscriptions take a bare URL). The path carries a ' +
          'per-project secret, an HMAC of the project id under a key in Secrets Manager, which the ingest function checks in constant time ' +
          'before anything is queued; the access logs record the route key, never the path.',
      },
      callback: {
        integration: new HttpLambdaIntegration('CallbackIntegration', this.callbackFunction, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
        why:
          'beeline_call from bots: the callback function checks the platform bearer token (Secrets Manager) in constant time before it reads ' +
          'or calls anything; a Lambda authorizer would add a second invocation and latency to a call the bot waits for (4.5 s budget).',
      },
      console: {
        integration: new HttpLambdaIntegration('ConsoleIntegration', this.consoleFunction, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
        why:
          'The admin console page and its two static files: nothing secret is served (the page signs in against the platform API, whose ' +
          'every route checks the credential in its function); the console function reads no data and has no rights beyond its log group.',
      },
    };
    const routesOf = new Map<RouteSpec, HttpRoute[]>(
      DEDICATED_ROUTES.map((spec) => {
        const { integration, why } = dedicated[spec.servedBy];
        const routes = this.httpApi.addRoutes({ path: spec.path, methods: [HttpMethod[spec.method]], integration });
        for (const route of routes) acknowledge(route, 'AwsSolutions-APIG4', why);
        return [spec, routes] as const;
      }),
    );
    const defaultRoute = this.httpApi.node.findChild('DefaultRoute');
    acknowledge(
      defaultRoute,
      'AwsSolutions-APIG4',
      'The $default route serves the platform API (/projects/...), whose function checks the bearer token (Secrets Manager) in constant ' +
        'time on every request; stable recording links (/records/..., no bearer because they sit in a client variable and are opened ' +
        'from the CRM) carry an HMAC signature checked in constant time; anything else gets a JSON 404.',
    );

    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.httpStage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.apiThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // routeKey, not path: webhook paths carry the per-project secret, which must not be logged.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            httpMethod: '$context.httpMethod',
            routeKey: '$context.routeKey',
            protocol: '$context.protocol',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationStatus: '$context.integration.status',
            integrationLatency: '$context.integration.latency',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });

    // The webhook route is throttled apart from the platform API, so a burst of platform calls
    // cannot throttle PBX deliveries (which are lost when refused).
    const cfnStage = this.httpStage.node.defaultChild as CfnStage;
    // A raw JSON map in CloudFormation's own spelling (the L1 property is untyped and not converted).
    cfnStage.addPropertyOverride('RouteSettings', {
      [`${ROUTES.webhook.method} ${ROUTES.webhook.path}`]: {
        ThrottlingRateLimit: config.webhookThrottle.rateLimit,
        ThrottlingBurstLimit: config.webhookThrottle.burstLimit,
      },
    });
    for (const route of routesOf.get(ROUTES.webhook) ?? []) cfnStage.addDependency(route.node.defaultChild as CfnRoute);
    // Refused webhooks, from the access logs: API Gateway's own 429s never reach the ingest function.
    const webhookRefusals = new MetricFilter(this, 'WebhookRefusals', {
      logGroup: accessLogs,
      metricNamespace: `${METRICS_NAMESPACE}/${config.stage}`,
      metricName: 'WebhookRefused',
      filterPattern: FilterPattern.literal('{ ($.routeKey = "POST /webhooks/*" && $.status = "4*") || $.status = "429" }'),
      metricValue: '1',
    }).metric({ statistic: Stats.SUM, period: Duration.minutes(5) });

    // ---- Monitoring --------------------------------------------------------------------------
    this.monitoring = new TelephonyMonitoring(this, 'Monitoring', {
      stage: config.stage,
      ...(config.alarmEmail !== undefined && { alarmEmail: config.alarmEmail }),
      renewSweepMinutes: config.renewSweepMinutes,
      quietPeriodHours: config.quietPeriodHours,
      functions: {
        ingest: this.ingestFunction,
        processor: this.processorFunction,
        api: this.apiFunction,
        subscription: this.subscriptionFunction,
        sweeper: this.sweeperFunction,
        callback: this.callbackFunction,
        relay: this.relayFunction,
        delivery: this.deliveryFunction,
        console: this.consoleFunction,
      },
      eventsQueue: this.eventsQueue,
      workQueue: this.workQueue,
      deadLetterQueue: this.deadLetterQueue,
      subscriptionStreamDlq: this.subscriptionStreamDlq,
      deliveryQueue: this.deliveryQueue,
      deliveryDlq: this.deliveryDlq,
      httpStage: this.httpStage,
      webhookRefusals,
    });

    // ---- Outputs -----------------------------------------------------------------------------
    const apiUrl = this.httpStage.url; // ends with "/"
    new CfnOutput(this, 'ApiUrl', { value: apiUrl, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebhookBaseUrl', {
      // What the functions register at the PBX: the custom domain when one is configured.
      value: config.publicUrl !== undefined ? `${config.publicUrl}/webhooks/beeline/` : `${apiUrl}webhooks/beeline/`,
      description: 'Base of the PBX webhook URLs: <WebhookBaseUrl><projectId>/<secret>',
    });
    new CfnOutput(this, 'EventsQueueUrl', { value: this.eventsQueue.queueUrl });
    new CfnOutput(this, 'WorkQueueUrl', { value: this.workQueue.queueUrl, description: 'PBX work: recovery, recording look-ups, subscriptions' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueArn', {
      value: this.deadLetterQueue.queueArn,
      description: 'Re-drive it to the queues its messages came from: npm run dlq -- redrive --dlq-arn <this>',
    });
    new CfnOutput(this, 'DeliveryDeadLetterQueueArn', { value: this.deliveryDlq.queueArn, description: 'Deliveries that failed every attempt; re-drive as above' });
    new CfnOutput(this, 'DeliveryQueueUrl', { value: this.deliveryQueue.queueUrl, description: 'Outbound deliveries waiting for their next attempt' });
    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.eventBusName,
      description: `Every outbound event (source ${EVENT_BUS_SOURCE}, detail-type = its type): subscribe with EventBridge rules`,
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AdminTokenSecretArn', {
      value: this.adminTokenSecret.secretArn,
      description: 'Platform API bearer token: aws secretsmanager get-secret-value --secret-id <arn>',
    });
    new CfnOutput(this, 'TokenKeyArn', { value: this.tokenKey.keyArn, description: 'KMS key encrypting PBX API tokens at rest' });
    new CfnOutput(this, 'DeliveryKeyArn', { value: this.deliveryKey.keyArn, description: "KMS key encrypting the outbound receivers' signing secrets at rest" });
    new CfnOutput(this, 'SubscriptionStreamDlqUrl', {
      value: this.subscriptionStreamDlq.queueUrl,
      description: 'Failed employee-change stream batches (stream coordinates) of the subscription function',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.alarmTopic.topicArn,
      description: 'Every alarm notifies this topic (ALARM and OK): subscribe e-mail, chat or paging to it',
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'CloudWatch dashboard of the stage' });
  }
}
