import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { summarise, type CallState, type CallSummary, type Outcome } from '../../domain/call';
import { logEntryOf, shownInCallLog } from '../../domain/call-log';
import type { CallFinalization, CallLogEntry, CallStore, FinalizeResult, Page, SaveResult, StoredCall } from '../../ports';

export type { CallLogEntry } from '../../ports';
import type { DynamoClientStore } from './client-store';
import type { OutboundEvent } from '../../domain/outbound-events';
import { ACTIVE_CALL_MAX_MS } from '../../domain/clients';
import { unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { cancellationCodes, cancellationItem, conditionally, queryPage } from './document-client';
import { eventPut } from './event-feed';
import { activeCallKey, callAliasKey, callKey, callsIndexPk, callsIndexSk, clickToCallStartPk, clientKey, messageKey } from './keys';

/** A start waits this long for its call's events to link it. */
const CLICK_TO_CALL_TTL_SECONDS = 86_400;
/** A search for the call a pickup or transfer continues reads at most this many pages of the call index. */
const CONTINUED_SEARCH_PAGES = 5;

interface CallItem extends CallLogEntry {
  pk: string;
  sk: string;
  /** Absent for a call joined into another: the call log and searches show only that one. */
  gsi1pk?: string;
  gsi1sk?: string;
  version: number;
  /** The aggregate as JSON: read and written whole, never queried into. */
  state: string;
}

export class DynamoCallStore implements CallStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** A new client is created in the call's finalize transaction. */
    private readonly clients: Pick<DynamoClientStore, 'createItems'>,
  ) {}

  async load(projectId: string, extTrackingId: string): Promise<StoredCall | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: callKey(projectId, extTrackingId), ConsistentRead: true }));
    return Item && storedCallOf(Item as CallItem);
  }

  async save(state: CallState, summary: CallSummary, expectedVersion: number, started?: OutboundEvent): Promise<SaveResult> {
    // A refused write returns the call as stored: the caller merges into it without reading.
    const callPut = { ...this.conditionalPut(state, summary, expectedVersion), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
    if (!started) {
      try {
        await this.db.send(new PutCommand(callPut));
        return { saved: true };
      } catch (error) {
        if (isNamed(error, 'ConditionalCheckFailedException')) return refusedWith((error as { Item?: Record<string, NativeAttributeValue> }).Item);
        // Another event's start transaction holds the item (DynamoDB refuses a plain write meanwhile): contention, merged again.
        if (isNamed(error, 'TransactionConflictException')) return { saved: false };
        throw error;
      }
    }
    const activeFor = state.startReported?.activeFor;
    const activeCall = activeFor === undefined ? [] : [this.activeCallPut(state, summary, activeFor)];
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: [{ Put: callPut }, eventPut(this.tableName, started), ...activeCall] }));
      return { saved: true };
    } catch (error) {
      const codes = cancellationCodes(error);
      // Another event of the call won the race (or is committing): the caller merges again.
      if (codes?.[0] === 'ConditionalCheckFailed') return refusedWith(cancellationItem(error, 0));
      if (codes?.includes('ConditionalCheckFailed') || codes?.includes('TransactionConflict')) return { saved: false };
      throw error;
    }
  }

  async finalize(input: CallFinalization): Promise<FinalizeResult> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: this.finalizeItems(input, true) }));
      return 'committed';
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      // The call item is always last; the client item (update or create) always first.
      if (codes[codes.length - 1] === 'ConditionalCheckFailed') return 'call-changed';
      if (input.client?.create && codes.slice(0, -1).includes('ConditionalCheckFailed')) return 'client-exists';
      if (input.client && codes[0] === 'ConditionalCheckFailed') {
        // The client already holds variables of a later call (events arrived out of order):
        // post the notification and close the call, leave the newer variables in place.
        await this.db.send(new TransactWriteCommand({ TransactItems: this.finalizeItems(input, false) }));
        return 'committed';
      }
      throw error;
    }
  }

  async setRecordLink(stored: StoredCall, link: string, clientId: string | undefined, callStartedAt: number, event?: OutboundEvent): Promise<boolean> {
    const state: CallState = { ...stored.state, recordLink: link };
    const callPut = { Put: this.conditionalPut(state, summarise(state), stored.version) };
    const clientUpdate = clientId && {
      Update: {
        TableName: this.tableName,
        Key: clientKey(state.projectId, clientId),
        // Only while the client's variables are this call's: a later call's stay as they are.
        UpdateExpression: 'SET dealVariables.#link = :link ADD version :one',
        ConditionExpression: 'attribute_exists(pk) AND lastCallStartedAt = :startedAt',
        ExpressionAttributeNames: { '#link': 'beeline_record_link' },
        ExpressionAttributeValues: { ':link': link, ':one': 1, ':startedAt': callStartedAt },
      },
    };
    try {
      const reported = clientUpdate && event ? [eventPut(this.tableName, event)] : [];
      await this.db.send(new TransactWriteCommand({ TransactItems: clientUpdate ? [callPut, clientUpdate, ...reported] : [callPut] }));
      return true;
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      if (codes[0] === 'ConditionalCheckFailed') return false;
      if (codes[1] === 'ConditionalCheckFailed') return (await this.save(state, summarise(state), stored.version)).saved;
      throw error;
    }
  }

  async recordClickToCall(projectId: string, callId: string, operator: string, at: number): Promise<void> {
    // UpdateItem creates the item: the callback function may update, never put or delete.
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: clickToCallStartPk(projectId, operator), sk: `${new Date(at).toISOString()}#${callId}` },
        UpdateExpression: 'SET callId = :callId, #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':callId': callId, ':ttl': Math.floor(at / 1000) + CLICK_TO_CALL_TTL_SECONDS },
      }),
    );
  }

  async linkClickToCall(projectId: string, extTrackingId: string, operator: string, startedAt: number, toleranceMs: number): Promise<string | undefined> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': clickToCallStartPk(projectId, operator),
          ':from': new Date(startedAt - toleranceMs).toISOString(),
          ':to': `${new Date(startedAt + toleranceMs).toISOString()}#~`,
        },
      }),
    );
    const nearest = Items.map((item) => ({ callId: String(item.callId), distance: Math.abs(Date.parse(String(item.sk).split('#')[0]!) - startedAt) })).sort((a, b) => a.distance - b.distance);
    for (const { callId } of nearest) {
      // Claimed once: by this call (a retry) or by none yet.
      const claimed = await conditionally(
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...callAliasKey(projectId, callId), extTrackingId },
            ConditionExpression: 'attribute_not_exists(pk) OR extTrackingId = :ext',
            ExpressionAttributeValues: { ':ext': extTrackingId },
          }),
        ),
      );
      if (claimed) return callId;
    }
    return undefined;
  }

  async find(projectId: string, id: string): Promise<{ entry: CallLogEntry; state: CallState } | undefined> {
    let stored = await this.load(projectId, id);
    if (!stored) {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: callAliasKey(projectId, id), ConsistentRead: true }));
      if (Item) stored = await this.load(projectId, String(Item.extTrackingId));
    }
    // A pickup's or transfer's own tracking id leads to the business call it joined.
    if (stored?.state.continues) stored = (await this.load(projectId, stored.state.continues)) ?? stored;
    return stored && { entry: logEntryOf(stored.state, summarise(stored.state)), state: stored.state };
  }

  async callsNear(projectId: string, startedAt: number, clientPhone: string, toleranceMs: number): Promise<{ extTrackingId: string; outcome: Outcome }[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': callsIndexPk(projectId),
          ':from': new Date(startedAt - toleranceMs).toISOString(),
          ':to': `${new Date(startedAt + toleranceMs).toISOString()}#~`,
        },
      }),
    );
    return Items.filter((item) => item.clientPhone === clientPhone).map((item) => ({ extTrackingId: item.extTrackingId as string, outcome: item.outcome as Outcome }));
  }

  async findContinued(
    projectId: string,
    { clientPhone, at, lookbackMs, recentMs, excluding }: { clientPhone: string; at: number; lookbackMs: number; recentMs: number; excluding: string },
  ): Promise<string | undefined> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    for (let page = 0; page < CONTINUED_SEARCH_PAGES; page++) {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
          FilterExpression: 'clientPhone = :phone AND extTrackingId <> :self AND (outcome = :open OR endedAt >= :recent)',
          ExpressionAttributeValues: {
            ':pk': callsIndexPk(projectId),
            ':from': new Date(at - lookbackMs).toISOString(),
            ':to': `${new Date(at).toISOString()}#~`,
            ':phone': clientPhone,
            ':self': excluding,
            ':open': 'in_progress' satisfies Outcome,
            ':recent': new Date(at - recentMs).toISOString(),
          },
          ScanIndexForward: false,
          ExclusiveStartKey,
        }),
      );
      const found = result.Items?.[0];
      if (found) return String(found.extTrackingId);
      ExclusiveStartKey = result.LastEvaluatedKey;
      if (!ExclusiveStartKey) return undefined;
    }
    return undefined;
  }

  /** The call log, newest first, a page at a time. */
  async listCalls(projectId: string, limit: number, cursor?: string): Promise<Page<CallLogEntry>> {
    const indexPk = callsIndexPk(projectId);
    const callPkPrefix = callKey(projectId, '').pk;
    const { items, next } = await queryPage(
      this.db,
      { TableName: this.tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': indexPk }, ScanIndexForward: false },
      { limit, cursor, keyNames: ['pk', 'sk', 'gsi1pk', 'gsi1sk'], belongs: (key) => key.gsi1pk === indexPk && key.pk!.startsWith(callPkPrefix) && key.sk === 'CALL' },
    );
    return { items: items.map((item) => toLogEntry(item as unknown as CallItem)), ...(next && { next }) };
  }

  private finalizeItems({ stored, state, summary, client, at }: CallFinalization, writeVariables: boolean) {
    const { projectId, extTrackingId } = state;
    const callPut = { Put: this.conditionalPut(state, summary, stored.version) };
    const activeFor = state.startReported?.activeFor;
    const activeCallEnded = activeFor === undefined ? [] : [{ Delete: { TableName: this.tableName, Key: activeCallKey(projectId, activeFor, extTrackingId) } }];
    if (!client) return [...activeCallEnded, callPut];
    const startedAt = summary.startedAt;
    // No notification when amending a call whose client was already notified.
    const message =
      client.notification === undefined
        ? []
        : [this.notificationPut(projectId, client.clientId, extTrackingId, client.notification, at), ...(client.event ? [eventPut(this.tableName, client.event)] : [])];
    if (client.create) {
      const created = { ...client.create, dealVariables: { ...client.create.dealVariables, ...client.variables } };
      return [...this.clients.createItems(projectId, created, startedAt), ...message, ...activeCallEnded, callPut];
    }
    const names: Record<string, string> = { '#dv': 'dealVariables' };
    const values: Record<string, unknown> = { ':startedAt': startedAt, ':one': 1 };
    const assignments = Object.entries(client.variables).map(([name, value], i) => {
      names[`#v${i}`] = name;
      values[`:v${i}`] = value;
      return `#dv.#v${i} = :v${i}`;
    });
    const clientUpdate = writeVariables
      ? {
          Update: {
            TableName: this.tableName,
            Key: clientKey(projectId, client.clientId),
            // The version bump makes a concurrent platform update of the client retry, not overwrite.
            UpdateExpression: `SET ${assignments.join(', ')}, lastCallStartedAt = :startedAt ADD version :one`,
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastCallStartedAt) OR lastCallStartedAt <= :startedAt)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        }
      : { ConditionCheck: { TableName: this.tableName, Key: clientKey(projectId, client.clientId), ConditionExpression: 'attribute_exists(pk)' } };
    return [clientUpdate, ...message, ...activeCallEnded, callPut];
  }

  /** The client's active call, until the finalize deletes it (or, if that never comes, the TTL). */
  private activeCallPut(state: CallState, summary: CallSummary, clientId: string) {
    const reportedAt = state.startReported!.reportedAt;
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...activeCallKey(state.projectId, clientId, state.extTrackingId),
          extTrackingId: state.extTrackingId,
          startedAt: new Date(summary.startedAt).toISOString(),
          reportedAt,
          ttl: Math.ceil((reportedAt + ACTIVE_CALL_MAX_MS) / 1000),
        },
      },
    };
  }

  private notificationPut(projectId: string, clientId: string, extTrackingId: string, text: string, at: Date) {
    const atIso = at.toISOString();
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...messageKey(projectId, clientId, atIso, `call-${extTrackingId}`), text, kind: 'notification', at: atIso, extTrackingId },
      },
    };
  }

  private conditionalPut(state: CallState, summary: CallSummary, expectedVersion: number) {
    const entry = logEntryOf(state, summary);
    const item: CallItem = {
      ...callKey(state.projectId, state.extTrackingId),
      ...(shownInCallLog(state) && { gsi1pk: callsIndexPk(state.projectId), gsi1sk: callsIndexSk(entry.startedAt, state.extTrackingId) }),
      version: expectedVersion + 1,
      state: JSON.stringify(state),
      ...entry,
    };
    return {
      TableName: this.tableName,
      Item: item,
      ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
      ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ':version': expectedVersion },
    };
  }
}

function storedCallOf(item: CallItem): StoredCall {
  return { state: JSON.parse(item.state) as CallState, version: item.version };
}

/** A refusal, with the call as the refusal returned it (raw attribute values). */
function refusedWith(item: Record<string, NativeAttributeValue> | undefined): SaveResult {
  return item ? { saved: false, current: storedCallOf(unmarshall(item) as CallItem) } : { saved: false };
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function toLogEntry(item: CallItem): CallLogEntry {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, version: _version, state: _state, ...entry } = item;
  return entry;
}
