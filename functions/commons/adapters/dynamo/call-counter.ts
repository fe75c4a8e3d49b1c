import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CallCounter } from '../../ports';
import { conditionally } from './document-client';
import { callCounterKey } from './keys';

/** A fixed-window counter per project: one conditional UpdateItem per call start, gone by TTL an hour later. */
export class DynamoCallCounter implements CallCounter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  take(projectId: string, windowStart: number, windowSeconds: number, limit: number): Promise<boolean> {
    return conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: callCounterKey(projectId, windowStart),
          UpdateExpression: 'ADD calls :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(calls) OR calls < :limit',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': Math.floor(windowStart / 1000) + windowSeconds + 3600 },
        }),
      ),
    );
  }
}
