/** The webhook boundary: what the PBX (or anyone) posts, and what reaches the queue. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { sqsClientFrom } from '../../functions/commons/adapters/sqs-queue';
import { startTestStack, type TestStack } from '../support/harness';
import { xsiEvent } from '../../drivers/xsi';

let stack: TestStack;
beforeAll(async () => {
  // No poller: whatever the ingest function queues stays in the queue to be counted.
  stack = await startTestStack({ pollerConcurrency: 0 });
});
afterAll(() => stack?.stop());
beforeEach(async () => {
  await sqsClientFrom(stack.env).send(new PurgeQueueCommand({ QueueUrl: stack.queueUrl }));
});

const terminated = xsiEvent({ type: 'SubscriptionTerminatedEvent', abonent: '9001234567' });

async function queued() {
  const depth = await stack.queueDepth();
  return depth.visible + depth.inFlight + depth.delayed;
}

describe('POST /webhooks/beeline/{projectId}/{secret}', () => {
  it('queues a well-formed event and answers 200', async () => {
    const answer = await stack.postWebhook('acme', terminated);
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(await queued()).toBe(1);
  });

  it('accepts events of unknown types (they are kept, never a failure)', async () => {
    const unknown = xsiEvent({ type: 'SomethingNewEvent', abonent: '9001234567' });
    expect((await stack.postWebhook('acme', unknown)).status).toBe(200);
    expect(await queued()).toBe(1);
  });

  const rejected: [string, () => Promise<{ status: number; body: any }>, number][] = [
    ['a wrong secret', () => stack.postWebhook('acme', terminated, 'not-the-secret'), 403],
    ['the secret of another project', () => stack.postWebhook('acme', terminated, stack.webhookUrl('other').split('/').pop()), 403],
    ['broken XML', () => stack.postWebhook('acme', '<xsi:Event><xsi:eventID>1</xsi:eventID>'), 400],
    ['XML that is not an Xsi event', () => stack.postWebhook('acme', '<?xml version="1.0"?><order><id>1</id></order>'), 400],
    [
      'an entity-expansion body',
      () =>
        stack.postWebhook(
          'acme',
          `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>` +
            terminated.replace('<?xml version="1.0" encoding="UTF-8"?>', '').replace('9001234567', '&lol2;'),
        ),
      400,
    ],
    ['an external entity', () => stack.postWebhook('acme', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]><x>&ext;</x>`), 400],
    ['a 300 KiB body', () => stack.postWebhook('acme', terminated.replace('</xsi:Event>', `<!--${'x'.repeat(300 * 1024)}--></xsi:Event>`)), 413],
    ['an empty body', () => stack.postWebhook('acme', ''), 400],
  ];
  it.each(rejected)('refuses %s with the documented status and queues nothing', async (_name, send, status) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error: expect.any(String) });
    expect(JSON.stringify(answer.body)).not.toContain('test-webhook-key');
    expect(await queued()).toBe(0);
  });

  it('an id with characters outside the contract is refused', async () => {
    const response = await fetch(`${stack.apiUrl}/webhooks/beeline/${encodeURIComponent('../etc')}/x`, { method: 'POST', body: terminated });
    expect(response.status).toBe(403);
    expect(await queued()).toBe(0);
  });
});
