/** A project's receiver of outbound events and its delivery records, as items of the table (see keys.ts). */
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../domain/access';
import { OUTBOUND_EVENT_KEPT_DAYS } from '../../domain/outbound-events';
import type { DeliveryRecord, DeliverySettings, DeliveryStore } from '../../ports';
import { auditPut } from './access-store';
import { conditionally, conditionallyTransacted } from './document-client';
import { deliveriesPk, deliveryRecordKey, deliverySettingsKey } from './keys';

const SETTINGS_FIELDS = ['url', 'secretCipher', 'secretHint', 'previousSecretCipher', 'previousUntil', 'failures', 'pausedUntil', 'updatedAt'] as const;
const RECORD_FIELDS = ['eventId', 'type', 'occurredAt', 'status', 'attempts', 'lastError', 'at'] as const;

function pick<T>(item: Record<string, unknown> | undefined, fields: readonly string[]): T | undefined {
  if (!item) return undefined;
  return Object.fromEntries(fields.filter((field) => item[field] !== undefined).map((field) => [field, item[field]])) as T;
}

export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getSettings(projectId: string): Promise<DeliverySettings | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: deliverySettingsKey(projectId), ConsistentRead: true }));
    return pick<DeliverySettings>(Item, SETTINGS_FIELDS);
  }

  async putSettings(projectId: string, settings: DeliverySettings, audit: AuditEntry): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: this.tableName, Item: { ...deliverySettingsKey(projectId), ...settings } } }, auditPut(this.tableName, projectId, audit)],
      }),
    );
  }

  async deleteSettings(projectId: string, audit: AuditEntry): Promise<boolean> {
    return conditionallyTransacted(
      this.db.send(
        new TransactWriteCommand({
          TransactItems: [{ Delete: { TableName: this.tableName, Key: deliverySettingsKey(projectId), ConditionExpression: 'attribute_exists(pk)' } }, auditPut(this.tableName, projectId, audit)],
        }),
      ),
    );
  }

  async forAttempt(projectId: string, event: { occurredAt: string; eventId: string }): Promise<{ settings?: DeliverySettings; record?: DeliveryRecord }> {
    const settingsKey = deliverySettingsKey(projectId);
    const recordKey = deliveryRecordKey(projectId, event.occurredAt, event.eventId);
    let keys: Record<string, unknown>[] = [settingsKey, recordKey];
    const found: Record<string, unknown>[] = [];
    // BatchGetItem may leave keys unprocessed under load: asked again, a few times.
    for (let round = 0; keys.length > 0; round++) {
      if (round === 5) throw new Error('delivery: the receiver settings could not be read');
      const { Responses, UnprocessedKeys } = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      found.push(...(Responses?.[this.tableName] ?? []));
      keys = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    }
    const itemOf = (key: { pk: string; sk: string }) => found.find((item) => item.pk === key.pk && item.sk === key.sk);
    return { settings: pick<DeliverySettings>(itemOf(settingsKey), SETTINGS_FIELDS), record: pick<DeliveryRecord>(itemOf(recordKey), RECORD_FIELDS) };
  }

  async saveRecord(projectId: string, record: DeliveryRecord): Promise<void> {
    const ttl = Math.floor(Date.parse(record.occurredAt) / 1000) + OUTBOUND_EVENT_KEPT_DAYS * 86_400;
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...deliveryRecordKey(projectId, record.occurredAt, record.eventId), ...record, ttl } }));
  }

  async recent(projectId: string, limit: number): Promise<DeliveryRecord[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': deliveriesPk(projectId) }, ScanIndexForward: false, Limit: limit }),
    );
    return Items.map((item) => pick<DeliveryRecord>(item, RECORD_FIELDS)!);
  }

  async setReceiverHealth(projectId: string, health: { failures: number; pausedUntil?: number }): Promise<void> {
    await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliverySettingsKey(projectId),
          UpdateExpression: health.pausedUntil === undefined ? 'SET failures = :failures REMOVE pausedUntil' : 'SET failures = :failures, pausedUntil = :until',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':failures': health.failures, ...(health.pausedUntil !== undefined && { ':until': health.pausedUntil }) },
        }),
      ),
    );
  }
}
