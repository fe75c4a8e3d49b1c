/**
 * Figure 7, outbound delivery on the local stack: answered calls with a receiver set, the
 * latency from the effect (the notification written, the event's `occurredAt`) to the receiver
 * having the signed POST, p50/p99, and the DynamoDB requests per call of the whole stack with
 * delivery on (processor, relay and delivery together, counted at every document client's send).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { webhookSecret } from '../functions/commons/domain/webhook-secret';
import { startLocalStack } from '../local/stack';
import { answeredIncomingCall, countSends, log, onCleanup, percentile, phoneFor, pool, registerBenchSubscription, waitFor, type Report } from './support';

export interface DeliveryBenchOptions {
  dynamoEndpoint: string;
  calls: number;
  concurrency: number;
}

const WEBHOOK_KEY = 'bench-webhook-key';

export async function benchDelivery(report: Report, options: DeliveryBenchOptions): Promise<void> {
  const received: { eventId: string; type: string; occurredAt: string; at: number }[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { eventId: string; type: string; occurredAt: string };
      received.push({ ...event, at: Date.now() });
      response.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const stopReceiver = onCleanup('receiver', () => new Promise<void>((resolve) => receiver.close(() => resolve())));

  const stack = await startLocalStack({
    port: 0,
    simPort: 0,
    dynamoEndpoint: options.dynamoEndpoint,
    tableName: `bench-delivery-${Date.now()}`,
    settleSeconds: 1,
    webhookKey: WEBHOOK_KEY,
    logLevel: 'SILENT',
    pollerConcurrency: 4,
  });
  const stopStack = onCleanup('delivery stack', () => stack.stop());
  const counter = countSends(DynamoDBDocumentClient, 'ddb');
  try {
    const projectId = 'bench-delivery';
    const auth = { authorization: 'Bearer local-admin-token', 'content-type': 'application/json' };
    const api = (method: string, path: string, body: unknown) => fetch(`${stack.apiUrl}${path}`, { method, headers: auth, body: JSON.stringify(body) });
    if (!(await api('PUT', `/projects/${projectId}`, { name: 'Bench' })).ok) throw new Error('bench: project not created');
    const { port } = receiver.address() as AddressInfo;
    if (!(await api('PUT', `/projects/${projectId}/delivery`, { url: `http://127.0.0.1:${port}/hook` })).ok) throw new Error('bench: receiver not set');
    await registerBenchSubscription(stack.env, projectId);
    const url = `${stack.apiUrl}/webhooks/beeline/${projectId}/${webhookSecret(WEBHOOK_KEY, projectId)}`;

    counter.reset();
    const started = Date.now();
    await pool(
      Array.from({ length: options.calls }, (_, i) => i),
      options.concurrency,
      async (i) => {
        for (const body of answeredIncomingCall(`bench-delivery-${started}-${i}`, phoneFor(7000 + i, '925'))) {
          const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body });
          if (!answer.ok) throw new Error(`bench: webhook answered ${answer.status}`);
        }
      },
    );
    const callEvents = () => received.filter((r) => r.type === 'beeline_call_event');
    if (!(await waitFor(() => callEvents().length >= options.calls, 60_000))) throw new Error(`bench: ${callEvents().length} of ${options.calls} events delivered within 60 s`);
    // Let the last deliveries record themselves before the requests are counted.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const counts = counter.counts();
    const requests = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const latencies = callEvents().map((r) => r.at - Date.parse(r.occurredAt));
    const duplicates = callEvents().length - new Set(callEvents().map((r) => r.eventId)).size;

    report.figure('delivery_latency_p50_ms', percentile(latencies, 50), 'ms');
    report.figure('delivery_latency_p99_ms', percentile(latencies, 99), 'ms');
    report.figure('ddb_requests_per_call_with_delivery', requests / options.calls, 'requests');
    const breakdown = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name.replace(/^ddb\./, '')} ${(n / options.calls).toFixed(2)}`)
      .join(', ');
    log(`  per call, whole stack (ingest, processor, relay, delivery): ${breakdown}`);
    report.detail('delivery', { calls: options.calls, concurrency: options.concurrency, latencies, counts, duplicates });
    report.say(
      `delivery: effect → receiver p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms over ${options.calls} calls; ` +
        `${(requests / options.calls).toFixed(1)} DynamoDB requests per call with delivery on; ${duplicates} duplicate POSTs`,
    );
  } finally {
    counter.restore();
    await stopStack();
    await stopReceiver();
  }
}
