import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Environment } from '../environment';
import { MAX_QUEUED_BYTES } from '../contracts/sqs';
import { MessageTooLargeError, type MessageQueue, type QueueMessage } from '../ports';
import { laneOf, type QueueLane } from '../contracts/queues';

/** Each message goes to the queue of its lane; a function given no URL for a lane may not queue there. */
export class SqsMessageQueue implements MessageQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrls: Partial<Record<QueueLane, string>>,
  ) {}

  async send(message: QueueMessage, delaySeconds = 0): Promise<void> {
    const lane = laneOf(message);
    const queueUrl = this.queueUrls[lane];
    if (!queueUrl) throw new Error(`configuration: this function has no ${lane} queue for "${message.kind}" messages`);
    const body = JSON.stringify(message);
    // Characters outside ASCII take up to 3 bytes: checked exactly only when it could matter.
    if (body.length * 3 > MAX_QUEUED_BYTES && Buffer.byteLength(body, 'utf8') > MAX_QUEUED_BYTES) throw new MessageTooLargeError(Buffer.byteLength(body, 'utf8'));
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        DelaySeconds: delaySeconds > 0 ? delaySeconds : undefined,
      }),
    );
  }
}

/** Endpoint overrides (`AWS_ENDPOINT_URL_SQS`) point the SDK at the SQS emulator. */
export function sqsClientFrom(env: Environment): SQSClient {
  return new SQSClient({ endpoint: env.AWS_ENDPOINT_URL_SQS, region: env.AWS_REGION });
}
