/** SQS consumer: call events and settle timers → the call pipeline, with partial batch responses. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoCallStore } from './commons/adapters/dynamo/call-store';
import { DynamoClientStore } from './commons/adapters/dynamo/client-store';
import { DynamoProjectStore } from './commons/adapters/dynamo/project-store';
import { SqsMessageQueue } from './commons/adapters/sqs-queue';
import { CallPipeline, type FinalizedCall } from './commons/call-pipeline';
import { documentClientFrom, lazyHandler, required, settleSecondsFrom, sqsClientFrom, type Environment } from './commons/environment';
import { parseQueueMessage } from './commons/queue-message';

export interface ProcessorOptions {
  logger?: Logger;
  /** Told of every call as its outcome is decided (the local stack prints a line). */
  onCallFinalized?: (call: FinalizedCall) => void;
}

export function createHandler(env: Environment = process.env, options: ProcessorOptions = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'beeline-processor' });
  const db = documentClientFrom(env);
  const table = required(env, 'TABLE_NAME');
  const pipeline = new CallPipeline({
    calls: new DynamoCallStore(db, table),
    clients: new DynamoClientStore(db, table),
    projects: new DynamoProjectStore(db, table),
    queue: new SqsMessageQueue(sqsClientFrom(env), required(env, 'QUEUE_URL')),
    settleSeconds: settleSecondsFrom(env),
  });
  const processor = new BatchProcessor(EventType.SQS);

  const processRecord = async (record: SQSRecord): Promise<void> => {
    try {
      const message = parseQueueMessage(record.body);
      if (message.kind === 'event') {
        const outcome = await pipeline.handleEvent(message.projectId, message.event, message.receivedAt);
        logger.debug('event processed', { projectId: message.projectId, eventId: message.event.envelope.eventId, outcome });
        return;
      }
      const result = await pipeline.handleSettle(message.projectId, message.extTrackingId);
      if (result.kind === 'finalized') {
        const { summary, clientId } = result;
        logger.info('call finalized', {
          projectId: message.projectId,
          extTrackingId: message.extTrackingId,
          direction: summary.direction,
          outcome: summary.outcome,
          clientId,
        });
        options.onCallFinalized?.({ projectId: message.projectId, extTrackingId: message.extTrackingId, summary, clientId });
      }
    } catch (error) {
      // The record is retried, then parked in the DLQ; the reason is in the log.
      logger.warn('record failed', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: error as Error });
      throw error;
    }
  };

  return (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, processRecord, processor, { context: context as Context });
}

export const handler = lazyHandler(() => createHandler());
