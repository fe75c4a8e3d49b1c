import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryJob, DeliveryQueue } from '../ports';

/** The delivery queue: jobs sent ten to a request (SQS's batch limit), a partial failure thrown so the caller retries. */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(jobs: readonly DeliveryJob[], delaySeconds = 0): Promise<void> {
    for (let i = 0; i < jobs.length; i += 10) {
      const entries = jobs.slice(i, i + 10).map((job, j) => ({ Id: String(j), MessageBody: JSON.stringify(job), DelaySeconds: delaySeconds > 0 ? delaySeconds : undefined }));
      const { Failed = [] } = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      if (Failed.length > 0) throw new Error(`delivery queue: ${Failed.length} of ${entries.length} jobs not queued (${Failed[0]?.Code ?? 'error'})`);
    }
  }
}
