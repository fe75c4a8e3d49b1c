import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLING, NODE_OPTIONS, NODE_RUNTIME_MAJOR } from '../functions/commons/contracts/bundling.js';
import { METRICS_NAMESPACE, STAGE_ENV } from '../functions/commons/contracts/metrics.js';
import { CIPHER_KEYS, type CipherPurpose } from '../functions/commons/contracts/keys.js';
import { acknowledge, nagArnRef } from './nag.js';

/** Repository root (the folder holding package.json, package-lock.json and functions/). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface TelephonyFunctionProps {
  /** Handler entry file relative to functions/, e.g. `ingest.ts`. Must export `handler`. */
  readonly entryFile: string;
  /** Lambda timeout. */
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /**
   * Powertools `POWERTOOLS_SERVICE_NAME`: the `service` dimension of the function's EMF metrics and
   * the `service` key of its logs; the stack and the handlers both take it from contracts/functions.ts.
   */
  readonly serviceName: string;
  /** Reserved (and so capped) concurrency; 0 or absent: none, the account's unreserved pool. */
  readonly reservedConcurrency?: number;
  /** The deployment stage: the `stage` dimension of the function's metrics. */
  readonly stage: string;
  /** Powertools `LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Extra environment variables. */
  readonly environment?: Record<string, string>;
  readonly description?: string;
  /** A folder under functions/ copied beside the bundle under the same name (files the handler reads at start). */
  readonly copiedFolder?: string;
}

/** The Lambda runtime of every function (see the AwsSolutions-L1 acknowledgement below). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;
if (FUNCTION_RUNTIME.name !== `nodejs${NODE_RUNTIME_MAJOR}.x`) throw new Error(`lib/function.ts: the runtime ${FUNCTION_RUNTIME.name} is not the bundles' Node.js ${NODE_RUNTIME_MAJOR}`);

/**
 * A Lambda function with the house defaults: Node.js 22 on arm64, minified ESM bundle with
 * source maps (all dependencies bundled, AWS SDK included, so what runs is what was tested;
 * only modules no function reaches on Lambda are left out: UNREACHED_MODULES in contracts/bundling.ts),
 * X-Ray tracing, Powertools service name and metrics namespace, an explicit log group with
 * retention that outlives the stack, and a role of its own that may write to that log group only
 * (no AWSLambdaBasicExecutionRole, which allows logs:CreateLogGroup/PutLogEvents on every group).
 */
export class TelephonyFunction extends NodejsFunction {
  /** The function's log group (explicit, RETAIN, with retention). */
  public readonly functionLogGroup: LogGroup;
  /** The function's execution role. */
  public readonly executionRole: Role;
  /** `POWERTOOLS_SERVICE_NAME`, the `service` dimension of its metrics. */
  public readonly serviceName: string;

  public constructor(scope: Construct, id: string, props: TelephonyFunctionProps) {
    // The log group and the role must exist before super(), so they are siblings of the function.
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.serviceName} function`,
    });
    // logs:CreateLogStream + logs:PutLogEvents on this group's streams only (the group exists).
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: join(PROJECT_ROOT, 'functions', props.entryFile),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      role,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      logGroup,
      ...(props.description !== undefined && { description: props.description }),
      // contracts/bundling.ts: the bench bundles with the same options.
      bundling: {
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourcesContent: BUNDLING.sourcesContent,
        target: BUNDLING.target,
        format: OutputFormat.ESM,
        mainFields: [...BUNDLING.mainFields],
        banner: BUNDLING.banner,
        externalModules: [...BUNDLING.externalModules],
        ...(props.copiedFolder !== undefined && {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => [`cp -R "${join(inputDir, 'functions', props.copiedFolder!)}" "${join(outputDir, props.copiedFolder!)}"`],
          },
        }),
      },
      environment: {
        NODE_OPTIONS,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        // The handlers pass the namespace to Powertools themselves; this keeps anything that builds
        // its own Metrics (and the Powertools defaults) in the namespace the alarms read.
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel ?? 'INFO',
        [STAGE_ENV]: props.stage,
        ...props.environment,
      },
    });
    this.functionLogGroup = logGroup;
    this.executionRole = role;
    this.serviceName = props.serviceName;

    acknowledge(
      this,
      'AwsSolutions-L1',
      `${FUNCTION_RUNTIME.name} is pinned on purpose: the bundles are built for node22 (esbuild target) and the project is tested on Node 20/22; ` +
        'Node.js 22 is an LTS line supported by Lambda. Moving to a newer runtime is a deliberate upgrade of runtime and bundle target together.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Resource "*" is granted only for actions that have no resource-level permissions in IAM: xray:PutTraceSegments and ' +
        'xray:PutTelemetryRecords (active tracing) and, for the stream consumer, dynamodb:ListStreams (lists stream ARNs, reads no data). ' +
        'The "least privilege" infrastructure test fails if any other action is granted on "*".',
    );
  }

  /**
   * Grants access to the table and sets its name in the environment, in one call.
   * @param access `read` (Get/Query/Scan/BatchGet) or `readWrite` (plus Put/Update/Delete/BatchWrite)
   */
  /** `readUpdate`: reads plus UpdateItem only (counters, last-use marks), no puts or deletes. */
  public bindTable(table: ITable, access: 'read' | 'readUpdate' | 'readWrite' = 'read', envVarName = 'TABLE_NAME'): this {
    if (access === 'readWrite') table.grantReadWriteData(this);
    else table.grantReadData(this);
    if (access === 'readUpdate') table.grant(this, 'dynamodb:UpdateItem');
    this.addEnvironment(envVarName, table.tableName);
    acknowledge(
      this.executionRole,
      `AwsSolutions-IAM5[Resource::${nagArnRef(table)}/index/*]`,
      "Queries on the table's global secondary indexes (gsi1: due renewals, connected projects, call logs): the grant covers " +
        "this one table's indexes only (<table ARN>/index/*), which is how DynamoDB scopes index access; the actions are the grant's, no dynamodb:*.",
    );
    return this;
  }

  /** Grants SendMessage on the queue (only) and sets its URL in the environment (`QUEUE_URL`: the events queue). */
  public bindQueueSender(queue: IQueue, envVarName = 'QUEUE_URL'): this {
    queue.grantSendMessages(this);
    this.addEnvironment(envVarName, queue.queueUrl);
    return this;
  }

  /**
   * Grants use of the KMS key and sets its ARN in the environment under the purpose's name, in one call.
   * @param access `decrypt` (kms:Decrypt) or `encryptDecrypt` (kms:Encrypt and kms:Decrypt). Exactly
   *   these actions: the token cipher encrypts small values directly, so no data keys (GenerateDataKey*)
   *   and no ReEncrypt*, unlike `grantEncryptDecrypt`.
   */
  public bindKey(key: IKey, purpose: CipherPurpose, access: 'encryptDecrypt' | 'decrypt' = 'decrypt'): this {
    if (access === 'encryptDecrypt') key.grant(this, 'kms:Encrypt', 'kms:Decrypt');
    else key.grantDecrypt(this);
    this.addEnvironment(CIPHER_KEYS[purpose].kmsKeyEnv, key.keyArn);
    return this;
  }

  /** Grants read of exactly this secret and sets its ARN in the environment. */
  public bindSecretReader(secret: ISecret, envVarName: string): this {
    secret.grantRead(this);
    this.addEnvironment(envVarName, secret.secretArn);
    return this;
  }
}
