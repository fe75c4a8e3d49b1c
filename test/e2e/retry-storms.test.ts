/**
 * No retry storms: a ring-all group of 60 employees contends for one call item and still lands as one
 * call with nothing dead-lettered, and copies of one renewal re-subscribe once.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClientFrom } from '../../functions/commons/adapters/sqs-queue';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';
import { queueDepth } from '../../drivers/mixed-calls';

let stack: TestStack;
let sim: PbxSimulator;
const token = 'ring-all-token';
const members = Array.from({ length: 60 }, (_, i) => `90000011${String(i).padStart(2, '0')}`);
const projectId = `p-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  // Many batches at once, as Lambda runs them: the legs of one call collide. A visibility timeout
  // well above a contended event's retries, as on AWS (180 s; the tests' usual 2 s is shorter).
  stack = await startTestStack({ pollerConcurrency: 8, visibilityTimeoutSeconds: 30 });
  sim = stack.simulator!;
  sim.addPbx({ token, abonents: members.map((phone) => ({ phone })) });
  expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: token })).status).toBe(200);
  // Every member an employee: each leg's events come through a subscription of its own, at once.
  for (const [i, number] of members.entries()) {
    expect((await stack.api('PUT', `/projects/${projectId}/employees/${i === 0 ? 'e' : `m${i}`}`, { callMethod: 'beeline_api', beelineNumber: number })).status).toBe(200);
  }
  await eventually(
    async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/employees`);
      return body.employees.every((e: { subscription: { status: string } }) => e.subscription.status === 'active') ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
});
afterAll(() => stack?.stop());

describe('contention without storms', () => {
  it('a 60-leg ring-all call answered by one member: one call, one notification, nothing dead-lettered', async () => {
    const ext = sim.playCall({
      token,
      direction: 'incoming',
      client: '+79167600001',
      legs: members.map((abonent, i) => ({ abonent, answer: i === 37, ringMs: i === 37 ? 300 : 600, talkMs: 200 })),
    });
    await sim.waitForCall(ext);
    const call = await eventually(
      async () => {
        const { body } = await stack.api('GET', `/projects/${projectId}/calls/${ext}`);
        return body?.outcome && body.outcome !== 'in_progress' ? body : undefined;
      },
      // Sooner than the 30 s visibility timeout: no event may have failed its first receive.
      { timeoutMs: 25_000 },
    );
    expect(call).toMatchObject({ outcome: 'answered', operatorPhone: members[37] });
    expect(call.legs).toHaveLength(60);
    const messages = (await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}/messages`)).body.messages;
    expect(messages).toHaveLength(1);
    expect((await stack.queueDepth()).dead).toBe(0);
  }, 90_000);

  it('three copies of one renewal (a backlog longer than the sweep interval) re-subscribe once', async () => {
    const { body: before } = await stack.api('GET', `/projects/${projectId}/employees/e`);
    const renewal = JSON.stringify({ v: 1, kind: 'subscription', projectId, employeeId: 'e', reason: 'renewal' });
    const sqs = sqsClientFrom(stack.env);
    for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: renewal }));
    // The copies went to the events queue: done when it has nothing visible or in flight (PBX work elsewhere may still run).
    // The bound is not the point (the full suite shares two cores; the ring-all call's settles may still drain).
    await eventually(
      async () => {
        const depth = await queueDepth(stack, stack.queueUrl);
        return depth.visible + depth.inFlight === 0 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // The subscription was not due: nothing was made again at the PBX.
    const { body: after } = await stack.api('GET', `/projects/${projectId}/employees/e`);
    expect(after.subscription.subscriptionId).toBe(before.subscription.subscriptionId);
    expect(sim.requests().filter((r) => r.method === 'PUT' && r.path.endsWith('subscription')).length).toBe(members.length);
  }, 90_000);
});
