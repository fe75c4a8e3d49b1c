/**
 * Pickups and transfers under a new tracking id, as BroadWorks reports them, written by hand
 * (not by the simulator): the business call they continue is reported once, answered, with
 * the employee who took the call as operator.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/harness';
import { legEvents, type LegSpec } from '../../drivers/xsi';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);
const A = '9001234567';
const B = '9001234568';
let phoneSeq = 0;
const newPhone = () => `7926${String(1_000_000 + phoneSeq++).slice(1)}${Math.floor(Math.random() * 10)}`;

async function newProject() {
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${projectId}`, { name: 'Test' })).status).toBe(200);
  await stack.registerSubscription(projectId);
  return projectId;
}

async function play(projectId: string, events: string[]) {
  for (const xml of events) expect((await stack.postWebhook(projectId, xml)).status).toBe(200);
}

async function settledCalls(projectId: string, expected: number) {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${projectId}/calls?limit=50`);
    const calls = body.calls as { extTrackingId: string; outcome: string; operatorPhone?: string; clientId?: string }[];
    return calls.length === expected && calls.every((call) => call.outcome !== 'in_progress') ? calls : undefined;
  });
}

async function notifications(projectId: string, clientId: string) {
  const { body } = await stack.api('GET', `/projects/${projectId}/clients/${clientId}/messages`);
  return (body.messages as { kind: string; text: string }[]).filter((message) => message.kind === 'notification');
}

const ringingAt = (abonent: string, phone: string, until: number): LegSpec => ({
  abonent,
  remote: { address: `tel:+${phone}` },
  startTime: T0,
  releaseTime: until,
  releasedWithoutAddress: true,
});

describe('a colleague picks up a call ringing at an employee (CallPickedUpEvent, new tracking id)', () => {
  it('is one answered call with the colleague as operator and one notification; the new id finds it', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const [first, second] = [randomUUID(), randomUUID()];
    await play(projectId, [
      ...legEvents(first, ringingAt(A, phone, T0 + 9000)),
      ...legEvents(second, { abonent: B, firstEvent: 'CallPickedUpEvent', remote: { address: `tel:+${phone}` }, startTime: T0 + 9000, answerTime: T0 + 9100, releaseTime: T0 + 60_000 }),
    ]);
    const [call] = await settledCalls(projectId, 1);
    expect(call).toMatchObject({ extTrackingId: first, outcome: 'answered', operatorPhone: B, clientPhone: phone });
    expect(await notifications(projectId, call!.clientId!)).toEqual([expect.objectContaining({ text: 'beeline_call_event Incoming' })]);
    const { body } = await stack.api('GET', `/projects/${projectId}/calls/${second}`);
    expect(body).toMatchObject({ extTrackingId: first, outcome: 'answered' });
  });

  it('the same when the picked-up leg is answered before its CallPickedUpEvent arrives and the missed leg ends last', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const [first, second] = [randomUUID(), randomUUID()];
    const missed = legEvents(first, ringingAt(A, phone, T0 + 9000));
    const picked = legEvents(second, { abonent: B, firstEvent: 'CallPickedUpEvent', remote: { address: `tel:+${phone}` }, startTime: T0 + 9000, answerTime: T0 + 9100, releaseTime: T0 + 60_000 });
    await play(projectId, [missed[0]!, picked[1]!, picked[0]!, picked[2]!, missed[1]!]);
    const [call] = await settledCalls(projectId, 1);
    expect(call).toMatchObject({ extTrackingId: first, outcome: 'answered', operatorPhone: B });
  });
});

describe('an answered call transferred to a colleague (CallTransferredEvent, new tracking id)', () => {
  it('is one answered call with the colleague who took it as operator, and one notification', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const [first, second] = [randomUUID(), randomUUID()];
    await play(projectId, [
      ...legEvents(first, { abonent: A, remote: { address: `tel:+${phone}` }, startTime: T0, answerTime: T0 + 5000, releaseTime: T0 + 120_000 }),
      ...legEvents(second, { abonent: B, firstEvent: 'CallTransferredEvent', remote: { address: `tel:+${phone}` }, startTime: T0 + 120_000, answerTime: T0 + 121_000, releaseTime: T0 + 300_000 }),
    ]);
    const [call] = await settledCalls(projectId, 1);
    expect(call).toMatchObject({ extTrackingId: first, outcome: 'answered', operatorPhone: B, endedAt: new Date(T0 + 300_000).toISOString() });
    expect(await notifications(projectId, call!.clientId!)).toHaveLength(1);
  });

  it('a later call of the same client is never joined into an earlier finished one', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const [earlier, later] = [randomUUID(), randomUUID()];
    await play(projectId, legEvents(earlier, { abonent: A, remote: { address: `tel:+${phone}` }, startTime: T0 - 3600_000, answerTime: T0 - 3595_000, releaseTime: T0 - 3500_000 }));
    await settledCalls(projectId, 1);
    await play(projectId, legEvents(later, { abonent: B, firstEvent: 'CallTransferredEvent', remote: { address: `tel:+${phone}` }, startTime: T0, answerTime: T0 + 1000, releaseTime: T0 + 60_000 }));
    const calls = await settledCalls(projectId, 2);
    expect(calls.map((call) => call.extTrackingId).sort()).toEqual([earlier, later].sort());
  });
});
