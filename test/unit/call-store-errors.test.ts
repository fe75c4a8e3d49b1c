/** AWS error paths of the call store's save (the happy paths run against DynamoDB Local in the store contract). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoCallStore } from '../../functions/commons/adapters/dynamo/call-store';
import { DynamoClientStore } from '../../functions/commons/adapters/dynamo/client-store';
import { newCall, summarise, type CallState } from '../../functions/commons/domain/call';
import { callStartedEventOf } from '../../functions/commons/domain/outbound-events';

const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => dynamo.reset());
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' }));
const store = new DynamoCallStore(db, 'unit', new DynamoClientStore(db, 'unit'));
const state: CallState = newCall('acme', 'ext-1', Date.UTC(2026, 11, 3));
const named = (name: string) => Object.assign(new Error(name), { name });

describe('saving a call while another event of it commits its start', () => {
  it('a plain write refused for the ongoing transaction is contention (false: merged again), not a failure', async () => {
    dynamo.on(PutCommand).rejects(named('TransactionConflictException'));
    await expect(store.save(state, summarise(state), 1)).resolves.toEqual({ saved: false }); // nothing known of the call: it is read again
  });

  it('a start transaction cancelled for a conflict is contention too; other errors still throw', async () => {
    const started = { ...state, startReported: { reportedAt: Date.UTC(2026, 11, 3), activeFor: 'c-1' } };
    const event = callStartedEventOf(started, summarise(started), 'c-1', new Date(Date.UTC(2026, 11, 3)));
    dynamo.on(TransactWriteCommand).rejects(Object.assign(named('TransactionCanceledException'), { CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }] }));
    await expect(store.save(started, summarise(started), 0, event)).resolves.toEqual({ saved: false }); // nothing known of the call: it is read again
    dynamo.on(PutCommand).rejects(named('ProvisionedThroughputExceededException'));
    await expect(store.save(state, summarise(state), 1)).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});
