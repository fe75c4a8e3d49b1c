import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { activeCallOf, phoneIndexEntries, type Client, type PhoneMatch } from '../../domain/clients';
import { ConcurrentUpdateError, TelephonyNumberTakenError, type ClientDirectory, type DialogMessage, type Page } from '../../ports';
import { cancellationCodes, queryPage } from './document-client';
import { ACTIVE_CALL_SK_PREFIX, clientKey, clientPk, MESSAGE_PREFIX, phonePk, TELEPHONY_SK, telephonyIndexKey, variableIndexKey } from './keys';

export { ConcurrentUpdateError, type DialogMessage, TelephonyNumberTakenError } from '../../ports';

interface ClientItem extends Client {
  pk: string;
  sk: string;
  version: number;
  /** Start (epoch ms) of the call whose variables the client holds: older calls do not overwrite them. */
  lastCallStartedAt?: number;
}

export class DynamoClientStore implements ClientDirectory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async match(projectId: string, phone: string): Promise<PhoneMatch | undefined> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': phonePk(projectId, phone) },
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const first = Items[0];
    if (!first) return undefined;
    return { clientId: first.clientId as string, via: first.sk === TELEPHONY_SK ? 'telephony' : 'variable' };
  }

  /** The client with its active call, in one Query (`ACTIVE#…` items sort just before the client item). */
  async get(projectId: string, clientId: string): Promise<Client | undefined> {
    const { pk, sk } = clientKey(projectId, clientId);
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :active AND :client',
        ExpressionAttributeValues: { ':pk': pk, ':active': ACTIVE_CALL_SK_PREFIX, ':client': sk },
        ConsistentRead: true,
      }),
    );
    const stored = Items.find((item) => item.sk === sk) as ClientItem | undefined;
    if (!stored) return undefined;
    const active = Items.filter((item) => String(item.sk).startsWith(ACTIVE_CALL_SK_PREFIX)).map((item) => ({
      extTrackingId: String(item.extTrackingId),
      startedAt: String(item.startedAt),
      reportedAt: Number(item.reportedAt),
    }));
    const activeCall = activeCallOf(active, this.now());
    return { ...toClient(stored), ...(activeCall && { activeCall }) };
  }

  /**
   * Registers or updates a client from the platform, keeping its phone index entries in the
   * same transaction. Deal variables and the creation time are the product's and are kept.
   */
  async put(projectId: string, input: Pick<Client, 'clientId' | 'channel' | 'phone' | 'variables'>, now: Date): Promise<Client> {
    const existing = await this.getItem(projectId, input.clientId);
    const client: Client = {
      ...input,
      dealVariables: existing?.dealVariables ?? {},
      createdAt: existing?.createdAt ?? now.toISOString(),
    };
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: this.writeItems(projectId, client, existing) }));
      return client;
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      const telephony = phoneIndexEntries(client).telephony;
      if (codes[0] === 'ConditionalCheckFailed') throw new ConcurrentUpdateError();
      if (telephony && codes.includes('ConditionalCheckFailed')) throw new TelephonyNumberTakenError(telephony);
      throw error;
    }
  }

  /** The client's dialog, oldest first, a page at a time. */
  async listMessages(projectId: string, clientId: string, limit: number, cursor?: string): Promise<Page<DialogMessage>> {
    const pk = clientPk(projectId, clientId);
    const { items, next } = await queryPage(
      this.db,
      { TableName: this.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)', ExpressionAttributeValues: { ':pk': pk, ':msg': MESSAGE_PREFIX } },
      { limit, cursor, keyNames: ['pk', 'sk'], belongs: (key) => key.pk === pk && key.sk!.startsWith(MESSAGE_PREFIX) },
    );
    return { items: items.map((item) => ({ text: item.text as string, at: item.at as string, kind: item.kind as string })), ...(next && { next }) };
  }

  private async getItem(projectId: string, clientId: string): Promise<ClientItem | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: clientKey(projectId, clientId), ConsistentRead: true }));
    return Item as ClientItem | undefined;
  }

  /**
   * Transaction items creating a client and its phone index entries (the client item first,
   * conditional on not existing), for callers that create it inside a larger transaction.
   */
  createItems(projectId: string, client: Client, lastCallStartedAt?: number): object[] {
    const items = this.writeItems(projectId, client, undefined);
    const clientPut = items[0] as { Put: { Item: Record<string, unknown> } };
    clientPut.Put.Item.lastCallStartedAt = lastCallStartedAt;
    return items;
  }

  /** The client item first, then index changes: delete stale entries, add new ones. */
  private writeItems(projectId: string, client: Client, existing: ClientItem | undefined) {
    const table = this.tableName;
    const version = existing?.version ?? 0;
    const clientPut = {
      Put: {
        TableName: table,
        Item: { ...clientKey(projectId, client.clientId), ...client, lastCallStartedAt: existing?.lastCallStartedAt, version: version + 1 },
        ConditionExpression: existing ? 'version = :version' : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: existing ? { ':version': version } : undefined,
      },
    };
    const before = existing ? phoneIndexEntries(existing) : { telephony: undefined, variables: [] };
    const after = phoneIndexEntries(client);
    const items: object[] = [clientPut];
    const createdAt = existing?.createdAt ?? client.createdAt;

    if (before.telephony && before.telephony !== after.telephony) {
      items.push({ Delete: { TableName: table, Key: telephonyIndexKey(projectId, before.telephony) } });
    }
    if (after.telephony && after.telephony !== before.telephony) {
      items.push({
        Put: {
          TableName: table,
          Item: { ...telephonyIndexKey(projectId, after.telephony), clientId: client.clientId },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    for (const phone of before.variables.filter((p) => !after.variables.includes(p))) {
      items.push({ Delete: { TableName: table, Key: variableIndexKey(projectId, phone, createdAt, client.clientId) } });
    }
    for (const phone of after.variables.filter((p) => !before.variables.includes(p))) {
      items.push({ Put: { TableName: table, Item: { ...variableIndexKey(projectId, phone, createdAt, client.clientId), clientId: client.clientId } } });
    }
    if (items.length > 100) throw new RangeError('a client may hold at most 98 phone numbers in its variables');
    return items;
  }
}

function toClient(item: ClientItem): Client {
  return {
    clientId: item.clientId,
    channel: item.channel,
    phone: item.phone,
    variables: item.variables ?? {},
    dealVariables: item.dealVariables ?? {},
    createdAt: item.createdAt,
  };
}
