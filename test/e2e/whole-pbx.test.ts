/**
 * Hunt groups and call centres ring abonents that are not employees of the project. A
 * subscription per employee sees only the employees' legs, so a group call answered by such a
 * member looks missed. The optional whole-PBX watch (`PUT …/beeline/watch`) sees every leg: the
 * call is answered, and calls that reach no employee stay out of the product.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
const token = 'hunt-group-token';
const employee = '9000000061';
const member = '9000000062';
const projectId = `p-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  stack = await startTestStack();
  sim = stack.simulator!;
  sim.addPbx({ token, abonents: [{ phone: employee }, { phone: member }] });
  expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: token })).status).toBe(200);
  expect((await stack.api('PUT', `/projects/${projectId}/employees/e`, { callMethod: 'beeline_api', beelineNumber: employee })).status).toBe(200);
  await eventually(async () => ((await stack.api('GET', `/projects/${projectId}/employees/e`)).body.subscription.status === 'active' ? true : undefined));
});
afterAll(() => stack?.stop());

/** A hunt group ringing the employee and a member who is not one; the member answers. */
const groupCall = (client: string) =>
  sim.playCall({
    token,
    direction: 'incoming',
    client,
    legs: [
      { abonent: employee, answer: false, ringMs: 400 },
      { abonent: member, answer: true, ringMs: 150, talkMs: 100 },
    ],
  });

async function settled(extTrackingId: string) {
  return eventually(async () => {
    const { status, body } = await stack.api('GET', `/projects/${projectId}/calls/${extTrackingId}`);
    return status === 200 && body.outcome !== 'in_progress' ? body : undefined;
  });
}

const listed = async () => ((await stack.api('GET', `/projects/${projectId}/calls?limit=100`)).body.calls as { extTrackingId: string }[]).map((c) => c.extTrackingId);

describe('a hunt group answered by a member who is not an employee', () => {
  it("with subscriptions per employee only, the product sees only the employee's leg: reported missed (the reason for the whole-PBX watch)", async () => {
    expect((await stack.api('GET', `/projects/${projectId}/beeline/watch`)).body).toMatchObject({ wholePbx: false, subscription: { status: 'none' } });
    const ext = groupCall('+79167100001');
    await sim.waitForCall(ext);
    expect(await settled(ext)).toMatchObject({ outcome: 'missed', operatorPhone: employee });
  });

  it('with the whole-PBX watch on: answered, the member as operator, one notification', async () => {
    const { status, body } = await stack.api('PUT', `/projects/${projectId}/beeline/watch`, { wholePbx: true });
    expect(status).toBe(200);
    expect(body).toMatchObject({ wholePbx: true, subscription: { status: 'active' } });
    expect(sim.subscriptions().filter((s) => s.token === token && s.pattern === null)).toHaveLength(1);

    const ext = groupCall('+79167100002');
    await sim.waitForCall(ext);
    const call = await settled(ext);
    expect(call).toMatchObject({ outcome: 'answered', operatorPhone: member, clientPhone: '79167100002' });
    const { body: messages } = await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}/messages`);
    expect(messages.messages.filter((m: { kind: string }) => m.kind === 'notification')).toHaveLength(1);
  });

  it('a call that reaches no employee stays out: not listed, no client, no notification', async () => {
    const ext = sim.playCall({ token, direction: 'incoming', client: '+79167100003', legs: [{ abonent: member, answer: true, ringMs: 50, talkMs: 50 }] });
    await sim.waitForCall(ext);
    expect(await settled(ext)).toMatchObject({ outcome: 'hidden' });
    expect(await listed()).not.toContain(ext);
    expect((await stack.api('GET', `/projects/${projectId}/clients?phone=79167100003`)).body.clients).toEqual([]);
  });

  it("the watch is renewed and re-made like an employee's subscription: rotation resubscribes it, and off removes it at the PBX", async () => {
    const rotation = await stack.api('POST', `/projects/${projectId}/beeline/webhook-secret`);
    expect(rotation.body.resubscribing).toBe(2);
    const before = sim.subscriptions().find((s) => s.token === token && s.pattern === null)!.subscriptionId;
    await eventually(async () => {
      const whole = sim.subscriptions().filter((s) => s.token === token && s.pattern === null);
      return whole.length === 1 && whole[0]!.subscriptionId !== before ? true : undefined;
    });
    const { body } = await stack.api('PUT', `/projects/${projectId}/beeline/watch`, { wholePbx: false });
    expect(body).toMatchObject({ wholePbx: false, subscription: { status: 'none' } });
    expect(sim.subscriptions().filter((s) => s.token === token && s.pattern === null)).toEqual([]);
    expect((await stack.api('GET', `/projects/${projectId}/audit`)).body.entries.map((e: { action: string }) => e.action)).toContain('pbx-watch.set');
  });

  it('refuses a bad body, the watch before a PBX is connected, and an employee named like the watch', async () => {
    expect((await stack.api('PUT', `/projects/${projectId}/beeline/watch`, { wholePbx: 'yes' })).status).toBe(400);
    expect((await stack.api('PUT', `/projects/p-unconnected/beeline/watch`, { wholePbx: true })).status).toBe(422);
    expect((await stack.api('PUT', `/projects/${projectId}/employees/--whole-pbx`, { callMethod: 'none' })).status).toBe(400);
  });
});
