import { randomBytes } from 'node:crypto';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../domain/access';
import { CAPTURE_MAX_ITEMS, CAPTURE_RETENTION_SECONDS, type CapturedExchange, type CaptureSetting } from '../../domain/capture';
import type { CaptureSink, CaptureStore } from '../../ports';
import { auditPut } from './access-store';
import { conditionally } from './document-client';
import { capturedPk, captureSettingKey } from './keys';

/**
 * What capturing functions use. Captured exchanges are written with UpdateItem only: the ingest
 * and callback functions may update, never put.
 */
export class DynamoCaptureSink implements CaptureSink {
  constructor(
    protected readonly db: DynamoDBDocumentClient,
    protected readonly tableName: string,
  ) {}

  async setting(projectId: string): Promise<CaptureSetting> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: captureSettingKey(projectId), ConsistentRead: true }));
    return {
      ...(Item?.until !== undefined && { until: String(Item.until) }),
      ...(Item?.startedAt !== undefined && { startedAt: String(Item.startedAt) }),
      captured: Number(Item?.captured ?? 0),
    };
  }

  async keep(projectId: string, exchange: CapturedExchange, now: number): Promise<boolean> {
    // The count and the end are checked where they are kept: many functions capture at once.
    const counted = await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: captureSettingKey(projectId),
          UpdateExpression: 'ADD captured :one',
          ConditionExpression: '#until > :now AND captured < :max',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':one': 1, ':now': new Date(now).toISOString(), ':max': CAPTURE_MAX_ITEMS },
        }),
      ),
    );
    if (!counted) return false;
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, unknown> = { ':ttl': Math.floor(now / 1000) + CAPTURE_RETENTION_SECONDS };
    const assignments = ['#ttl = :ttl'];
    Object.entries(exchange).forEach(([name, value], i) => {
      if (value === undefined) return;
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      assignments.push(`#f${i} = :f${i}`);
    });
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: capturedPk(projectId), sk: `${exchange.at}#${randomBytes(6).toString('hex')}` },
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  }
}

/** The whole capture mode: the API starts, stops and reads what was kept. */
export class DynamoCaptureStore extends DynamoCaptureSink implements CaptureStore {
  async start(projectId: string, setting: { until: string; startedAt: string }, audit: AuditEntry): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: this.tableName, Item: { ...captureSettingKey(projectId), ...setting, captured: 0 } } }, auditPut(this.tableName, projectId, audit)],
      }),
    );
  }

  async stop(projectId: string, at: string, audit: AuditEntry): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: captureSettingKey(projectId),
              UpdateExpression: 'SET #until = :at',
              ExpressionAttributeNames: { '#until': 'until' },
              ExpressionAttributeValues: { ':at': at },
            },
          },
          auditPut(this.tableName, projectId, audit),
        ],
      }),
    );
  }

  async list(projectId: string, after: string | undefined, limit: number): Promise<{ items: (CapturedExchange & { id: string })[]; next?: string }> {
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: after === undefined ? 'pk = :pk' : 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': capturedPk(projectId), ...(after !== undefined && { ':after': after }) },
        Limit: limit,
      }),
    );
    const items = Items.map(({ pk: _pk, sk, ttl: _ttl, ...exchange }) => ({ id: String(sk), ...(exchange as CapturedExchange) }));
    return { items, ...(LastEvaluatedKey && { next: String(LastEvaluatedKey.sk) }) };
  }
}
