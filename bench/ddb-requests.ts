/**
 * Figure 2, `ddb_requests_per_call` / `ddb_requests_per_call_new_client`: DynamoDB requests to
 * fully process a 3-event answered incoming call (received, answered, released) through
 * `CallPipeline` with the real Dynamo adapters against DynamoDB Local, settle step included
 * (`handleSettle` called directly, settleSeconds 0), counted by a middleware on the DynamoDB
 * client's middlewareStack, with the breakdown per command.
 */
import { DynamoEventFeed } from '../functions/commons/adapters/dynamo/event-feed';
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { DynamoCallStore } from '../functions/commons/adapters/dynamo/call-store';
import { DynamoClientStore } from '../functions/commons/adapters/dynamo/client-store';
import { createDocumentClient } from '../functions/commons/adapters/dynamo/document-client';
import { DynamoProjectStore } from '../functions/commons/adapters/dynamo/project-store';
import { CallPipeline } from '../functions/commons/app/calls/call-pipeline';
import { parseXsiEvent } from '../functions/commons/domain/xsi-parser';
import type { MessageQueue, QueueMessage } from '../functions/commons/ports';
import { ensureTable, LOCAL_AWS } from '../local/dynamodb';
import { createHandler as createProcessor } from '../functions/processor';
import { answeredIncomingCall, countRequests, countSends, log, phoneFor, registerBenchSubscription, type Report } from './support';
import { LOCAL_CIPHER_SECRET_ENV } from '../functions/commons/contracts/keys';

export interface DdbRequestOptions {
  endpoint: string;
  /** Calls measured per kind (the count must be the same for each). */
  calls: number;
}

export async function benchDdbRequests(report: Report, options: DdbRequestOptions): Promise<void> {
  const table = `bench-requests-${Date.now()}`;
  await ensureTable(options.endpoint, table);
  const db = createDocumentClient({ endpoint: options.endpoint, region: LOCAL_AWS.region });
  const counter = countRequests(db);
  const settles: QueueMessage[] = [];
  const queue: MessageQueue = { send: async (message) => void settles.push(message) };
  const clients = new DynamoClientStore(db, table);
  const projects = new DynamoProjectStore(db, table);
  const pipeline = new CallPipeline({ calls: new DynamoCallStore(db, table, clients), clients, projects, queue, events: new DynamoEventFeed(db, table), settleSeconds: 0 });
  const projectId = 'bench-requests';
  try {
    await projects.put({ projectId, name: 'Bench', timezone: 'Europe/Moscow', messengers: ['whatsapp'], missedCallReturnMinutes: 30 }, new Date());

    /** One call through the pipeline; the requests it took, by command. */
    const playCall = async (ext: string, phone: string) => {
      settles.length = 0;
      counter.reset();
      for (const xml of answeredIncomingCall(ext, phone)) {
        const parsed = parseXsiEvent(xml);
        if (!parsed.ok) throw new Error(`bench: ${parsed.error}`);
        const outcome = await pipeline.handleEvent(projectId, parsed.event, Date.now());
        if (outcome !== 'applied') throw new Error(`bench: event ${outcome}`);
      }
      const settle = settles.find((m) => m.kind === 'settle');
      if (settle?.kind !== 'settle') throw new Error('bench: the released event scheduled no settle');
      const result = await pipeline.handleSettle(projectId, settle.extTrackingId);
      if (result.kind !== 'finalized') throw new Error(`bench: settle ended ${result.kind}`);
      return { total: counter.total(), attempts: counter.attempts(), byCommand: counter.byCommand(), clientId: result.clientId };
    };

    const measure = async (kind: 'existing' | 'new') => {
      const runs = [];
      for (let i = 0; i < options.calls; i++) {
        const phone = phoneFor(kind === 'existing' ? 100 + i : 500 + i, '926');
        if (kind === 'existing') {
          // A client the platform registered (README walkthrough): the number in a variable.
          await clients.put(projectId, { clientId: `anna-${i}`, channel: 'whatsapp', variables: { phone: `+${phone}`, name: 'Anna' } }, new Date());
        }
        const run = await playCall(`bench-req-${kind}-${i}-${Date.now()}`, phone);
        const expected = kind === 'existing' ? `anna-${i}` : `bl-${phone}`;
        if (run.clientId !== expected) throw new Error(`bench: the call went to ${run.clientId}, expected ${expected}`);
        runs.push(run);
      }
      const totals = new Set(runs.map((r) => r.total));
      if (totals.size !== 1) report.note(`ddb requests per call (${kind} client) varied between calls: ${[...totals].join(', ')}`);
      return runs[runs.length - 1]!;
    };

    const existing = await measure('existing');
    const fresh = await measure('new');
    const breakdown = (r: typeof existing) =>
      Object.entries(r.byCommand)
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name.replace(/Command$/, '')} ${n}`)
        .join(', ');
    report.figure('ddb_requests_per_call', existing.total, 'requests');
    log(`  existing client: ${breakdown(existing)} (HTTP attempts ${existing.attempts})`);
    report.figure('ddb_requests_per_call_new_client', fresh.total, 'requests');
    log(`  new client:      ${breakdown(fresh)} (HTTP attempts ${fresh.attempts})`);
    report.detail('ddbRequests', { existing, newClient: fresh, callsPerKind: options.calls });
    report.say(`ddb: ${existing.total} requests per answered call for an existing client (${breakdown(existing)}), ${fresh.total} for a new number`);
  } finally {
    db.destroy();
  }
}

/**
 * The same call through the whole processor handler (functions/processor.ts `createHandler`),
 * one SQS record per invocation, its queue sends captured instead of sent: what the processor
 * reads and writes besides the pipeline (e.g. checking the event's subscription). Counted at
 * `send` on every document client, since the handler builds its own.
 */
export async function benchProcessorRequests(report: Report, options: DdbRequestOptions): Promise<void> {
  const table = `bench-processor-${Date.now()}`;
  await ensureTable(options.endpoint, table);
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoint,
    TABLE_NAME: table,
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/events',
    WORK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work',
    CALL_SETTLE_SECONDS: '0',
    WEBHOOK_KEY: 'bench-webhook-key',
    ADMIN_TOKEN: 'bench-admin-token',
    [LOCAL_CIPHER_SECRET_ENV]: 'bench-token-key',
    PUBLIC_URL: 'http://127.0.0.1:9',
    BEELINE_API_URL: 'http://127.0.0.1:9/',
  };
  const projectId = 'bench-processor';
  const db = createDocumentClient({ endpoint: options.endpoint, region: LOCAL_AWS.region });
  const sqsProto = SQSClient.prototype as { send: (...args: unknown[]) => Promise<unknown> };
  const ownSend = Object.hasOwn(sqsProto, 'send') ? sqsProto.send : undefined;
  const queued: { body: string; delay?: number }[] = [];
  sqsProto.send = async function captureSend(command: unknown) {
    const input = (command as { input?: { MessageBody?: string; DelaySeconds?: number } }).input;
    if (input?.MessageBody) queued.push({ body: input.MessageBody, delay: input.DelaySeconds });
    return { MessageId: `m${queued.length}` };
  };
  let sends: ReturnType<typeof countSends> | undefined;
  try {
    await new DynamoProjectStore(db, table).put({ projectId, name: 'Bench', timezone: 'Europe/Moscow', messengers: ['whatsapp'], missedCallReturnMinutes: 30 }, new Date());
    const registered = await registerBenchSubscription(env, projectId);
    const processor = createProcessor(env, { logger: new Logger({ serviceName: 'beeline-processor', logLevel: 'SILENT' }) });
    let n = 0;
    const invoke = async (body: string) => {
      const event: SQSEvent = {
        Records: [
          {
            messageId: `bench-${++n}`,
            receiptHandle: `bench-${n}`,
            body,
            attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'bench', ApproximateFirstReceiveTimestamp: String(Date.now()) },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
            awsRegion: 'us-east-1',
          },
        ],
      };
      const result = await processor(event);
      if (result.batchItemFailures.length > 0) throw new Error('bench: the processor failed the record (see its log)');
    };
    const clients = new DynamoClientStore(db, table);
    sends = countSends(DynamoDBDocumentClient, 'ddb');
    const playCall = async (i: number, existing: boolean) => {
      const phone = phoneFor(900 + i, '936');
      if (existing) await clients.put(projectId, { clientId: `boris-${i}`, channel: 'whatsapp', variables: { phone: `+${phone}` } }, new Date());
      sends!.reset();
      queued.length = 0;
      for (const xml of answeredIncomingCall(`bench-proc-${i}-${Date.now()}`, phone)) {
        const parsed = parseXsiEvent(xml);
        if (!parsed.ok) throw new Error(`bench: ${parsed.error}`);
        await invoke(JSON.stringify({ v: 1, kind: 'event', projectId, receivedAt: Date.now(), event: parsed.event }));
      }
      // Events requeued for later (e.g. an unknown subscription) would show here.
      const settle = queued.find((q) => (JSON.parse(q.body) as QueueMessage).kind === 'settle');
      if (!settle) throw new Error(`bench: no settle message queued (${queued.map((q) => (JSON.parse(q.body) as QueueMessage).kind).join(', ') || 'nothing'} queued)`);
      await invoke(settle.body);
      const counts = sends!.counts();
      return { total: Object.values(counts).reduce((a, b) => a + b, 0), counts };
    };
    const first = await playCall(0, true); // cold container: caches empty
    const warm = await playCall(1, true);
    const warmNew = await playCall(2, false);
    const list = (counts: Record<string, number>) =>
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k.replace(/^ddb\./, '')} ${v}`)
        .join(', ');
    report.figure('ddb_requests_per_call_processor', warm.total, 'requests');
    log(
      `  through the processor handler (${registered}): existing client ${warm.total} (${list(warm.counts)}); first call of a container ${first.total} (${list(first.counts)}); new client ${warmNew.total}`,
    );
    report.detail('ddbRequestsProcessor', { first, warm, warmNewClient: warmNew });
  } finally {
    sends?.restore();
    if (ownSend) sqsProto.send = ownSend;
    else delete (sqsProto as { send?: unknown }).send;
    db.destroy();
  }
}
