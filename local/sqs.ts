/**
 * The SQS emulator (fauxqs) on a worker thread (local/sqs-worker.mjs), with the events queue, the
 * work queue and their dead-letter queue, and the delivery queue with its own.
 * fauxqs keeps messages in memory only; given a state file, the queues are saved on stop and
 * restored on start, so a local restart loses no accepted event or pending settle timer.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_AWS } from './dynamodb';
import { freePort } from './free-port';

export interface LocalQueues {
  endpoint: string;
  queueUrl: string;
  workQueueUrl: string;
  deadLetterQueueUrl: string;
  deliveryQueueUrl: string;
  deliveryDeadLetterQueueUrl: string;
  stop(): Promise<void>;
}

import { MAX_RECEIVE_COUNT, MAX_SQS_DELAY_SECONDS } from '../functions/commons/contracts/sqs';

interface SavedMessage {
  body: string;
  /** Epoch ms before which the message is not delivered (a settle timer). */
  delayUntil?: number;
}
type QueueName = 'events' | 'work' | 'events-dlq' | 'delivery' | 'delivery-dlq';
type SavedQueues = Partial<Record<QueueName, SavedMessage[]>>;

export async function startLocalQueues(options: { port?: number; visibilityTimeoutSeconds?: number; stateFile?: string } = {}): Promise<LocalQueues> {
  const port = options.port || (await freePort());
  const worker = new Worker(new URL('./sqs-worker.mjs', import.meta.url), {
    workerData: { port, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 180, maxReceiveCount: MAX_RECEIVE_COUNT },
    // The stack's loaders (tsx, vitest) are not needed by plain JavaScript.
    execArgv: [],
  });
  const ask = <T extends WorkerReply['type']>(type: T, request?: { type: string }) =>
    new Promise<Extract<WorkerReply, { type: T }>>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        if (reply.type !== type) return;
        cleanup();
        resolve(reply as Extract<WorkerReply, { type: T }>);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const onExit = (code: number) => onError(new Error(`the SQS emulator stopped (exit code ${code}) before answering "${type}"`));
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      if (request) worker.postMessage(request);
    });
  let ready: Extract<WorkerReply, { type: 'ready' }>;
  try {
    ready = await ask('ready');
  } catch (error) {
    await worker.terminate();
    throw new Error(`SQS emulator did not start on port ${port}: ${(error as Error).message}`);
  }
  const { endpoint, urls } = ready;
  if (options.stateFile && existsSync(options.stateFile)) {
    const saved = JSON.parse(readFileSync(options.stateFile, 'utf8')) as SavedQueues;
    const sqs = new SQSClient({ endpoint, ...LOCAL_AWS });
    for (const [name, url] of Object.entries(urls) as [QueueName, string][]) await restore(sqs, url, saved[name] ?? []);
    sqs.destroy();
    rmSync(options.stateFile);
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    queueUrl: urls.events,
    workQueueUrl: urls.work,
    deadLetterQueueUrl: urls['events-dlq'],
    deliveryQueueUrl: urls.delivery,
    deliveryDeadLetterQueueUrl: urls['delivery-dlq'],
    stop() {
      stopping ??= (async () => {
        if (options.stateFile) {
          const { saved } = await ask('snapshot', { type: 'snapshot' });
          if (Object.values(saved).some((messages) => messages.length > 0)) writeFileSync(options.stateFile, JSON.stringify(saved));
        }
        await ask('stopped', { type: 'stop' });
        await worker.terminate();
      })();
      return stopping;
    },
  };
}

type WorkerReply = { type: 'ready'; endpoint: string; urls: Record<QueueName, string> } | { type: 'snapshot'; saved: SavedQueues } | { type: 'stopped' };

async function restore(sqs: SQSClient, queueUrl: string, messages: SavedMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((message, j) => ({
      Id: String(j),
      MessageBody: message.body,
      DelaySeconds: message.delayUntil ? Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil((message.delayUntil - Date.now()) / 1000))) : undefined,
    }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
}
