/**
 * Signed delivery on the local stack: the project's receiver gets each outbound event once,
 * signed so that the `standardwebhooks` verifier accepts it, again with the same webhook-id
 * while it fails, and a receiver that hangs delays no other project.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callEvents, type LegSpec } from '../../drivers/xsi';
import { eventually, startTestStack, type TestStack } from '../support/harness';
import { startReceiver, type TestReceiver } from '../support/receiver';

let stack: TestStack;
const receivers: TestReceiver[] = [];
const lines: string[] = [];
beforeAll(async () => {
  stack = await startTestStack({ console: (line) => lines.push(line) });
});
afterAll(async () => {
  await stack?.stop();
  for (const receiver of receivers) await receiver.close();
});

const OPERATOR = '9001234567';
const answered = (phone: string, startTime = Date.now() - 130_000): LegSpec[] => [
  { abonent: OPERATOR, remote: { address: `tel:+${phone}` }, startTime, answerTime: startTime + 7000, releaseTime: startTime + 125_000 },
];

async function newProject(): Promise<string> {
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${projectId}`, { name: 'Delivery' })).status).toBe(200);
  await stack.registerSubscription(projectId);
  return projectId;
}

async function receiverFor(projectId: string): Promise<{ receiver: TestReceiver; secret: string }> {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const put = await stack.api('PUT', `/projects/${projectId}/delivery`, { url: receiver.url });
  expect(put).toMatchObject({ status: 200, body: { url: receiver.url, secret: expect.stringMatching(/^whsec_/) } });
  return { receiver, secret: put.body.secret };
}

async function play(projectId: string, bodies: string[]): Promise<void> {
  for (const body of bodies) expect((await stack.postWebhook(projectId, body)).status).toBe(200);
}

const callEventsAt = (receiver: TestReceiver) => receiver.received.filter((r) => JSON.parse(r.body).type === 'beeline_call_event');

describe('signed delivery to the project receiver', () => {
  it('an answered call: exactly one signed beeline_call_event with the seven variables, also when the webhooks come again', async () => {
    const projectId = await newProject();
    const { receiver, secret } = await receiverFor(projectId);
    const bodies = callEvents(randomUUID(), answered('79161220001'));
    await play(projectId, bodies);
    const [got] = await eventually(async () => (callEventsAt(receiver).length > 0 ? callEventsAt(receiver) : undefined));
    await play(projectId, bodies);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(callEventsAt(receiver)).toHaveLength(1);

    const event = new Webhook(secret).verify(got!.body, got!.headers as Record<string, string>) as any;
    expect(got!.headers['webhook-id']).toBe(event.eventId);
    expect(got!.headers['content-type']).toMatch(/^application\/json/);
    const { body: client } = await stack.api('GET', `/projects/${projectId}/clients/${event.clientId}`);
    expect(event).toMatchObject({ type: 'beeline_call_event', projectId, data: { text: 'beeline_call_event Incoming', variables: client.dealVariables } });
    expect(Object.keys(event.data.variables)).toHaveLength(7);
    // The feed has the same event, byte for byte the same object.
    const feed = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/events`);
      return body.events.length > 0 ? body.events : undefined;
    });
    expect(feed.find((e: any) => e.eventId === event.eventId)).toEqual(event);

    const { body: view } = await stack.api('GET', `/projects/${projectId}/delivery`);
    expect(view).toMatchObject({ url: receiver.url, secretHint: `whsec_…${secret.slice(-4)}` });
    expect(view.secret).toBeUndefined();
    expect(view.recent).toContainEqual(expect.objectContaining({ eventId: event.eventId, type: 'beeline_call_event', status: 'delivered', attempts: 1 }));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^delivery beeline_call_event ${event.eventId}: delivered \\(HTTP 200, attempt 1\\) \\[project ${projectId}\\]$`)));
  });

  it('a receiver failing for a while gets the event after it recovers, with the same webhook-id on every attempt', async () => {
    const projectId = await newProject();
    const { receiver, secret } = await receiverFor(projectId);
    receiver.script([{ status: 500 }, { status: 503 }, 'hang'], { status: 200 }, 'beeline_call_event');
    await play(projectId, callEvents(randomUUID(), answered('79161220002')));
    const attempts = await eventually(
      async () => {
        const got = callEventsAt(receiver);
        return got.length >= 4 ? got : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    // Each attempt is signed afresh (its own timestamp), and the last one verifies.
    expect(new Webhook(secret).verify(attempts[3]!.body, attempts[3]!.headers as Record<string, string>)).toBeTruthy();
    // Back-off: the gaps grow.
    const gaps = attempts.slice(1).map((r, i) => r.at - attempts[i]!.at);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    const eventId = attempts[0]!.headers['webhook-id'];
    const record = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/delivery`);
      const found = body.recent.find((r: any) => r.eventId === eventId);
      return found?.status === 'delivered' ? found : undefined;
    });
    // Three failed attempts, then the delivery; a redelivered job may race one attempt in (at-least-once), never more.
    expect(record.status).toBe('delivered');
    expect(record.attempts).toBeGreaterThanOrEqual(3);
    expect(record.attempts).toBeLessThanOrEqual(attempts.length);
    // A line is printed once its attempt's batch is done: the hanging attempt's may come after a redelivered copy's success.
    for (const line of [new RegExp(`^delivery beeline_call_event ${eventId}: HTTP 500, retry at .* \\(attempt 1\\)`), new RegExp(`^delivery beeline_call_event ${eventId}: no answer within 2 s`)]) {
      await eventually(async () => (lines.some((printed) => line.test(printed)) ? true : undefined), { timeoutMs: 10_000 });
    }
  });

  it("a receiver that hangs delays no other project's deliveries", async () => {
    const [slow, fast] = [await newProject(), await newProject()];
    const { receiver: hanging } = await receiverFor(slow);
    const { receiver: quick } = await receiverFor(fast);
    hanging.script([], 'hang', 'beeline_call_event');
    await Promise.all([play(slow, callEvents(randomUUID(), answered('79161220003'))), play(fast, callEvents(randomUUID(), answered('79161220004')))]);
    const started = Date.now();
    await eventually(async () => (callEventsAt(hanging).length > 0 ? true : undefined));
    await eventually(async () => (callEventsAt(quick).length > 0 ? true : undefined));
    // The other project's event is there well before the hanging receiver's 2 s timeout has passed.
    expect(callEventsAt(quick)[0]!.at - callEventsAt(hanging)[0]!.at).toBeLessThan(1500);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('the receiver settings', () => {
  it('refuse what is not a safe URL (400, nothing changed), show the secret once, rotate it, and stop on DELETE', async () => {
    const projectId = await newProject();
    for (const [url, error] of [
      ['http://bots.example.com/hook', 'url: must be https (http only to this machine)'],
      ['https://10.1.2.3/hook', 'url: address 10.1.2.3 is private, loopback, link-local or reserved'],
      ['https://user:pw@bots.example.com/hook', 'url: must not carry a user name or password'],
      ['not a url', 'url: not a valid absolute URL'],
    ]) {
      expect(await stack.api('PUT', `/projects/${projectId}/delivery`, { url })).toEqual({ status: 400, body: { error } });
    }
    expect((await stack.api('PUT', `/projects/${projectId}/delivery`, { url: 'https://bots.example.com/hook', extra: 1 })).status).toBe(400);
    expect((await stack.api('PUT', `/projects/${projectId}/delivery`, { url: `https://bots.example.com/${'a'.repeat(2100)}` })).status).toBe(400);
    expect((await stack.api('GET', `/projects/${projectId}/delivery`)).body).toEqual({ url: null, recent: [] });

    const first = await stack.api('PUT', `/projects/${projectId}/delivery`, { url: 'https://bots.example.com/hook' });
    expect(first.body).toEqual({ url: 'https://bots.example.com/hook', secretHint: expect.any(String), secret: expect.stringMatching(/^whsec_/) });
    const again = await stack.api('PUT', `/projects/${projectId}/delivery`, { url: 'https://bots.example.com/hook2' });
    expect(again.body).toEqual({ url: 'https://bots.example.com/hook2', secretHint: first.body.secretHint });
    const rotated = await stack.api('PUT', `/projects/${projectId}/delivery`, { url: 'https://bots.example.com/hook2', rotateSecret: true });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(first.body.secret);
    expect((await stack.api('GET', `/projects/${projectId}/delivery`)).body).toMatchObject({ secretHint: rotated.body.secretHint, previousSecretUntil: expect.any(String) });

    const { body: audit } = await stack.api('GET', `/projects/${projectId}/audit`);
    expect(audit.entries.map((e: any) => e.action)).toEqual(expect.arrayContaining(['delivery.set', 'delivery.secret-rotated']));
    expect(JSON.stringify(audit)).not.toContain(first.body.secret);

    expect((await stack.api('DELETE', `/projects/${projectId}/delivery`)).status).toBe(204);
    expect((await stack.api('DELETE', `/projects/${projectId}/delivery`)).status).toBe(404);
    expect((await stack.api('GET', `/projects/${projectId}/delivery`)).body.url).toBeNull();
  });
});
