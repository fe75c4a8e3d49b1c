import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './adapters/dynamo/document-client';

/**
 * Functions build their adapters from an environment map: `process.env` on AWS, an explicit
 * map in the local stack (so several stacks can run in one process, e.g. in tests).
 */
export type Environment = Record<string, string | undefined>;

export function required(env: Environment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`configuration: environment variable ${name} is not set`);
  return value;
}

/** A duration in seconds from the environment, checked. */
export function secondsFrom(env: Environment, name: string, fallback: number, max = 86_400): number {
  const raw = env[name] ?? String(fallback);
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(`configuration: ${name} must be a number of seconds from 0 to ${max}, got "${raw}"`);
  }
  return value;
}

/** SQS caps message delays (the settle timer) at 900 s. */
export function settleSecondsFrom(env: Environment): number {
  return secondsFrom(env, 'CALL_SETTLE_SECONDS', 15, 900);
}

/** Endpoint overrides (`AWS_ENDPOINT_URL_*`) point the SDK at DynamoDB Local and the SQS emulator. */
export function documentClientFrom(env: Environment): DynamoDBDocumentClient {
  return createDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, region: env.AWS_REGION });
}

export function sqsClientFrom(env: Environment): SQSClient {
  return new SQSClient({ endpoint: env.AWS_ENDPOINT_URL_SQS, region: env.AWS_REGION });
}

/** Builds a handler on first use: module load stays cheap, configuration errors surface per request. */
export function lazyHandler<F extends (...args: never[]) => unknown>(build: () => F): F {
  let handle: F | undefined;
  return ((...args: Parameters<F>) => (handle ??= build())(...args)) as F;
}
