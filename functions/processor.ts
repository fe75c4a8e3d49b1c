/**
 * SQS consumer: call events, settle timers and subscription work, with partial batch responses.
 * Only events from subscriptions this product created for the project reach the pipeline.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FinalizedCall } from './commons/app/calls/call-pipeline';
import { pipelineFrom, processingStoresFrom, queueFrom, subscriptionServiceFrom } from './commons/composition';
import { lazyHandler, type Environment } from './commons/environment';
import type { QueueMessage } from './commons/ports';
import { createMetrics } from './commons/adapters/metrics';
import { FUNCTIONS } from './commons/contracts/functions';
import { parseQueueMessage } from './commons/app/queue-message';

export interface ProcessorOptions {
  logger?: Logger;
  /** Told of every call as its outcome is decided (the local stack prints a line). */
  onCallFinalized?: (call: FinalizedCall) => void;
  /** The clock of call processing and subscriptions (the soak simulates time with it). */
  now?: () => number;
}

/** An event from a subscription created a moment ago is looked at again after this delay. */
const UNKNOWN_SUBSCRIPTION_RETRY_SECONDS = 5;

export function createHandler(env: Environment = process.env, options: ProcessorOptions = {}) {
  const logger = options.logger ?? new Logger({ serviceName: FUNCTIONS.processor.serviceName });
  const stores = processingStoresFrom(env);
  const queue = queueFrom(env);
  const subscriptions = subscriptionServiceFrom(env, stores, (message, details) => logger.info(message, details), options.now);
  const pipeline = pipelineFrom(env, stores, options.now);
  const processor = new BatchProcessor(EventType.SQS);
  const metrics = createMetrics('processor', env);

  async function handle(message: QueueMessage): Promise<void> {
    const { projectId } = message;
    if (message.kind === 'subscription') {
      const state = await subscriptions.reconcile(projectId, message.employeeId, message.reason);
      if (state.status === 'active') metrics.count('subscriptionActive');
      if (state.status === 'failed') metrics.count('subscriptionFailed');
      return;
    }
    if (message.kind === 'recover') {
      const { recovered, completed, known } = await pipeline.recoverLostCalls(projectId, message.page);
      if (recovered.length + completed.length > 0) logger.info('lost calls recovered', { projectId, recovered, completed, known });
      metrics.count('callsRecovered', recovered.length + completed.length);
      return;
    }
    if (message.kind === 'record') {
      const outcome = await pipeline.handleRecordLookup(projectId, message.extTrackingId, message.attempt);
      logger.info('recording lookup', { projectId, extTrackingId: message.extTrackingId, attempt: message.attempt, outcome });
      if (outcome === 'found') metrics.count('recordLinkFound');
      if (outcome === 'gave-up') metrics.count('recordGaveUp');
      return;
    }
    if (message.kind === 'settle') {
      const result = await pipeline.handleSettle(projectId, message.extTrackingId);
      if (result.kind === 'finalized') {
        const { summary, clientId } = result;
        // No client id: a new client's id holds its phone number.
        logger.info('call finalized', { projectId, extTrackingId: message.extTrackingId, direction: summary.direction, outcome: summary.outcome, clientCreated: result.clientCreated });
        metrics.count(summary.outcome === 'answered' ? 'callAnswered' : summary.outcome === 'missed' ? 'callMissed' : 'callWithoutClient');
        if (result.clientCreated) metrics.count('clientCreated');
        options.onCallFinalized?.({ projectId, extTrackingId: message.extTrackingId, summary, clientId });
      }
      return;
    }
    if (message.kind === 'missed') {
      const outcome = await pipeline.handleMissedCheck(projectId, message.extTrackingId);
      if (outcome === 'reported') logger.info('missed call not returned', { projectId, extTrackingId: message.extTrackingId });
      return;
    }
    const { event, receivedAt } = message;
    const { eventId, subscriptionId } = event.envelope;
    const source = await subscriptions.judgeEvent(projectId, subscriptionId, receivedAt);
    if (source === 'maybe-new') {
      await queue.send(message, UNKNOWN_SUBSCRIPTION_RETRY_SECONDS);
      return;
    }
    if (source === 'foreign') {
      metrics.count('eventForeign');
      logger.warn('event from a subscription this project does not have: ignored', { projectId, eventId, subscriptionId });
      return;
    }
    if (event.kind === 'subscriptionTerminated') {
      metrics.count('subscriptionTerminated');
      const employeeId = await subscriptions.terminatedEmployee(projectId, subscriptionId);
      if (employeeId) await queue.send({ v: 1, kind: 'subscription', projectId, employeeId, reason: 'terminated' });
      logger.info('subscription terminated by the PBX', { projectId, subscriptionId, resubscribing: employeeId !== undefined });
      return;
    }
    const delivered = await subscriptions.subscriptionOf(projectId, subscriptionId);
    const outcome = await pipeline.handleEvent(projectId, event, receivedAt, delivered);
    metrics.count(outcome === 'duplicate' ? 'eventDuplicate' : 'eventProcessed');
    logger.debug('event processed', { projectId, eventId, outcome });
  }

  const processRecord = async (record: SQSRecord): Promise<void> => {
    try {
      await handle(parseQueueMessage(record.body));
    } catch (error) {
      // The record is retried, then parked in the DLQ; the reason is in the log.
      logger.warn('record failed', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: error as Error });
      throw error;
    }
  };

  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    try {
      return await processPartialResponse(event, processRecord, processor, { context: context as Context });
    } finally {
      metrics.publish();
    }
  };
}

export const handler = lazyHandler(() => createHandler());
