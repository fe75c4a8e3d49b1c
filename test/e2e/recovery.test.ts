/** Calls whose webhooks never arrived are rebuilt from the PBX's records, exactly once. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
let projectId: string;
beforeAll(async () => {
  // The recovery runs every second and looks at calls older than 1 s.
  stack = await startTestStack({ renewSweepSeconds: 1, recoverySweepSeconds: 1, recoveryLagSeconds: 1, recordFirstDelaySeconds: 1, recordGiveUpSeconds: 10 });
  sim = stack.simulator!;
  projectId = `p-${randomUUID().slice(0, 8)}`;
  await stack.api('PUT', `/projects/${projectId}`, { name: 'Recovery' });
  expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'sim-token' })).status).toBe(200);
  await stack.api('PUT', `/projects/${projectId}/employees/e1`, { callMethod: 'beeline_api', beelineNumber: '9000000001' });
  await eventually(async () => ((await stack.api('GET', `/projects/${projectId}/employees/e1`)).body.subscription.status === 'active' ? true : undefined));
});
afterAll(() => stack?.stop());

const calls = async () => (await stack.api('GET', `/projects/${projectId}/calls?limit=200`)).body.calls as any[];
const messagesOf = async (clientId: string) => (await stack.api('GET', `/projects/${projectId}/clients/${clientId}/messages`)).body.messages as any[];

describe('recovery of lost calls', () => {
  it('a call whose webhooks were all dropped gets its client, variables and one notification, marked recovered', async () => {
    sim.setFaults({ dropEvents: true, recordDelayMs: 200 });
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79169000001', legs: [{ abonent: '9000000001', answer: true }] });
    await sim.waitForCall(ext);
    sim.setFaults({});
    const call = await eventually(async () => (await calls()).find((c) => c.clientPhone === '79169000001' && c.outcome !== 'in_progress'), { timeoutMs: 20_000 });
    expect(call).toMatchObject({ extTrackingId: ext, recovered: true, outcome: 'answered', direction: 'Incoming', operatorPhone: '9000000001' });
    const client = (await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}`)).body;
    expect(client.dealVariables).toMatchObject({ beeline_call_type: 'Incoming', beeline_client_phone: '79169000001', beeline_operator_phone: '9000000001' });
    expect(client.dealVariables.beeline_call_description).toContain('принят входящий. Абонент: 9000000001 Клиент: 79169000001');
    // Several more sweeps run meanwhile: still one call, one notification.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await calls()).filter((c) => c.clientPhone === '79169000001')).toHaveLength(1);
    expect(await messagesOf(call.clientId)).toHaveLength(1);
  });

  it('a missed call without a recording is recovered from the statistics alone', async () => {
    sim.setFaults({ dropEvents: true });
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79169000002', legs: [{ abonent: '9000000001', answer: false }] });
    await sim.waitForCall(ext);
    sim.setFaults({});
    const call = await eventually(async () => (await calls()).find((c) => c.clientPhone === '79169000002' && c.outcome !== 'in_progress'), { timeoutMs: 20_000 });
    expect(call).toMatchObject({ recovered: true, outcome: 'missed' });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await messagesOf(call.clientId)).toHaveLength(1);
  });

  it("a call whose release never came is ended from the PBX's records: answered, one notification, once", async () => {
    sim.setFaults({ dropEventTypes: ['CallReleasedEvent'] });
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79169000004', legs: [{ abonent: '9000000001', answer: true }] });
    await sim.waitForCall(ext);
    sim.setFaults({});
    const call = await eventually(async () => (await calls()).find((c) => c.extTrackingId === ext && c.outcome !== 'in_progress'), { timeoutMs: 20_000 });
    expect(call).toMatchObject({ recovered: true, outcome: 'answered', direction: 'Incoming', operatorPhone: '9000000001', clientPhone: '79169000004' });
    expect(call.endedAt).toBeDefined();
    const client = (await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}`)).body;
    expect(client.dealVariables).toMatchObject({ beeline_call_type: 'Incoming', beeline_client_phone: '79169000004', beeline_operator_phone: '9000000001' });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // more sweeps: nothing more
    expect((await calls()).filter((c) => c.clientPhone === '79169000004')).toHaveLength(1);
    expect(await messagesOf(call.clientId)).toHaveLength(1);
  });

  it('a call seen live is never produced twice by the recovery', async () => {
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79169000003', legs: [{ abonent: '9000000001', answer: false }] });
    const call = await eventually(async () => (await calls()).find((c) => c.extTrackingId === ext && c.outcome !== 'in_progress'));
    await new Promise((resolve) => setTimeout(resolve, 4000)); // several sweeps after the call is old enough
    expect((await calls()).filter((c) => c.clientPhone === '79169000003')).toEqual([expect.objectContaining({ extTrackingId: ext })]);
    expect(call.recovered).toBeUndefined();
    expect(await messagesOf(call.clientId)).toHaveLength(1);
  });
});
