/**
 * PBX connection, employees and the subscription lifecycle, end to end over HTTP on the local
 * stack against the PBX simulator: nobody should ever need the "save again" cure.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhookSecret } from '../../functions/commons/domain/webhook-secret';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, WEBHOOK_KEY, type TestStack } from '../support/harness';
import { callEvents } from '../../drivers/xsi';

let stack: TestStack;
let sim: PbxSimulator;
beforeAll(async () => {
  stack = await startTestStack({ renewSweepSeconds: 1 });
  sim = stack.simulator!;
});
afterAll(() => stack?.stop());
beforeEach(() => {
  sim.setFaults({});
});

async function connectedProject(): Promise<string> {
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${projectId}`, { name: 'Demo' })).status).toBe(200);
  const connect = await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'sim-token' });
  expect(connect.status).toBe(200);
  return projectId;
}

const webhookUrl = (projectId: string) => `${stack.apiUrl}/webhooks/beeline/${projectId}/${webhookSecret(WEBHOOK_KEY, projectId)}`;
const liveSubscriptions = (projectId: string) => sim.subscriptions().filter((s) => s.url === webhookUrl(projectId));

async function activeEmployee(projectId: string, employeeId: string, previousSubscriptionId?: string) {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${projectId}/employees/${employeeId}`);
    const { subscription } = body;
    return subscription.status === 'active' && subscription.subscriptionId !== previousSubscriptionId ? body : undefined;
  });
}

async function finishedCall(projectId: string, extTrackingId: string) {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${projectId}/calls?limit=200`);
    const call = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === extTrackingId);
    return call && call.outcome !== 'in_progress' ? call : undefined;
  });
}

describe('connecting the PBX', () => {
  it('a token the PBX refuses is refused with its reason and changes nothing', async () => {
    const projectId = await connectedProject();
    const refused = await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'not-a-real-token' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toEqual(expect.any(String));
    expect(JSON.stringify(refused.body)).not.toContain('not-a-real-token');
    expect((await stack.api('GET', `/projects/${projectId}/beeline`)).body).toEqual({ connected: true, tokenHint: '…oken' });
  });

  it('a good token is accepted: abonents listed, only a hint of the token ever shown', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const { status, body } = await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'sim-token' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ connected: true, tokenHint: '…oken' });
    expect(body.abonents.map((a: { phone: string }) => a.phone)).toEqual(['9000000001', '9000000002', '9000000003']);
    expect((await stack.api('GET', `/projects/${projectId}/beeline/abonents`)).body.abonents).toHaveLength(3);
  });

  it('a PBX that cannot be reached answers 502', async () => {
    const projectId = await connectedProject();
    sim.setFaults({ failApiNext: 10 });
    const { status, body } = await stack.api('GET', `/projects/${projectId}/beeline/abonents`);
    expect(status).toBe(502);
    expect(body.error).toEqual(expect.any(String));
  });
});

describe('employees and their subscriptions', () => {
  it('saving subscribes the employee at the PBX with our webhook URL; saving again keeps exactly one live subscription', async () => {
    const projectId = await connectedProject();
    const saved = await stack.api('PUT', `/projects/${projectId}/employees/anna`, { name: 'Anna', callMethod: 'beeline_api', beelineNumber: '+7 (900) 000-00-01' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ employeeId: 'anna', callMethod: 'beeline_api', beelineNumber: '9000000001' });

    const first = await activeEmployee(projectId, 'anna');
    expect(liveSubscriptions(projectId)).toEqual([expect.objectContaining({ pattern: '9000000001@mpbx.sip.beeline.ru', subscriptionId: first.subscription.subscriptionId })]);
    expect(Date.parse(first.subscription.expiresAt)).toBeGreaterThan(Date.now());

    await stack.api('PUT', `/projects/${projectId}/employees/anna`, { name: 'Anna', callMethod: 'beeline_api', beelineNumber: '9000000001' });
    const second = await activeEmployee(projectId, 'anna', first.subscription.subscriptionId);
    await eventually(async () => (liveSubscriptions(projectId).length === 1 ? true : undefined));
    expect(liveSubscriptions(projectId)[0]!.subscriptionId).toBe(second.subscription.subscriptionId);
  });

  it('changing the number moves the subscription; deleting the employee removes it', async () => {
    const projectId = await connectedProject();
    await stack.api('PUT', `/projects/${projectId}/employees/boris`, { callMethod: 'beeline_api', beelineNumber: '9000000001' });
    const before = await activeEmployee(projectId, 'boris');
    await stack.api('PUT', `/projects/${projectId}/employees/boris`, { callMethod: 'beeline_api', beelineNumber: '8 900 000 00 02' });
    await activeEmployee(projectId, 'boris', before.subscription.subscriptionId);
    await eventually(async () => {
      const live = liveSubscriptions(projectId);
      return live.length === 1 && live[0]!.pattern === '9000000002@mpbx.sip.beeline.ru' ? true : undefined;
    });

    expect((await stack.api('DELETE', `/projects/${projectId}/employees/boris`)).status).toBe(200);
    await eventually(async () => (liveSubscriptions(projectId).length === 0 ? true : undefined));
    expect((await stack.api('GET', `/projects/${projectId}/employees/boris`)).status).toBe(404);
  });

  it('switching the method off removes the subscription', async () => {
    const projectId = await connectedProject();
    await stack.api('PUT', `/projects/${projectId}/employees/vera`, { callMethod: 'beeline_api', beelineNumber: '9000000003' });
    await activeEmployee(projectId, 'vera');
    await stack.api('PUT', `/projects/${projectId}/employees/vera`, { callMethod: 'none' });
    await eventually(async () => (liveSubscriptions(projectId).length === 0 ? true : undefined));
    const { body } = await stack.api('GET', `/projects/${projectId}/employees/vera`);
    expect(body.subscription.status).toBe('none');
  });

  it('a number that is not an abonent of this PBX is refused with a clear message', async () => {
    const projectId = await connectedProject();
    const notAbonent = await stack.api('PUT', `/projects/${projectId}/employees/x`, { callMethod: 'beeline_api', beelineNumber: '9009999999' });
    expect(notAbonent.status).toBe(422);
    expect(notAbonent.body.error).toContain('not an abonent');
    const malformed = await stack.api('PUT', `/projects/${projectId}/employees/x`, { callMethod: 'beeline_api', beelineNumber: '12345' });
    expect(malformed.status).toBe(422);
    expect((await stack.api('GET', `/projects/${projectId}/employees/x`)).status).toBe(404);
  });

  it('the PBX failing during subscribe shows failed with a readable lastError, then recovers by itself', async () => {
    const projectId = await connectedProject();
    await stack.api('PUT', `/projects/${projectId}/employees/gleb`, { callMethod: 'beeline_api', beelineNumber: '9000000002' });
    sim.setFaults({ failApiNext: 1 });
    const failed = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/employees/gleb`);
      return body.subscription.status === 'failed' ? body : undefined;
    });
    expect(failed.subscription.lastError).toEqual(expect.any(String));
    expect(failed.subscription.lastError).not.toContain('sim-token');
    await activeEmployee(projectId, 'gleb');
  });
});

describe('keeping subscriptions alive', () => {
  it('a subscription the PBX terminates is replaced at once, without any API call', async () => {
    const projectId = await connectedProject();
    await stack.api('PUT', `/projects/${projectId}/employees/dina`, { callMethod: 'beeline_api', beelineNumber: '9000000003' });
    const before = await activeEmployee(projectId, 'dina');
    await sim.terminateSubscription(before.subscription.subscriptionId);
    const after = await activeEmployee(projectId, 'dina', before.subscription.subscriptionId);
    expect(liveSubscriptions(projectId).map((s) => s.subscriptionId)).toEqual([after.subscription.subscriptionId]);
  });

  it('a short granted lifetime is renewed before it lapses, and a call across the renewal lands exactly once', async () => {
    const projectId = await connectedProject();
    sim.setFaults({ maxSubscriptionSeconds: 3 });
    await stack.api('PUT', `/projects/${projectId}/employees/egor`, { callMethod: 'beeline_api', beelineNumber: '9000000001' });
    const first = await activeEmployee(projectId, 'egor');
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+7 916 555-00-11', legs: [{ abonent: '9000000001', answer: true, ringMs: 1500, talkMs: 2500 }] });
    const renewed = await activeEmployee(projectId, 'egor', first.subscription.subscriptionId);
    expect(Date.parse(renewed.subscription.expiresAt)).toBeGreaterThan(Date.parse(first.subscription.expiresAt));
    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ outcome: 'answered', clientPhone: '79165550011', operatorPhone: '9000000001' });
    const { body } = await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}/messages`);
    expect(body.messages).toHaveLength(1);
    // Never lapsed: at every moment one subscription of ours was live.
    expect(liveSubscriptions(projectId).length).toBeGreaterThanOrEqual(1);
  });
});

describe('calls through the simulator reach the right client', () => {
  let projectId: string;
  beforeAll(async () => {
    projectId = await connectedProject();
    for (const [id, number] of [
      ['e1', '9000000001'],
      ['e2', '9000000002'],
      ['e3', '9000000003'],
    ] as const) {
      await stack.api('PUT', `/projects/${projectId}/employees/${id}`, { callMethod: 'beeline_api', beelineNumber: number });
      await activeEmployee(projectId, id);
    }
  });

  it('an answered incoming call and a missed one: variables and one notification each; lastEventAt updates', async () => {
    const answered = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '8 (916) 700-00-01', legs: [{ abonent: '9000000001', answer: true }] });
    const missed = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79167000002', legs: [{ abonent: '9000000002', answer: false }] });
    const a = await finishedCall(projectId, answered);
    const m = await finishedCall(projectId, missed);
    expect(a).toMatchObject({ outcome: 'answered', clientPhone: '79167000001', operatorPhone: '9000000001' });
    expect(m).toMatchObject({ outcome: 'missed', clientPhone: '79167000002', operatorPhone: '9000000002' });
    const client = (await stack.api('GET', `/projects/${projectId}/clients/${m.clientId}`)).body;
    expect(client.dealVariables.beeline_call_description).toMatch(/^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d пропущен входящий\. Абонент: 9000000002 Клиент: 79167000002$/);
    for (const call of [a, m]) {
      expect((await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}/messages`)).body.messages).toHaveLength(1);
    }
    const employee = (await stack.api('GET', `/projects/${projectId}/employees/e1`)).body;
    expect(Date.parse(employee.subscription.lastEventAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('duplicated and shuffled deliveries change nothing in the result', async () => {
    sim.setFaults({ duplicateEvents: true, shuffleEvents: true });
    const ext = sim.playCall({
      token: 'sim-token',
      direction: 'incoming',
      client: '+79167000003',
      sequential: true,
      legs: [
        { abonent: '9000000001', answer: false, ringMs: 60 },
        { abonent: '9000000002', answer: false, ringMs: 60 },
        { abonent: '9000000003', answer: true },
      ],
    });
    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ outcome: 'answered', operatorPhone: '9000000003', clientPhone: '79167000003' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}/messages`)).body.messages).toHaveLength(1);
  });

  it('an event carrying a subscription id this project does not have changes nothing', async () => {
    const ext = randomUUID();
    const foreign = callEvents(ext, [{ abonent: '9000000001', remote: { address: 'tel:+79167000004' }, startTime: Date.now(), answerTime: Date.now(), releaseTime: Date.now() }]).map((xml) =>
      xml.replace(/<xsi:subscriptionId>[^<]*<\/xsi:subscriptionId>/, `<xsi:subscriptionId>${randomUUID()}</xsi:subscriptionId>`),
    );
    for (const xml of foreign) expect((await stack.postWebhook(projectId, xml)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const { body } = await stack.api('GET', `/projects/${projectId}/calls?limit=200`);
    expect(body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === ext)).toBeUndefined();
    expect((await stack.api('GET', `/projects/${projectId}/clients?phone=79167000004`)).body.clients).toEqual([]);
  });
});
