/** The project's outbound events as items of the table: written inside the effects' transactions, read as a feed. */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OUTBOUND_EVENT_KEPT_DAYS, type OutboundEvent } from '../../domain/outbound-events';
import { InvalidCursorError, type OutboundEventFeed } from '../../ports';
import { conditionally } from './document-client';
import { eventKey, eventsPk } from './keys';
import { OUTBOUND_EVENT_ITEM_TYPE } from '../../contracts/events';

/** A transaction item putting the event (ids are unique by construction: no condition needed). */
export function eventPut(tableName: string, event: OutboundEvent) {
  const ttl = Math.floor(Date.parse(event.occurredAt) / 1000) + OUTBOUND_EVENT_KEPT_DAYS * 86_400;
  return { Put: { TableName: tableName, Item: { ...eventKey(event.projectId, event.occurredAt, event.eventId), itemType: OUTBOUND_EVENT_ITEM_TYPE, event: JSON.stringify(event), ttl } } };
}

const CURSOR_SK = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#evt_[A-Za-z0-9_-]{26}$/;
/** The start of the feed: before any event. */
const START = '0';

export class DynamoEventFeed implements OutboundEventFeed {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  append(event: OutboundEvent): Promise<boolean> {
    return appendEvent(this.db, this.tableName, event);
  }

  async list(projectId: string, { after, limit, until }: { after?: string; limit: number; until: Date }): Promise<{ items: OutboundEvent[]; next: string }> {
    const from = after === undefined ? START : skOf(after);
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :until',
        ExpressionAttributeValues: { ':pk': eventsPk(projectId), ':from': `${from}\u0000`, ':until': `${until.toISOString()}#~` },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    const last = Items.at(-1);
    return { items: Items.map((item) => JSON.parse(String(item.event)) as OutboundEvent), next: last ? cursorOf(String(last.sk)) : (after ?? cursorOf(START)) };
  }
}

export async function appendEvent(db: DynamoDBDocumentClient, tableName: string, event: OutboundEvent): Promise<boolean> {
  const { Put } = eventPut(tableName, event);
  return conditionally(db.send(new PutCommand({ ...Put, ConditionExpression: 'attribute_not_exists(pk)' })));
}

/** A cursor is the position after an event (its sort key), opaque to callers. */
function cursorOf(sk: string): string {
  return Buffer.from(sk).toString('base64url');
}

function skOf(cursor: string): string {
  const sk = cursor.length <= 200 && /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (sk !== START && !CURSOR_SK.test(sk)) throw new InvalidCursorError();
  return sk;
}
