/**
 * Idempotency keys on the table, with UpdateItem and GetItem only (what the callback function
 * may do): a claim is a conditional update that succeeds for a new or expired key.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyClaim, IdempotencyStore } from '../../ports';
import { conditionally } from './document-client';
import { idempotencyKey } from './keys';

export class DynamoIdempotencyStore<T> implements IdempotencyStore<T> {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(projectId: string, keyHash: string, requestHash: string, now: number, ttlSeconds: number): Promise<IdempotencyClaim<T>> {
    const nowSeconds = Math.floor(now / 1000);
    const claimed = await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: idempotencyKey(projectId, keyHash),
          UpdateExpression: 'SET requestHash = :hash, claimedAt = :now, #ttl = :ttl REMOVE answer',
          // A key whose time is up is free even before TTL deletes it.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :nowSeconds',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':hash': requestHash, ':now': now, ':ttl': nowSeconds + ttlSeconds, ':nowSeconds': nowSeconds },
        }),
      ),
    );
    if (claimed) return { kind: 'claimed' };
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: idempotencyKey(projectId, keyHash), ConsistentRead: true }));
    if (!Item) return { kind: 'in-progress' };
    if (Item.requestHash !== requestHash) return { kind: 'other-request' };
    return typeof Item.answer === 'string' ? { kind: 'answered', answer: JSON.parse(Item.answer) as T } : { kind: 'in-progress' };
  }

  async complete(projectId: string, keyHash: string, requestHash: string, answer: T): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: idempotencyKey(projectId, keyHash),
        UpdateExpression: 'SET answer = :answer',
        ConditionExpression: 'requestHash = :hash',
        ExpressionAttributeValues: { ':answer': JSON.stringify(answer), ':hash': requestHash },
      }),
    );
  }

  async release(projectId: string, keyHash: string, requestHash: string, now: number): Promise<void> {
    // Expired at once: the next claim takes it (UpdateItem only: the callback may not delete).
    await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: idempotencyKey(projectId, keyHash),
          UpdateExpression: 'SET #ttl = :past',
          ConditionExpression: 'requestHash = :hash AND attribute_not_exists(answer)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':past': Math.floor(now / 1000) - 1, ':hash': requestHash },
        }),
      ),
    );
  }
}
