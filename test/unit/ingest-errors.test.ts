/** AWS error paths of the ingest function (the happy path runs against the SQS emulator elsewhere). */
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookSecret } from '../../functions/commons/domain/webhook-secret';
import { createHandler } from '../../functions/ingest';
import { loadEvent } from '../fixtures/events';

const sqs = mockClient(SQSClient);
// The project has never rotated its webhook secret: no state item.
const dynamo = mockClient(DynamoDBDocumentClient);
dynamo.on(GetCommand).resolves({});
afterEach(() => sqs.reset());

const env = { QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/1/events', TABLE_NAME: 'unit', WEBHOOK_KEY: 'unit-key', AWS_REGION: 'eu-central-1' };

function webhook(body: string): APIGatewayProxyEventV2 {
  return {
    pathParameters: { projectId: 'acme', secret: webhookSecret('unit-key', 'acme') },
    body,
    isBase64Encoded: false,
    rawPath: '/webhooks/beeline/acme/x',
    requestContext: { http: { method: 'POST' } },
  } as unknown as APIGatewayProxyEventV2;
}

describe('ingest when SQS fails', () => {
  it('answers 503 (so the event is not taken as accepted) and never leaks internals', async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    const handler = createHandler(env, { logger: new Logger({ logLevel: 'SILENT' }) });
    const answer = await handler(webhook(loadEvent('incoming-answered-1-received')));
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body!)).toEqual({ error: 'the event could not be queued; send it again' });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('queues the typed event with the project id and the receive time', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const before = Date.now();
    const answer = await createHandler(env, { logger: new Logger({ logLevel: 'SILENT' }) })(webhook(loadEvent('incoming-answered-1-received')));
    expect(answer.statusCode).toBe(200);
    const [call] = sqs.commandCalls(SendMessageCommand);
    const message = JSON.parse(call!.args[0].input.MessageBody!);
    expect(message).toMatchObject({ v: 1, kind: 'event', projectId: 'acme', event: { kind: 'call', type: 'CallReceivedEvent' } });
    expect(message.receivedAt).toBeGreaterThanOrEqual(before);
  });
});
