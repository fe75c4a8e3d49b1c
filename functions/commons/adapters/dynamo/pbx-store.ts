import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Employee, SubscriptionRecord, SubscriptionState } from '../../domain/subscriptions';
import { RETIRED_GRACE_MS, RETIRED_RECORD_KEPT_SECONDS } from '../../domain/subscriptions';
import type { AuditEntry } from '../../domain/access';
import { INITIAL_WEBHOOK_SECRET, type WebhookSecretState } from '../../domain/webhook-secret';
import { auditPut } from './access-store';
import { conditionally, conditionallyTransacted, queryAll } from './document-client';
import {
  CONNECTED_INDEX_PK,
  connectionKey,
  EMPLOYEE_SK_PREFIX,
  employeeKey,
  RENEWALS_INDEX_PK,
  renewalsIndexSk,
  SUBSCRIPTION_STATE_SK_PREFIX,
  subscriptionRecordKey,
  subscriptionStateKey,
  recordLinksKey,
  watchSettingKey,
  webhookSecretStateKey,
} from './keys';

import type { DueRenewal, PbxStore, StoredConnection, VersionedState, WatchSetting } from '../../ports';

export type { DueRenewal, StoredConnection, VersionedState, WatchSetting };

/** The PBX connection, employees and subscription bookkeeping of every project. */
export class DynamoPbxStore implements PbxStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getConnection(projectId: string): Promise<StoredConnection | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: connectionKey(projectId), ConsistentRead: true }));
    return Item && { encryptedToken: Item.encryptedToken, tokenHint: Item.tokenHint, connectedAt: Item.connectedAt };
  }

  /** Stores the connection and the audit entry of the change in one write. */
  async putConnection(projectId: string, connection: StoredConnection, audit: AuditEntry): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: { ...connectionKey(projectId), ...connection, gsi1pk: CONNECTED_INDEX_PK, gsi1sk: projectId } } },
          auditPut(this.tableName, projectId, audit),
        ],
      }),
    );
  }

  /** Every project with a PBX connection (for the scheduled recovery). */
  async connectedProjects(): Promise<string[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': CONNECTED_INDEX_PK },
    });
    return items.map((item) => String(item.gsi1sk));
  }

  /** Removes the connection and records the audit entry in one write; false (nothing written) when there was none. */
  async deleteConnection(projectId: string, audit: AuditEntry): Promise<boolean> {
    return conditionallyTransacted(
      this.db.send(
        new TransactWriteCommand({
          TransactItems: [{ Delete: { TableName: this.tableName, Key: connectionKey(projectId), ConditionExpression: 'attribute_exists(pk)' } }, auditPut(this.tableName, projectId, audit)],
        }),
      ),
    );
  }

  async getWebhookSecret(projectId: string): Promise<WebhookSecretState> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: webhookSecretStateKey(projectId), ConsistentRead: true }));
    if (!Item) return INITIAL_WEBHOOK_SECRET;
    return {
      generation: Number(Item.generation),
      ...(Item.previousGeneration !== undefined && { previousGeneration: Number(Item.previousGeneration) }),
      ...(Item.previousValidUntil !== undefined && { previousValidUntil: Number(Item.previousValidUntil) }),
      ...(Item.rotatedAt !== undefined && { rotatedAt: String(Item.rotatedAt) }),
    };
  }

  /** Stores the rotated state if the generation is still `from`'s, with its audit entry; false when someone rotated meanwhile. */
  async rotateWebhookSecret(projectId: string, from: WebhookSecretState, next: WebhookSecretState, audit: AuditEntry): Promise<boolean> {
    return conditionallyTransacted(
      this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...webhookSecretStateKey(projectId), ...next },
                ConditionExpression: from.generation === 0 ? 'attribute_not_exists(pk) OR generation = :from' : 'generation = :from',
                ExpressionAttributeValues: { ':from': from.generation },
              },
            },
            auditPut(this.tableName, projectId, audit),
          ],
        }),
      ),
    );
  }

  /** The generation the project's record links are signed with (0 until the first revocation). */
  async getRecordLinkGeneration(projectId: string): Promise<number> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: recordLinksKey(projectId), ConsistentRead: true }));
    return Item ? Number(Item.generation) : 0;
  }

  /** Every link made so far stops working: the next generation, with the audit entry, in one write. */
  async revokeRecordLinks(projectId: string, at: Date, audit: (generation: number) => AuditEntry): Promise<number> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.getRecordLinkGeneration(projectId);
      const next = current + 1;
      const saved = await conditionallyTransacted(
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...recordLinksKey(projectId), generation: next, revokedAt: at.toISOString() },
                  ConditionExpression: current === 0 ? 'attribute_not_exists(pk)' : 'generation = :current',
                  ...(current !== 0 && { ExpressionAttributeValues: { ':current': current } }),
                },
              },
              auditPut(this.tableName, projectId, audit(next)),
            ],
          }),
        ),
      );
      if (saved) return next;
    }
    throw new Error(`project ${projectId}: record links revoked by several requests at once; try again`);
  }

  async getWatch(projectId: string): Promise<WatchSetting> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: watchSettingKey(projectId), ConsistentRead: true }));
    return { wholePbx: Item?.wholePbx === true, ...(Item?.savedAt !== undefined && { savedAt: String(Item.savedAt) }) };
  }

  /** Stores the setting and the audit entry of the change in one write. */
  async putWatch(projectId: string, setting: WatchSetting, audit: AuditEntry): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: this.tableName, Item: { ...watchSettingKey(projectId), ...setting } } }, auditPut(this.tableName, projectId, audit)],
      }),
    );
  }

  async getEmployee(projectId: string, employeeId: string): Promise<Employee | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: employeeKey(projectId, employeeId), ConsistentRead: true }));
    return Item && toEmployee(Item);
  }

  async listEmployees(projectId: string): Promise<Employee[]> {
    return (await this.queryPrefix(projectId, EMPLOYEE_SK_PREFIX)).map(toEmployee);
  }

  async listStates(projectId: string): Promise<Map<string, SubscriptionState>> {
    const items = await this.queryPrefix(projectId, SUBSCRIPTION_STATE_SK_PREFIX);
    return new Map(items.map((item) => [String(item.sk).slice(SUBSCRIPTION_STATE_SK_PREFIX.length), toState(item)]));
  }

  /** Saves the employee and marks its subscription pending: the stream does the rest. */
  async saveEmployee(projectId: string, employee: Employee): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: { ...employeeKey(projectId, employee.employeeId), ...employee } } },
          {
            Update: {
              TableName: this.tableName,
              Key: subscriptionStateKey(projectId, employee.employeeId),
              UpdateExpression: 'SET #status = :pending, version = if_not_exists(version, :zero) + :one',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':pending': 'pending', ':zero': 0, ':one': 1 },
            },
          },
        ],
      }),
    );
  }

  async deleteEmployee(projectId: string, employeeId: string): Promise<boolean> {
    const { Attributes } = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: employeeKey(projectId, employeeId), ReturnValues: 'ALL_OLD' }));
    return Attributes !== undefined;
  }

  async getState(projectId: string, employeeId: string): Promise<VersionedState> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: subscriptionStateKey(projectId, employeeId), ConsistentRead: true }));
    return { state: Item ? toState(Item) : { status: 'none' }, version: (Item?.version as number | undefined) ?? 0 };
  }

  /**
   * Replaces the state if nobody changed it since `version` was read; false on a conflict. Every
   * field but `lastEventAt`, which only `touchLastEvent` writes: an event seen while the state was
   * being decided (the PBX's first event comes right after its subscribe answer) is not erased.
   */
  async putState(projectId: string, employeeId: string, state: SubscriptionState, version: number): Promise<boolean> {
    // Active: when to renew. Failed: when to try again (the sweep is the safety net of retries).
    const renews = (state.status === 'active' || state.status === 'failed') && state.renewAt !== undefined;
    const fields: Record<string, unknown> = {
      ...Object.fromEntries(STATE_FIELDS.map((field) => [field, state[field]])),
      gsi1pk: renews ? RENEWALS_INDEX_PK : undefined,
      gsi1sk: renews ? renewalsIndexSk(state.renewAt!, projectId, employeeId) : undefined,
    };
    const names = Object.fromEntries(Object.keys(fields).map((field) => [`#${field}`, field]));
    const set = Object.keys(fields).filter((field) => fields[field] !== undefined);
    const removed = Object.keys(fields).filter((field) => fields[field] === undefined);
    return conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionStateKey(projectId, employeeId),
          UpdateExpression: [`SET ${[...set.map((field) => `#${field} = :${field}`), 'version = :next'].join(', ')}`, removed.length ? `REMOVE ${removed.map((field) => `#${field}`).join(', ')}` : '']
            .join(' ')
            .trim(),
          ConditionExpression: version === 0 ? 'attribute_not_exists(version) OR version = :zero' : 'version = :version',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ...Object.fromEntries(set.map((field) => [`:${field}`, fields[field]])),
            ':next': version + 1,
            ...(version === 0 ? { ':zero': 0 } : { ':version': version }),
          },
        }),
      ),
    );
  }

  /** Notes that events arrive (best effort; the caller throttles it). */
  async touchLastEvent(projectId: string, employeeId: string, at: string): Promise<void> {
    await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionStateKey(projectId, employeeId),
          UpdateExpression: 'SET lastEventAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  async putSubscriptionRecord(record: SubscriptionRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...subscriptionRecordKey(record.projectId, record.subscriptionId), ...record } }));
  }

  /** Keeps a replaced subscription's events acceptable for a grace period, then lets TTL remove it. */
  async retireSubscriptionRecord(projectId: string, subscriptionId: string, at: number): Promise<void> {
    await conditionally(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionRecordKey(projectId, subscriptionId),
          UpdateExpression: 'SET retiredAt = :at, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':at': at, ':ttl': Math.ceil((at + RETIRED_GRACE_MS) / 1000) + RETIRED_RECORD_KEPT_SECONDS },
        }),
      ),
    );
  }

  async getSubscriptionRecord(projectId: string, subscriptionId: string): Promise<SubscriptionRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: subscriptionRecordKey(projectId, subscriptionId), ConsistentRead: true }));
    if (!Item) return undefined;
    return {
      subscriptionId: Item.subscriptionId,
      projectId: Item.projectId,
      employeeId: Item.employeeId,
      ...(Item.number !== undefined && { number: String(Item.number) }),
      retiredAt: Item.retiredAt,
    };
  }

  /** Subscriptions whose renewal time has come, across all projects (one index query). */
  async dueRenewals(now: string, limit = 500): Promise<DueRenewal[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :now',
        ExpressionAttributeValues: { ':pk': RENEWALS_INDEX_PK, ':now': `${now}#~` },
        Limit: limit,
      }),
    );
    return Items.map((item) => ({ projectId: String(item.pk).slice(2), employeeId: String(item.sk).slice(SUBSCRIPTION_STATE_SK_PREFIX.length) }));
  }

  private queryPrefix(projectId: string, prefix: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `P#${projectId}`, ':prefix': prefix },
    });
  }
}

function toEmployee(item: Record<string, unknown>): Employee {
  return {
    employeeId: item.employeeId as string,
    name: item.name as string | undefined,
    callMethod: item.callMethod as Employee['callMethod'],
    beelineNumber: item.beelineNumber as string | undefined,
    abonentUserId: item.abonentUserId as string | undefined,
    savedAt: item.savedAt as string,
  };
}

/** What `putState` writes: every field of a state but `lastEventAt` (`touchLastEvent`'s alone). */
const STATE_FIELDS = ['status', 'subscriptionId', 'number', 'expiresAt', 'renewAt', 'activeSince', 'lastError', 'failures'] as const satisfies readonly Exclude<
  keyof SubscriptionState,
  'lastEventAt'
>[];
// A field added to SubscriptionState and not listed above fails to compile here.
const _everyStateField: Exclude<keyof SubscriptionState, 'lastEventAt' | (typeof STATE_FIELDS)[number]> extends never ? true : never = true;

function toState(item: Record<string, unknown>): SubscriptionState {
  return {
    status: (item.status as SubscriptionState['status']) ?? 'none',
    subscriptionId: item.subscriptionId as string | undefined,
    number: item.number as string | undefined,
    expiresAt: item.expiresAt as string | undefined,
    renewAt: item.renewAt as string | undefined,
    lastEventAt: item.lastEventAt as string | undefined,
    activeSince: item.activeSince as string | undefined,
    lastError: item.lastError as string | undefined,
    failures: item.failures as number | undefined,
  };
}
