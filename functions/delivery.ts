/**
 * SQS consumer of the delivery queue: POSTs each outbound event, signed, to its project's
 * receiver; failures come back through the queue with back-off (partial batch responses).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createMetrics } from './commons/adapters/metrics';
import { parseDeliveryJob, type DeliveryOutcome } from './commons/app/delivery/deliverer';
import { delivererFrom } from './commons/composition/delivery';
import { FUNCTIONS } from './commons/contracts/functions';
import { lazyHandler, type Environment } from './commons/environment';
import type { DeliveryJob } from './commons/ports';

export interface DeliveryOptions {
  logger?: Logger;
  /** Told of every attempt's outcome (the local stack prints a line). */
  onOutcome?: (job: DeliveryJob, outcome: DeliveryOutcome) => void;
}

export function createHandler(env: Environment = process.env, options: DeliveryOptions = {}) {
  const logger = options.logger ?? new Logger({ serviceName: FUNCTIONS.delivery.serviceName });
  const deliverer = delivererFrom(env);
  const metrics = createMetrics('delivery', env);
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const jobs: { messageId: string; job: DeliveryJob }[] = [];
    for (const record of event.Records) {
      const job = parseDeliveryJob(record.body);
      if (job) jobs.push({ messageId: record.messageId, job });
      else logger.error('not a delivery job: dropped', { messageId: record.messageId });
    }
    try {
      const results = await deliverer.deliverAll(jobs.map(({ job }) => job));
      const batchItemFailures: { itemIdentifier: string }[] = [];
      results.forEach((result, i) => {
        const { messageId, job } = jobs[i]!;
        const where = { projectId: job.projectId, eventId: job.eventId, type: job.type };
        if (result.status === 'rejected') {
          logger.warn('delivery failed to run: retried', { ...where, error: result.reason as Error });
          batchItemFailures.push({ itemIdentifier: messageId });
          return;
        }
        const outcome = result.value;
        options.onOutcome?.(job, outcome);
        if (outcome.kind === 'delivered') metrics.count('deliveryDelivered');
        if (outcome.kind === 'retrying') {
          metrics.count('deliveryRetried');
          logger.info('delivery failed: retrying', { ...where, attempts: outcome.attempts, error: outcome.error, nextAt: new Date(outcome.nextAt).toISOString() });
        }
        if (outcome.kind === 'failed') {
          metrics.count('deliveryFailed');
          logger.warn('delivery gave up', { ...where, attempts: outcome.attempts, error: outcome.error });
        }
      });
      return { batchItemFailures };
    } finally {
      metrics.publish();
    }
  };
}

export const handler = lazyHandler(() => createHandler());
