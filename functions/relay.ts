/**
 * Table stream consumer (new outbound event items only): hands each event of a project with a
 * receiver to the delivery queue, and puts every event on the EventBridge bus when one is set.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { relayFrom } from './commons/composition/delivery';
import { relayEvents, storedEventOf, type StoredEvent } from './commons/app/delivery/relay';
import { FUNCTIONS } from './commons/contracts/functions';
import { lazyHandler, type Environment } from './commons/environment';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: FUNCTIONS.relay.serviceName }) } = {}) {
  const deps = relayFrom(env);
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const stored: StoredEvent[] = [];
    for (const record of event.Records) {
      const item = storedEventOf(record.dynamodb?.NewImage?.event?.S);
      if (item) stored.push(item);
      else logger.warn('stream record is not an outbound event: skipped', { keys: record.dynamodb?.Keys });
    }
    try {
      const { queued } = await relayEvents(deps, stored);
      logger.debug('events relayed', { events: stored.length, queued });
      return { batchItemFailures: [] };
    } catch (error) {
      // The whole batch again (a delivery queued twice is sent once: the deliverer checks its record).
      logger.error('relay failed', { error: error as Error });
      return { batchItemFailures: event.Records.slice(0, 1).map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })) };
    }
  };
}

export const handler = lazyHandler(() => createHandler());
