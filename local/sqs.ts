/**
 * The SQS emulator (fauxqs) in-process, with the events queue and its dead-letter queue.
 * fauxqs keeps messages in memory only; given a state file, the queues are saved on stop and
 * restored on start, so a local restart loses no accepted event or pending settle timer.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { LOCAL_AWS } from './dynamodb';
import { freePort } from './ports';

export interface LocalQueues {
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  stop(): Promise<void>;
}

/** Same redrive as on AWS (lib/): a message failing this many receives is parked in the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

interface SavedMessage {
  body: string;
  /** Epoch ms before which the message is not delivered (a settle timer). */
  delayUntil?: number;
}
type SavedQueues = Record<'events' | 'events-dlq', SavedMessage[]>;

export async function startLocalQueues(
  options: { port?: number; visibilityTimeoutSeconds?: number; stateFile?: string } = {},
): Promise<LocalQueues> {
  const port = options.port || (await freePort());
  const server = await startFauxqs({ port, logger: false, host: '127.0.0.1' });
  const dlq = server.createQueue('events-dlq', { attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } });
  const queue = server.createQueue('events', {
    attributes: {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 180),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    },
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
  if (options.stateFile && existsSync(options.stateFile)) {
    const saved = JSON.parse(readFileSync(options.stateFile, 'utf8')) as SavedQueues;
    const sqs = new SQSClient({ endpoint, ...LOCAL_AWS });
    await restore(sqs, queue.queueUrl, saved.events ?? []);
    await restore(sqs, dlq.queueUrl, saved['events-dlq'] ?? []);
    sqs.destroy();
    rmSync(options.stateFile);
  }
  return {
    endpoint,
    queueUrl: queue.queueUrl,
    deadLetterQueueUrl: dlq.queueUrl,
    async stop() {
      if (options.stateFile) {
        const saved: SavedQueues = { events: snapshot(server, 'events'), 'events-dlq': snapshot(server, 'events-dlq') };
        if (saved.events.length + saved['events-dlq'].length > 0) writeFileSync(options.stateFile, JSON.stringify(saved));
      }
      await server.stop();
    },
  };
}

/** Every message of the queue, whether ready, delayed or being processed right now. */
function snapshot(server: FauxqsServer, name: 'events' | 'events-dlq'): SavedMessage[] {
  const inspected = server.inspectQueue(name);
  if (!inspected) return [];
  const { ready, delayed, inflight } = inspected.messages;
  return [...ready, ...delayed, ...inflight.map((entry) => entry.message)].map((message) => ({
    body: message.body,
    delayUntil: message.delayUntil,
  }));
}

async function restore(sqs: SQSClient, queueUrl: string, messages: SavedMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((message, j) => ({
      Id: String(j),
      MessageBody: message.body,
      DelaySeconds: message.delayUntil ? Math.min(900, Math.max(0, Math.ceil((message.delayUntil - Date.now()) / 1000))) : undefined,
    }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
}
