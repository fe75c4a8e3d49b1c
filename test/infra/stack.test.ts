import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { createTableInput, TABLE_DEFINITION } from '../../functions/commons/table-definition.js';
import { addTelephonyStack } from '../../lib/app.js';
import { PROJECT_ROOT } from '../../lib/function.js';
import { VISIBILITY_TIMEOUT_FACTOR, WEBHOOK_ROUTE_PATH } from '../../lib/telephony-stack.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The context `cdk synth` uses (cdk.json), so tests see the same feature flags and defaults. */
const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;

/** Builds the app as bin/app.ts does, without bundling assets (fast). */
function build(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = addTelephonyStack(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Record<string, Json> };
}

const logicalId = (stack: Stack, construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const asArray = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
const ofType = (resources: Record<string, Json>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Every statement of every identity policy (AWS::IAM::Policy and inline role policies). */
function allStatements(resources: Record<string, Json>): Statement[] {
  return [
    ...ofType(resources, 'AWS::IAM::Policy').flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Statement[]),
    ...ofType(resources, 'AWS::IAM::ManagedPolicy').flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Statement[]),
    ...ofType(resources, 'AWS::IAM::Role').flatMap(([, r]) =>
      ((r.Properties.Policies ?? []) as Json[]).flatMap((p) => p.PolicyDocument.Statement as Statement[]),
    ),
  ];
}

/** Statements of the policies attached to one role. */
function roleStatements(resources: Record<string, Json>, roleId: string): Statement[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles as unknown[]).some((x) => JSON.stringify(x) === JSON.stringify(ref(roleId))))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => asArray(s.Action));

describe('BeelineTelephonyStack (synth without bundling)', () => {
  const { app, stack, template, resources } = build();
  const ids = {
    table: logicalId(stack, stack.table),
    events: logicalId(stack, stack.eventsQueue),
    dlq: logicalId(stack, stack.deadLetterQueue),
    webhookKey: logicalId(stack, stack.webhookKeySecret),
    adminToken: logicalId(stack, stack.adminTokenSecret),
    ingest: logicalId(stack, stack.ingestFunction),
    processor: logicalId(stack, stack.processorFunction),
    api: logicalId(stack, stack.apiFunction),
    ingestRole: logicalId(stack, stack.ingestFunction.role!),
    processorRole: logicalId(stack, stack.processorFunction.role!),
    apiRole: logicalId(stack, stack.apiFunction.role!),
  };
  const fnProps = (id: string) => resources[id]!.Properties as Json;

  it('is named BeelineTelephony-<stage> with stage "dev" by default and synthesizes without errors or warnings', () => {
    expect(stack.stackName).toBe('BeelineTelephony-dev');
    expect(app.node.tryGetContext('stage')).toBe('dev');
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  describe('table', () => {
    const table = () => resources[ids.table]!;

    it('is built from TABLE_DEFINITION and matches the local stack CreateTable input', () => {
      const local = createTableInput('unused');
      const p = table().Properties;
      expect(p.KeySchema).toEqual(local.KeySchema);
      expect(new Set(p.AttributeDefinitions.map((a: Json) => JSON.stringify(a)))).toEqual(
        new Set(local.AttributeDefinitions.map((a) => JSON.stringify(a))),
      );
      expect(p.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
      expect(p.GlobalSecondaryIndexes.map((g: Json) => g.IndexName)).toEqual(TABLE_DEFINITION.globalSecondaryIndexes.map((g) => g.indexName));
      expect(p.KeySchema[0]).toEqual({ AttributeName: TABLE_DEFINITION.partitionKey, KeyType: 'HASH' });
      expect(p.KeySchema[1]).toEqual({ AttributeName: TABLE_DEFINITION.sortKey, KeyType: 'RANGE' });
      expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_DEFINITION.timeToLiveAttribute, Enabled: true });
      expect(p.StreamSpecification).toEqual({ StreamViewType: TABLE_DEFINITION.streamViewType });
      expect(p.BillingMode).toBe(local.BillingMode);
    });

    it('has point-in-time recovery, encryption at rest and is retained', () => {
      const t = table();
      expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(t.Properties.SSESpecification).toEqual({ SSEEnabled: true });
      expect(t.DeletionPolicy).toBe('Retain');
      expect(t.UpdateReplacePolicy).toBe('Retain');
      expect(ofType(resources, 'AWS::DynamoDB::Table')).toHaveLength(1);
    });
  });

  describe('queues', () => {
    it('redrives the events queue to the DLQ after 5 receives; DLQ keeps messages 14 days', () => {
      expect(resources[ids.events]!.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(ids.dlq), maxReceiveCount: 5 });
      expect(resources[ids.dlq]!.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(ofType(resources, 'AWS::SQS::Queue')).toHaveLength(2);
    });

    it('encrypts both queues (SQS managed) and denies non-TLS access with queue policies', () => {
      for (const id of [ids.events, ids.dlq]) {
        expect(resources[id]!.Properties.SqsManagedSseEnabled).toBe(true);
        const policies = ofType(resources, 'AWS::SQS::QueuePolicy').filter(([, r]) =>
          (r.Properties.Queues as unknown[]).some((q) => JSON.stringify(q) === JSON.stringify(ref(id))),
        );
        expect(policies).toHaveLength(1);
        expect(policies[0]![1].Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: arnOf(id),
          }),
        );
      }
    });

    it('gives the queue consumed by the event source a visibility timeout of at least 6 x the consumer timeout', () => {
      const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(1);
      const m = mappings[0]![1].Properties;
      const consumerId = m.FunctionName.Ref as string;
      const queueId = m.EventSourceArn['Fn::GetAtt'][0] as string;
      expect(consumerId).toBe(ids.processor);
      expect(queueId).toBe(ids.events);
      const timeout = resources[consumerId]!.Properties.Timeout as number;
      expect(timeout).toBe(30);
      expect(resources[queueId]!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * timeout);
      expect(resources[queueId]!.Properties.VisibilityTimeout).toBe(180);
    });

    it('consumes in batches of 10 with a 1 s window and partial batch responses', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: ref(ids.processor),
        EventSourceArn: arnOf(ids.events),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('secrets', () => {
    it('generates both secrets at deploy time (40+ chars, no punctuation) and retains them', () => {
      const secrets = ofType(resources, 'AWS::SecretsManager::Secret');
      expect(secrets.map(([id]) => id).sort()).toEqual([ids.adminToken, ids.webhookKey].sort());
      for (const [, s] of secrets) {
        expect(s.Properties.SecretString).toBeUndefined();
        expect(s.Properties.GenerateSecretString).toMatchObject({ ExcludePunctuation: true, IncludeSpace: false });
        expect(s.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(40);
        expect(s.DeletionPolicy).toBe('Retain');
      }
    });
  });

  describe('functions', () => {
    it('use the house defaults: nodejs22.x, arm64, tracing, source maps, Powertools env', () => {
      for (const id of [ids.ingest, ids.processor, ids.api]) {
        const p = fnProps(id);
        expect(p.Runtime).toBe('nodejs22.x');
        expect(p.Architectures).toEqual(['arm64']);
        expect(p.Handler).toBe('index.handler');
        expect(p.TracingConfig).toEqual({ Mode: 'Active' });
        expect(p.Environment.Variables).toMatchObject({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'beeline-telephony',
          LOG_LEVEL: 'INFO',
        });
      }
      expect(fnProps(ids.processor).MemorySize).toBe(512);
      expect(fnProps(ids.ingest).MemorySize).toBe(256);
      expect(fnProps(ids.api).MemorySize).toBe(256);
      expect(fnProps(ids.ingest).Timeout).toBe(10);
      expect(fnProps(ids.api).Timeout).toBe(10);
      expect(ofType(resources, 'AWS::Lambda::Function')).toHaveLength(3);
    });

    it('get exactly the environment they need', () => {
      const base = ['LOG_LEVEL', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME'];
      const env = (id: string) => fnProps(id).Environment.Variables as Json;
      expect(Object.keys(env(ids.ingest)).sort()).toEqual([...base, 'QUEUE_URL', 'WEBHOOK_KEY_SECRET_ARN'].sort());
      expect(Object.keys(env(ids.processor)).sort()).toEqual([...base, 'CALL_SETTLE_SECONDS', 'QUEUE_URL', 'TABLE_NAME'].sort());
      expect(Object.keys(env(ids.api)).sort()).toEqual([...base, 'ADMIN_TOKEN_SECRET_ARN', 'TABLE_NAME'].sort());
      expect(env(ids.ingest)).toMatchObject({ QUEUE_URL: ref(ids.events), WEBHOOK_KEY_SECRET_ARN: ref(ids.webhookKey) });
      expect(env(ids.processor)).toMatchObject({ QUEUE_URL: ref(ids.events), TABLE_NAME: ref(ids.table), CALL_SETTLE_SECONDS: '15' });
      expect(env(ids.api)).toMatchObject({ TABLE_NAME: ref(ids.table), ADMIN_TOKEN_SECRET_ARN: ref(ids.adminToken) });
    });

    it('log to explicit, retained log groups with 1 month retention (and so does the API stage)', () => {
      for (const id of [ids.ingest, ids.processor, ids.api]) {
        const groupId = fnProps(id).LoggingConfig.LogGroup.Ref as string;
        expect(resources[groupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: { RetentionInDays: 30 } });
      }
      const stage = ofType(resources, 'AWS::ApiGatewayV2::Stage')[0]![1];
      const accessGroupId = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
      expect(resources[accessGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: { RetentionInDays: 30 } });
      const groups = ofType(resources, 'AWS::Logs::LogGroup');
      expect(groups).toHaveLength(4);
      for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(30);
    });
  });

  describe('least privilege', () => {
    it('has no statement allowing dynamodb/sqs/secretsmanager on Resource "*" or with service wildcards', () => {
      const guarded = /^(dynamodb|sqs|secretsmanager):/;
      const offenders = allStatements(resources).filter((s) => {
        if (s.Effect !== 'Allow') return false;
        const actions = asArray(s.Action);
        if (!actions.some((a) => guarded.test(a) || a === '*')) return false;
        const anyResource = asArray(s.Resource).some((r) => r === '*');
        const wildcardAction = actions.some((a) => a === '*' || /^(dynamodb|sqs|secretsmanager):\*$/.test(a));
        return anyResource || wildcardAction;
      });
      expect(offenders).toEqual([]);
    });

    it('attaches no managed policy other than AWSLambdaBasicExecutionRole', () => {
      for (const [, role] of ofType(resources, 'AWS::IAM::Role')) {
        const arns = (role.Properties.ManagedPolicyArns ?? []).map((a: unknown) => JSON.stringify(a));
        for (const arn of arns) expect(arn).toContain(':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
      }
    });

    it('ingest can only send to the events queue and read the webhook key: no table access', () => {
      const st = roleStatements(resources, ids.ingestRole);
      expect(actionsOf(st).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
      expect(new Set(actionsOf(st).map((a) => a.split(':')[0]))).toEqual(new Set(['sqs', 'secretsmanager', 'xray']));
      const sqs = st.filter((s) => actionsOf([s]).some((a) => a.startsWith('sqs:')));
      expect(sqs).toHaveLength(1);
      expect(sqs[0]!.Resource).toEqual(arnOf(ids.events));
      expect(actionsOf(sqs)).toContain('sqs:SendMessage');
      expect(actionsOf(sqs).filter((a) => /Receive|Delete|Purge/.test(a))).toEqual([]);
      const sm = st.filter((s) => actionsOf([s]).some((a) => a.startsWith('secretsmanager:')));
      expect(sm.map((s) => s.Resource)).toEqual([ref(ids.webhookKey)]);
    });

    it('processor reads/writes the table, consumes and sends to the events queue, reads no secret', () => {
      const st = roleStatements(resources, ids.processorRole);
      const actions = actionsOf(st);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']));
      expect(actions.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
      for (const s of st.filter((x) => actionsOf([x]).some((a) => a.startsWith('sqs:')))) expect(s.Resource).toEqual(arnOf(ids.events));
    });

    it('api reads/writes the table and reads only the admin token; no queue access', () => {
      const st = roleStatements(resources, ids.apiRole);
      const actions = actionsOf(st);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'secretsmanager:GetSecretValue']));
      expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual([]);
      const sm = st.filter((s) => actionsOf([s]).some((a) => a.startsWith('secretsmanager:')));
      expect(sm.map((s) => s.Resource)).toEqual([ref(ids.adminToken)]);
    });
  });

  describe('HTTP API', () => {
    const integrationFor = (routeKey: string) => {
      const routes = ofType(resources, 'AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.RouteKey === routeKey);
      expect(routes).toHaveLength(1);
      const target = routes[0]![1].Properties.Target as Json;
      const integrationId = target['Fn::Join'][1][1].Ref as string;
      expect(target).toEqual({ 'Fn::Join': ['', ['integrations/', ref(integrationId)]] });
      return resources[integrationId]!.Properties as Json;
    };

    it('routes POST /webhooks/beeline/{projectId}/{secret} to ingest (payload 2.0)', () => {
      expect(WEBHOOK_ROUTE_PATH).toBe('/webhooks/beeline/{projectId}/{secret}');
      const integration = integrationFor('POST /webhooks/beeline/{projectId}/{secret}');
      expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: arnOf(ids.ingest) });
    });

    it('routes $default (everything else) to api (payload 2.0)', () => {
      const integration = integrationFor('$default');
      expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: arnOf(ids.api) });
      expect(ofType(resources, 'AWS::ApiGatewayV2::Route')).toHaveLength(2);
    });

    it('lets API Gateway invoke exactly ingest and api', () => {
      const invoked = ofType(resources, 'AWS::Lambda::Permission')
        .filter(([, r]) => r.Properties.Principal === 'apigateway.amazonaws.com')
        .map(([, r]) => r.Properties.FunctionName['Fn::GetAtt'][0] as string);
      expect(invoked.sort()).toEqual([ids.api, ids.ingest].sort());
    });

    it('has an auto-deployed $default stage with throttling and access logs that never log the path (webhook secret)', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      });
      const stage = ofType(resources, 'AWS::ApiGatewayV2::Stage')[0]![1];
      const format = stage.Properties.AccessLogSettings.Format as string;
      expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
      expect(format).not.toContain('$context.path');
    });

    it('exports the outputs admins need', () => {
      const outputs = template.toJSON().Outputs as Json;
      expect(Object.keys(outputs).sort()).toEqual(
        ['AdminTokenSecretArn', 'ApiUrl', 'DeadLetterQueueUrl', 'EventsQueueUrl', 'TableName', 'WebhookBaseUrl'].sort(),
      );
      const apiUrlParts = outputs.ApiUrl.Value['Fn::Join'][1] as unknown[];
      const webhookParts = outputs.WebhookBaseUrl.Value['Fn::Join'][1] as unknown[];
      expect(apiUrlParts.at(-1)).toBe('/');
      expect(webhookParts.slice(0, -1)).toEqual(apiUrlParts.slice(0, -1));
      expect(webhookParts.at(-1)).toBe('/webhooks/beeline/');
      expect(outputs.EventsQueueUrl.Value).toEqual(ref(ids.events));
      expect(outputs.DeadLetterQueueUrl.Value).toEqual(ref(ids.dlq));
      expect(outputs.TableName.Value).toEqual(ref(ids.table));
      expect(outputs.AdminTokenSecretArn.Value).toEqual(ref(ids.adminToken));
    });
  });
});

describe('context', () => {
  it('stage, logLevel, callSettleSeconds and throttling are overridable (strings as from -c)', () => {
    const { stack, template } = build({ stage: 'prod', logLevel: 'debug', callSettleSeconds: '20', apiThrottleRateLimit: '50', apiThrottleBurstLimit: '100' });
    expect(stack.stackName).toBe('BeelineTelephony-prod');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CALL_SETTLE_SECONDS: '20', LOG_LEVEL: 'DEBUG' }) },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
  });

  it('rejects invalid values with a message naming the key', () => {
    expect(() => build({ callSettleSeconds: 'soon' })).toThrow(/callSettleSeconds/);
    expect(() => build({ callSettleSeconds: 901 })).toThrow(/callSettleSeconds/); // SQS delay cap
    expect(() => build({ logLevel: 'LOUD' })).toThrow(/logLevel/);
    expect(() => build({ stage: 'no spaces' })).toThrow(/stage/);
  });
});

describe('real bundling with esbuild', () => {
  it('synthesizes the app and bundles every handler as a minified ESM file with source map and require shim', { timeout: 120_000 }, () => {
    const outdir = mkdtempSync(join(tmpdir(), 'beeline-cdk-'));
    try {
      const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT } });
      const stack = addTelephonyStack(app);
      const assembly = app.synth();
      const artifact = assembly.getStackByName(stack.stackName);
      const template = artifact.template as Json;
      const assetManifest = JSON.parse(readFileSync(join(outdir, `${artifact.id}.assets.json`), 'utf8')) as Json;
      const functions = Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(3);
      for (const fn of functions) {
        // Code.S3Key is "<asset hash>.zip"; the asset manifest maps the hash to the bundled folder.
        const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
        const source = assetManifest.files[hash].source as Json;
        expect(source.packaging).toBe('zip');
        const assetDir = join(outdir, source.path as string);
        expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
        const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
        expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
        expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
      expect(existsSync(outdir)).toBe(false);
    }
  });
});
