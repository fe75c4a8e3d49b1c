/**
 * The README walkthrough's receiver (examples/receiver.mjs), run as a process of its own against
 * the local stack: it verifies the signature of the walkthrough's call and prints the event; a
 * body signed with another secret is refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSignature, newDeliverySecret } from '../../functions/commons/domain/delivery';
import { freePort } from '../../local/free-port';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let receiver: ChildProcess | undefined;
const output: string[] = [];
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  receiver?.kill();
  await stack?.stop();
});

describe('the example receiver of the README', () => {
  it("verifies and prints the walkthrough call's beeline_call_event, and refuses a forged one", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    expect((await stack.api('PUT', '/projects/demo', { name: 'Demo' })).status).toBe(200);
    expect((await stack.api('PUT', '/projects/demo/beeline', { apiToken: 'sim-token' })).status).toBe(200);
    expect((await stack.api('PUT', '/projects/demo/employees/anna', { name: 'Anna', callMethod: 'beeline_api', beelineNumber: '+7 (900) 000-00-01' })).status).toBe(200);
    const { body: delivery } = await stack.api('PUT', '/projects/demo/delivery', { url });
    receiver = spawn(process.execPath, ['examples/receiver.mjs'], { env: { ...process.env, WEBHOOK_SECRET: delivery.secret, PORT: String(port) } });
    receiver.stdout!.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
    await eventually(async () => (output.some((line) => line.startsWith('receiver listening')) ? true : undefined));
    await eventually(async () => ((await stack.api('GET', '/projects/demo/employees/anna')).body.subscription.status === 'active' ? true : undefined));

    const sim = stack.simulator!.url.replace(/\/$/, '');
    const played = await fetch(`${sim}/_sim/calls`, {
      method: 'POST',
      body: JSON.stringify({ token: 'sim-token', direction: 'incoming', client: '8 (916) 123-45-67', legs: [{ abonent: '9000000001', answer: true, talkMs: 500 }] }),
    });
    expect(played.status).toBe(200);
    const line = await eventually(async () => output.find((l) => l.startsWith('verified beeline_call_event')), { timeoutMs: 30_000 });
    expect(line).toMatch(/^verified beeline_call_event evt_\S+ \{"text":"beeline_call_event Incoming","variables":\{.*"beeline_client_phone":"79161234567"/);

    // Signed with another secret: 401, nothing printed.
    const body = JSON.stringify({ eventId: `evt_${randomUUID()}`, type: 'beeline_call_event', data: {} });
    const timestamp = Math.floor(Date.now() / 1000);
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'webhook-id': 'evt_forged', 'webhook-timestamp': String(timestamp), 'webhook-signature': webhookSignature([newDeliverySecret()], 'evt_forged', timestamp, body) },
      body,
    });
    expect(forged.status).toBe(401);
    // The call's two events (it started, it was notified), each verified once.
    expect(output.filter((l) => l.startsWith('verified')).map((l) => l.split(' ')[1])).toEqual(['beeline_call_started', 'beeline_call_event']);
  });
});
