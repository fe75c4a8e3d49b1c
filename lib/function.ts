import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Repository root (the folder holding package.json, package-lock.json and functions/). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Shims `require` for CommonJS dependencies (some AWS SDK internals) inside the ESM bundle. */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface TelephonyFunctionProps {
  /** Handler entry file relative to functions/, e.g. `ingest.ts`. Must export `handler`. */
  readonly entryFile: string;
  /** Lambda timeout. */
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Powertools `POWERTOOLS_SERVICE_NAME`. @default 'beeline-telephony' */
  readonly serviceName?: string;
  /** Powertools `LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Extra environment variables. */
  readonly environment?: Record<string, string>;
  readonly description?: string;
}

/**
 * A Lambda function with the house defaults: Node.js 22 on arm64, minified ESM bundle with
 * source maps (all dependencies bundled, AWS SDK included, so what runs is what was tested),
 * X-Ray tracing, and an explicit log group with retention that outlives the stack.
 */
export class TelephonyFunction extends NodejsFunction {
  /** The function's log group (explicit, RETAIN, with retention). */
  public readonly functionLogGroup: LogGroup;

  public constructor(scope: Construct, id: string, props: TelephonyFunctionProps) {
    // The log group must exist before super(), so it is a sibling of the function.
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    super(scope, id, {
      entry: join(PROJECT_ROOT, 'functions', props.entryFile),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      logGroup,
      ...(props.description !== undefined && { description: props.description }),
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        externalModules: [],
      },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'beeline-telephony',
        LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
    });
    this.functionLogGroup = logGroup;
  }

  /**
   * Grants access to the table and sets its name in the environment, in one call.
   * @param access `read` (Get/Query/Scan/BatchGet) or `readWrite` (plus Put/Update/Delete/BatchWrite)
   */
  public bindTable(table: ITable, access: 'read' | 'readWrite' = 'read', envVarName = 'TABLE_NAME'): this {
    if (access === 'readWrite') table.grantReadWriteData(this);
    else table.grantReadData(this);
    this.addEnvironment(envVarName, table.tableName);
    return this;
  }

  /** Grants SendMessage on the queue (only) and sets its URL in the environment. */
  public bindQueueSender(queue: IQueue, envVarName = 'QUEUE_URL'): this {
    queue.grantSendMessages(this);
    this.addEnvironment(envVarName, queue.queueUrl);
    return this;
  }

  /**
   * Grants use of the KMS key and sets its ARN in the environment, in one call.
   * @param access `decrypt` (kms:Decrypt) or `encryptDecrypt` (kms:Encrypt and kms:Decrypt). Exactly
   *   these actions: the token cipher encrypts small values directly, so no data keys (GenerateDataKey*)
   *   and no ReEncrypt*, unlike `grantEncryptDecrypt`.
   */
  public bindKey(key: IKey, access: 'encryptDecrypt' | 'decrypt' = 'decrypt', envVarName = 'TOKEN_KMS_KEY_ID'): this {
    if (access === 'encryptDecrypt') key.grant(this, 'kms:Encrypt', 'kms:Decrypt');
    else key.grantDecrypt(this);
    this.addEnvironment(envVarName, key.keyArn);
    return this;
  }

  /** Grants read of exactly this secret and sets its ARN in the environment. */
  public bindSecretReader(secret: ISecret, envVarName: string): this {
    secret.grantRead(this);
    this.addEnvironment(envVarName, secret.secretArn);
    return this;
  }
}
