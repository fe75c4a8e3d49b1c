/** The processor's batch contract: partial failures, poison messages, the dead-letter queue. */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClientFrom } from '../../functions/commons/adapters/sqs-queue';
import { parseXsiEvent } from '../../functions/commons/domain/xsi-parser';
import { createHandler } from '../../functions/processor';
import { eventually, startTestStack, type TestStack } from '../support/harness';
import { legEvents } from '../../drivers/xsi';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

function record(body: string): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: 'r',
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
    awsRegion: 'us-east-1',
  };
}

describe('a batch with a poison message', () => {
  it('reports only the poison message as failed; the rest of the batch is processed', async () => {
    const ext = randomUUID();
    const [received] = legEvents(ext, { abonent: '9001234567', remote: { address: 'tel:+79161112233' }, startTime: Date.now(), releaseTime: Date.now() });
    const parsed = parseXsiEvent(received!);
    if (!parsed.ok) throw new Error(parsed.error);
    await stack.registerSubscription('batch');
    const good = record(JSON.stringify({ v: 1, kind: 'event', projectId: 'batch', receivedAt: Date.now(), event: parsed.event }));
    const notJson = record('{not json');
    const wrongShape = record(JSON.stringify({ v: 1, kind: 'event', projectId: 'batch' }));

    const silent = new Logger({ logLevel: 'SILENT' });
    const response = await createHandler(stack.env, { logger: silent })({ Records: [notJson, good, wrongShape] });

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([notJson.messageId, wrongShape.messageId].sort());
    const { body } = await stack.api('GET', '/projects/batch/calls');
    expect(body.calls).toEqual([expect.objectContaining({ extTrackingId: ext, outcome: 'in_progress', clientPhone: '79161112233' })]);
  });

  it('a poison message on the queue is retried, then parked in the dead-letter queue', async () => {
    await sqsClientFrom(stack.env).send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: '{"v":1,"kind":"nonsense"}' }));
    const depth = await eventually(
      async () => {
        const d = await stack.queueDepth();
        return d.dead === 1 && d.visible === 0 && d.inFlight === 0 ? d : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(depth).toMatchObject({ dead: 1, visible: 0, inFlight: 0 });
  });
});
