/** The SQS emulator (fauxqs) in-process, with the events queue and its dead-letter queue. */
import { startFauxqs } from 'fauxqs';
import { freePort } from './ports';

export interface LocalQueues {
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  stop(): Promise<void>;
}

/** Same redrive as on AWS (lib/): a message failing this many receives is parked in the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

export async function startLocalQueues(options: { port?: number; visibilityTimeoutSeconds?: number } = {}): Promise<LocalQueues> {
  const port = options.port || (await freePort());
  const server = await startFauxqs({ port, logger: false, host: '127.0.0.1' });
  const dlq = server.createQueue('events-dlq', { attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } });
  const queue = server.createQueue('events', {
    attributes: {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 180),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    },
  });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    queueUrl: queue.queueUrl,
    deadLetterQueueUrl: dlq.queueUrl,
    stop: () => server.stop(),
  };
}
