import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Environment } from '../environment';
import type { MessageQueue, QueueMessage } from '../ports';

export class SqsMessageQueue implements MessageQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: QueueMessage, delaySeconds = 0): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds > 0 ? delaySeconds : undefined,
      }),
    );
  }
}

/** Endpoint overrides (`AWS_ENDPOINT_URL_SQS`) point the SDK at the SQS emulator. */
export function sqsClientFrom(env: Environment): SQSClient {
  return new SQSClient({ endpoint: env.AWS_ENDPOINT_URL_SQS, region: env.AWS_REGION });
}
