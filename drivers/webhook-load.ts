/**
 * Webhook load: a bounded pool of concurrent POSTs against the local gateway (loopback), each
 * a distinct call's single released event through a registered subscription, and the check
 * that every accepted event reached the call log. Shared by test/reliability/load.test.ts
 * (short form) and scripts/soak.ts (60 s form); free of vitest on purpose.
 */
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClientFrom } from '../functions/commons/adapters/dynamo/document-client';
import type { Environment } from '../functions/commons/environment';
import { callEvents } from './xsi';

export interface LoadOptions {
  /** The project's webhook URL (with its secret). */
  webhookUrl: string;
  /** A subscription id the project knows as its own. */
  subscriptionId: string;
  /** Parallel requests in flight. */
  connections: number;
  durationMs: number;
  /** The employee the events are about. */
  abonent?: string;
  /** Client numbers are `numberBase + i` (distinct per call). */
  numberBase?: number;
}

export interface LoadResult {
  requests: number;
  /** Answered 200: durably queued. */
  accepted: number;
  statuses: Record<string, number>;
  /** Requests that failed without an HTTP answer. */
  networkErrors: number;
  fiveXx: number;
  durationMs: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** extTrackingIds of the accepted calls. */
  acceptedCalls: string[];
}

/** One released event of an answered incoming call: a whole (one-leg) call in one post. */
export function releasedEvent(extTrackingId: string, subscriptionId: string, abonent: string, clientPhone: string): string {
  const now = Date.now();
  const events = callEvents(extTrackingId, [{ abonent, remote: { address: `tel:+${clientPhone}` }, startTime: now - 30_000, answerTime: now - 25_000, releaseTime: now }]);
  return events.at(-1)!.replace(/<xsi:subscriptionId>[^<]*<\/xsi:subscriptionId>/, `<xsi:subscriptionId>${subscriptionId}</xsi:subscriptionId>`);
}

function percentile(sorted: number[], share: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

export async function runWebhookLoad(options: LoadOptions): Promise<LoadResult> {
  const { webhookUrl, subscriptionId, connections, durationMs } = options;
  const abonent = options.abonent ?? '9001234567';
  const numberBase = options.numberBase ?? 79_170_000_000;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const acceptedCalls: string[] = [];
  let networkErrors = 0;
  let sequence = 0;
  // One unmeasured request per connection first: the figures are for open connections.
  const origin = new URL(webhookUrl).origin;
  await Promise.all(Array.from({ length: connections }, async () => (await fetch(`${origin}/health`)).arrayBuffer().catch(() => undefined)));
  const started = performance.now();
  const deadline = started + durationMs;

  const worker = async () => {
    while (performance.now() < deadline) {
      const extTrackingId = randomUUID();
      const body = releasedEvent(extTrackingId, subscriptionId, abonent, String(numberBase + sequence++));
      const sent = performance.now();
      try {
        const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/xml; charset=UTF-8' }, body });
        await response.arrayBuffer();
        latencies.push(performance.now() - sent);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.status === 200) acceptedCalls.push(extTrackingId);
      } catch {
        latencies.push(performance.now() - sent);
        networkErrors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    requests: latencies.length,
    accepted: acceptedCalls.length,
    statuses,
    networkErrors,
    fiveXx: Object.entries(statuses).reduce((n, [status, count]) => (Number(status) >= 500 ? n + count : n), 0),
    durationMs: Math.round(elapsed),
    requestsPerSecond: Math.round((latencies.length / elapsed) * 1000),
    latencyMs: {
      p50: round(percentile(latencies, 0.5)),
      p90: round(percentile(latencies, 0.9)),
      p99: round(percentile(latencies, 0.99)),
      max: round(latencies.at(-1) ?? 0),
    },
    acceptedCalls,
  };
}

/** extTrackingIds of every call in the project's call log (the call log's own index, paged). */
export async function callLogIds(env: Environment, projectId: string): Promise<Set<string>> {
  const db = documentClientFrom(env);
  const ids = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: env.TABLE_NAME,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `P#${projectId}#CALLS` },
        ProjectionExpression: 'extTrackingId',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) ids.add(String(item.extTrackingId));
    start = page.LastEvaluatedKey;
  } while (start);
  return ids;
}

/** Accepted calls not (yet) in the call log. */
export async function missingFromCallLog(env: Environment, projectId: string, accepted: string[]): Promise<string[]> {
  const logged = await callLogIds(env, projectId);
  return accepted.filter((id) => !logged.has(id));
}

export function formatLoad(result: LoadResult): string {
  const { latencyMs: l } = result;
  return (
    `load: ${result.requests} webhook posts in ${(result.durationMs / 1000).toFixed(1)} s (${result.requestsPerSecond}/s), ` +
    `accepted ${result.accepted}, 5xx ${result.fiveXx}, network errors ${result.networkErrors}, statuses ${JSON.stringify(result.statuses)}, ` +
    `latency p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`
  );
}
