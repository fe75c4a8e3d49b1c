/**
 * Live call events never wait behind PBX work: while a slow PBX holds dozens of recoveries and
 * recording look-ups, another tenant's call is in its dialog within the settle period plus a few
 * seconds. Local stack with the PBX simulator answering every API request 10 s late.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueFrom } from '../../functions/commons/composition';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
const busy = `busy-${randomUUID().slice(0, 8)}`;
const quiet = `quiet-${randomUUID().slice(0, 8)}`;

async function connect(projectId: string, token: string, number: string) {
  await stack.api('PUT', `/projects/${projectId}`, { name: projectId });
  expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: token })).status).toBe(200);
  await stack.api('PUT', `/projects/${projectId}/employees/e1`, { callMethod: 'beeline_api', beelineNumber: number });
  await eventually(async () => ((await stack.api('GET', `/projects/${projectId}/employees/e1`)).body.subscription.status === 'active' ? true : undefined));
}

beforeAll(async () => {
  stack = await startTestStack({ renewSweepSeconds: 3600, recoverySweepSeconds: 3600 });
  sim = stack.simulator!;
  sim.addPbx({ token: 'quiet-token', abonents: [{ phone: '9000000777' }] });
  await connect(busy, 'sim-token', '9000000001');
  await connect(quiet, 'quiet-token', '9000000777');
}, 60_000);
afterAll(() => stack?.stop());

describe('head-of-line blocking', () => {
  it("a slow PBX busy with one tenant's recoveries and look-ups delays no other call", async () => {
    sim.setFaults({ apiLatencyMs: 10_000 });
    try {
      const queue = queueFrom(stack.env);
      // More PBX work than the pollers take in one round (2 loops × 10 messages).
      await Promise.all([
        ...Array.from({ length: 30 }, () => queue.send({ v: 1, kind: 'recover', projectId: busy })),
        ...Array.from({ length: 10 }, () => queue.send({ v: 1, kind: 'subscription', projectId: busy, employeeId: 'e1', reason: 'renewal' })),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the work is being done

      const started = Date.now();
      const ext = sim.playCall({ token: 'quiet-token', direction: 'incoming', client: '+79169400001', legs: [{ abonent: '9000000777', answer: true }] });
      await sim.waitForCall(ext);
      const ended = Date.now();
      const call = await eventually(
        async () => {
          const { body } = await stack.api('GET', `/projects/${quiet}/calls/${ext}`);
          return body?.outcome === 'answered' ? body : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      const lateness = Date.now() - ended;
      // Settle period 1 s; a PBX request alone takes 10 s here.
      expect(lateness, `finalized ${lateness} ms after the hang-up (call played for ${ended - started} ms)`).toBeLessThan(5_000);
      const messages = (await stack.api('GET', `/projects/${quiet}/clients/${call.clientId}/messages`)).body.messages;
      expect(messages).toEqual([expect.objectContaining({ text: 'beeline_call_event Incoming' })]);
    } finally {
      sim.setFaults({});
    }
  }, 90_000);
});
