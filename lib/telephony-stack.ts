import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, type HttpStage, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { readConfig, type TelephonyConfig } from './config.js';
import { TelephonyFunction } from './function.js';
import { tableFromDefinition } from './table.js';

/** Processor timeout; the events queue's visibility timeout is derived from it. */
export const PROCESSOR_TIMEOUT = Duration.seconds(30);
/** AWS guidance for SQS event sources: visibility timeout ≥ 6 × function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
export const MAX_RECEIVE_COUNT = 5;
export const WEBHOOK_ROUTE_PATH = '/webhooks/beeline/{projectId}/{secret}';

export interface BeelineTelephonyStackProps extends StackProps {
  /** @default read from CDK context (see lib/config.ts) */
  readonly config?: TelephonyConfig;
}

/**
 * Beeline Cloud PBX telephony: HTTP API → ingest → SQS → processor → DynamoDB, plus the
 * platform API function.
 */
export class BeelineTelephonyStack extends Stack {
  public readonly config: TelephonyConfig;
  public readonly table: Table;
  public readonly eventsQueue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly webhookKeySecret: Secret;
  public readonly adminTokenSecret: Secret;
  public readonly ingestFunction: TelephonyFunction;
  public readonly processorFunction: TelephonyFunction;
  public readonly apiFunction: TelephonyFunction;
  public readonly httpApi: HttpApi;
  public readonly httpStage: HttpStage;

  public constructor(scope: Construct, id: string, props: BeelineTelephonyStackProps = {}) {
    super(scope, id, {
      description: 'Beeline Cloud PBX telephony module (webhooks, events queue, processor, platform API)',
      ...props,
    });
    const config = props.config ?? readConfig(this);
    this.config = config;
    Tags.of(this).add('service', 'beeline-telephony');
    Tags.of(this).add('stage', config.stage);

    // ---- Data --------------------------------------------------------------------------------
    this.table = tableFromDefinition(this, 'Table');

    // ---- Queues ------------------------------------------------------------------------------
    this.deadLetterQueue = new Queue(this, 'EventsDlq', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.eventsQueue = new Queue(this, 'EventsQueue', {
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * PROCESSOR_TIMEOUT.toSeconds()),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    // ---- Secrets (generated at deploy time; never in the template) ---------------------------
    this.webhookKeySecret = new Secret(this, 'WebhookKey', {
      description: 'Beeline telephony: key deriving per-project webhook URL secrets (HMAC)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.adminTokenSecret = new Secret(this, 'AdminToken', {
      description: 'Beeline telephony: bearer token of the platform API (/projects/...)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Functions ---------------------------------------------------------------------------
    const common = { logLevel: config.logLevel };

    this.ingestFunction = new TelephonyFunction(this, 'Ingest', {
      ...common,
      entryFile: 'ingest.ts',
      description: 'Beeline PBX webhooks: validate, queue',
      timeout: Duration.seconds(10),
    })
      .bindQueueSender(this.eventsQueue)
      .bindSecretReader(this.webhookKeySecret, 'WEBHOOK_KEY_SECRET_ARN');

    this.processorFunction = new TelephonyFunction(this, 'Processor', {
      ...common,
      entryFile: 'processor.ts',
      description: 'Beeline PBX events: match clients, track calls, write variables',
      timeout: PROCESSOR_TIMEOUT,
      memorySize: 512,
      environment: { CALL_SETTLE_SECONDS: String(config.callSettleSeconds) },
    })
      .bindTable(this.table, 'readWrite')
      .bindQueueSender(this.eventsQueue); // delayed "settle" messages go to the same queue
    this.processorFunction.addEventSource(
      new SqsEventSource(this.eventsQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );

    this.apiFunction = new TelephonyFunction(this, 'Api', {
      ...common,
      entryFile: 'api.ts',
      description: 'Platform API (/projects/...) and 404 for anything else',
      timeout: Duration.seconds(10),
    })
      .bindTable(this.table, 'readWrite')
      .bindSecretReader(this.adminTokenSecret, 'ADMIN_TOKEN_SECRET_ARN');

    // ---- HTTP API ----------------------------------------------------------------------------
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `beeline-telephony-${config.stage}`,
      description: 'Beeline telephony: PBX webhooks and platform API',
      createDefaultStage: false,
      // $default: everything not matched below, so unknown paths get the api function's JSON 404.
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', this.apiFunction, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
    this.httpApi.addRoutes({
      path: WEBHOOK_ROUTE_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingestFunction, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });

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

    // ---- Outputs -----------------------------------------------------------------------------
    const apiUrl = this.httpStage.url; // ends with "/"
    new CfnOutput(this, 'ApiUrl', { value: apiUrl, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebhookBaseUrl', {
      value: `${apiUrl}webhooks/beeline/`,
      description: 'Base of the PBX webhook URLs: <WebhookBaseUrl><projectId>/<secret>',
    });
    new CfnOutput(this, 'EventsQueueUrl', { value: this.eventsQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AdminTokenSecretArn', {
      value: this.adminTokenSecret.secretArn,
      description: 'Platform API bearer token: aws secretsmanager get-secret-value --secret-id <arn>',
    });
  }
}
