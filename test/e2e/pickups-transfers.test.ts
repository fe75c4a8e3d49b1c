/**
 * Pickups and transfers played by the simulator as the BroadWorks schema describes them
 * (`CallPickedUpEvent`, `CallTransferredEvent`), under each way the PBX may label the
 * colleague's leg (`continuationTrackingId`: a new tracking id, or the call's own) and each
 * way a new subscription's initial state may arrive: one business call, one notification, the
 * colleague who took the call as operator, and that colleague's recording.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
beforeAll(async () => {
  stack = await startTestStack({ recordFirstDelaySeconds: 1, recordGiveUpSeconds: 6 });
  sim = stack.simulator!;
});
afterAll(() => stack?.stop());

const VARIANTS = [
  { continuationTrackingId: 'new', initialEvent: 'after-answer' },
  { continuationTrackingId: 'kept', initialEvent: 'before-answer' },
  { continuationTrackingId: 'new', initialEvent: 'none' },
] as const;

describe.each(VARIANTS)('a PBX with continuationTrackingId $continuationTrackingId, initialEvent $initialEvent', (behaviour) => {
  const token = `continuations-${behaviour.continuationTrackingId}-${behaviour.initialEvent}`;
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  const [ringing, colleague] = behaviour.continuationTrackingId === 'new' ? ['9000000071', '9000000072'] : ['9000000073', '9000000074'];
  let clientSeq = 0;
  const newClient = () =>
    `+7916700${behaviour.initialEvent.length}${clientSeq++}${Math.floor(Math.random() * 100)
      .toString()
      .padStart(2, '0')}`;

  beforeAll(async () => {
    sim.addPbx({ token, abonents: [{ phone: ringing }, { phone: colleague, recording: true }], behaviour });
    expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: token })).status).toBe(200);
    for (const [employeeId, number] of [
      ['ringing', ringing],
      ['colleague', colleague],
    ] as const) {
      expect((await stack.api('PUT', `/projects/${projectId}/employees/${employeeId}`, { callMethod: 'beeline_api', beelineNumber: number })).status).toBe(200);
    }
    await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/employees`);
      return body.employees.every((e: { subscription: { status: string } }) => e.subscription.status === 'active') ? true : undefined;
    });
  });

  /** The project's one call for this client, once settled with its recording link. */
  async function theCall(clientPhone: string) {
    return eventually(
      async () => {
        const { body } = await stack.api('GET', `/projects/${projectId}/calls?limit=100`);
        const calls = body.calls.filter((c: { clientPhone?: string }) => `+${c.clientPhone}` === clientPhone.replace(/^\+7/, '+7'));
        return calls.length > 0 && calls.every((c: { outcome: string; recordLink?: string }) => c.outcome !== 'in_progress' && c.recordLink) ? calls : undefined;
      },
      { timeoutMs: 20_000 },
    );
  }

  async function notifications(clientId: string) {
    const { body } = await stack.api('GET', `/projects/${projectId}/clients/${clientId}/messages`);
    return (body.messages as { kind: string; text: string }[]).filter((m) => m.kind === 'notification').map((m) => m.text);
  }

  it.each([
    ['a colleague picks up the call ringing at the employee', 'incoming', { answer: false, ringMs: 300, talkMs: 200, pickedUpBy: colleague }, 'Incoming'],
    ['the employee transfers an answered incoming call to the colleague', 'incoming', { answer: true, ringMs: 100, talkMs: 200, transferTo: colleague }, 'Incoming'],
    ['the employee transfers an outgoing call to the colleague', 'outgoing', { answer: true, ringMs: 100, talkMs: 200, transferTo: colleague }, 'Outgoing'],
  ] as const)("%s: one answered call, the colleague as operator, one notification, the colleague's recording", async (_name, direction, leg, expectedDirection) => {
    const client = newClient();
    const ext = sim.playCall({ token, direction, client, legs: [{ abonent: ringing, ...leg }] });
    await sim.waitForCall(ext);
    const calls = await theCall(client);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ extTrackingId: ext, direction: expectedDirection, outcome: 'answered', operatorPhone: colleague });
    expect(await notifications(calls[0].clientId)).toEqual([`beeline_call_event ${expectedDirection}`]);
    const { body: client_ } = await stack.api('GET', `/projects/${projectId}/clients/${calls[0].clientId}`);
    expect(client_.dealVariables).toMatchObject({ beeline_operator_phone: colleague, beeline_record_link: calls[0].recordLink });
    // The link reaches the colleague's recording, filed under the leg's own tracking id.
    expect((await fetch(calls[0].recordLink, { redirect: 'manual' })).status).toBe(302);
  });
});
