import { randomBytes } from 'node:crypto';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, KeyScope, ProjectKey } from '../../domain/access';
import type { AccessStore } from '../../ports';
import { conditionally, conditionallyTransacted, queryAll } from './document-client';
import { auditPk, PROJECT_KEY_SK_PREFIX, projectKeyKey } from './keys';

/** Audit entries are kept this long (then DynamoDB's TTL removes them). */
const AUDIT_RETENTION_SECONDS = 400 * 86_400;

/** The Put of an audit entry, for a transaction with the change it records. */
export function auditPut(tableName: string, projectId: string, entry: AuditEntry) {
  return {
    Put: {
      TableName: tableName,
      Item: {
        pk: auditPk(projectId),
        sk: `${entry.at}#${randomBytes(6).toString('hex')}`,
        ...entry,
        ttl: Math.floor(Date.parse(entry.at) / 1000) + AUDIT_RETENTION_SECONDS,
      },
    },
  };
}

export class DynamoAccessStore implements AccessStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getKey(projectId: string, keyId: string): Promise<ProjectKey | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: projectKeyKey(projectId, keyId), ConsistentRead: true }));
    return Item && toKey(Item);
  }

  async listKeys(projectId: string): Promise<ProjectKey[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `P#${projectId}`, ':prefix': PROJECT_KEY_SK_PREFIX },
    });
    return items.map(toKey).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async createKey(key: ProjectKey, audit: AuditEntry): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: { ...projectKeyKey(key.projectId, key.keyId), ...key }, ConditionExpression: 'attribute_not_exists(pk)' } },
          auditPut(this.tableName, key.projectId, audit),
        ],
      }),
    );
  }

  async revokeKey(projectId: string, keyId: string, audit: AuditEntry): Promise<boolean> {
    return conditionallyTransacted(
      this.db.send(
        new TransactWriteCommand({
          TransactItems: [{ Delete: { TableName: this.tableName, Key: projectKeyKey(projectId, keyId), ConditionExpression: 'attribute_exists(pk)' } }, auditPut(this.tableName, projectId, audit)],
        }),
      ),
    );
  }

  async touchKey(projectId: string, keyId: string, at: string): Promise<void> {
    await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: projectKeyKey(projectId, keyId),
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  async listAudit(projectId: string, limit: number): Promise<AuditEntry[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': auditPk(projectId) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => ({ at: String(item.at), action: item.action, credential: String(item.credential), details: item.details ?? {} }));
  }
}

function toKey(item: Record<string, unknown>): ProjectKey {
  return {
    projectId: String(item.projectId),
    keyId: String(item.keyId),
    scope: item.scope as KeyScope,
    ...(typeof item.name === 'string' && { name: item.name }),
    secretHash: String(item.secretHash),
    createdAt: String(item.createdAt),
    ...(typeof item.lastUsedAt === 'string' && { lastUsedAt: item.lastUsedAt }),
  };
}
