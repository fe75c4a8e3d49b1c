/**
 * DynamoDB stream consumer: an employee was created, changed (every save) or deleted →
 * make its webhook subscription at the PBX match. The stream is filtered to employee items,
 * and subscription state lives on items of its own, so these writes never re-trigger it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EMPLOYEE_SK_PREFIX } from './commons/adapters/dynamo/keys';
import { storesFrom, subscriptionServiceFrom } from './commons/composition';
import { lazyHandler, type Environment } from './commons/environment';
import { createMetrics } from './commons/adapters/metrics';
import { FUNCTIONS } from './commons/contracts/functions';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: FUNCTIONS.subscription.serviceName }) } = {}) {
  const subscriptions = subscriptionServiceFrom(env, storesFrom(env), (message, details) => logger.info(message, details));
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const metrics = createMetrics('subscription', env);

  const processRecord = async (record: DynamoDBRecord): Promise<void> => {
    const pk = record.dynamodb?.Keys?.pk?.S;
    const sk = record.dynamodb?.Keys?.sk?.S;
    if (!pk?.startsWith('P#') || !sk?.startsWith(EMPLOYEE_SK_PREFIX)) return;
    const projectId = pk.slice(2);
    const employeeId = sk.slice(EMPLOYEE_SK_PREFIX.length);
    const state = await subscriptions.reconcile(projectId, employeeId, record.eventName === 'REMOVE' ? 'removed' : 'saved');
    logger.info('employee reconciled', { projectId, employeeId, status: state.status });
    if (state.status === 'active') metrics.count('subscriptionActive');
    if (state.status === 'failed') metrics.count('subscriptionFailed');
  };

  return async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
    try {
      return await processPartialResponse(event, processRecord, processor, { context: context as Context });
    } finally {
      metrics.publish();
    }
  };
}

export const handler = lazyHandler(() => createHandler());
