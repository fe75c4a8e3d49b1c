/**
 * SIP-account abonents (no 10-digit number, only a userId and an extension) as employees: saved
 * by extension, subscribed and called by their full userId, their calls tracked with the
 * extension as `beeline_operator_phone`, recordings found; bare-number patterns never used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';

const TOKEN = 'sip-pbx-token';
const SIP_USER = 'SIP0A1B2C3D4E5@ip.beeline.ru';
const P = 'sip-project';
let stack: TestStack;
let sim: PbxSimulator;

async function finishedCall(extTrackingId: string) {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${P}/calls`);
    const call = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === extTrackingId);
    return call && call.outcome !== 'in_progress' ? call : undefined;
  });
}

beforeAll(async () => {
  stack = await startTestStack({ recordFirstDelaySeconds: 1, recordGiveUpSeconds: 60 });
  sim = stack.simulator!;
  sim.setFaults({ recordDelayMs: 200 });
  sim.addPbx({
    token: TOKEN,
    abonents: [
      { userId: SIP_USER, extension: '205', firstName: 'Sergey', recording: true },
      { phone: '9000000071', extension: '206', firstName: 'Olga' },
    ],
  });
  expect((await stack.api('PUT', `/projects/${P}`, { name: 'SIP' })).status).toBe(200);
  expect((await stack.api('PUT', `/projects/${P}/beeline`, { apiToken: TOKEN })).status).toBe(200);
});
afterAll(() => stack?.stop());

describe('a SIP account as an employee', () => {
  it('is listed without a number, and saved by its extension; subscriptions use full userIds', async () => {
    const { body } = await stack.api('GET', `/projects/${P}/beeline/abonents`);
    expect(body.abonents).toContainEqual(expect.objectContaining({ userId: SIP_USER, extension: '205' }));
    expect(body.abonents.find((a: { userId: string }) => a.userId === SIP_USER).phone).toBeUndefined();

    const saved = await stack.api('PUT', `/projects/${P}/employees/sergey`, { name: 'Sergey', callMethod: 'beeline_api', beelineNumber: '205' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ beelineNumber: '205', abonentUserId: SIP_USER });
    // An extension of an abonent with a number stores the number.
    const olga = await stack.api('PUT', `/projects/${P}/employees/olga`, { callMethod: 'beeline_api', beelineNumber: '206' });
    expect(olga.body).toMatchObject({ beelineNumber: '9000000071', abonentUserId: '9000000071@mpbx.sip.beeline.ru' });

    await eventually(async () => ((await stack.api('GET', `/projects/${P}/employees/sergey`)).body.subscription.status === 'active' ? true : undefined));
    await eventually(async () => ((await stack.api('GET', `/projects/${P}/employees/olga`)).body.subscription.status === 'active' ? true : undefined));
    const patterns = sim
      .subscriptions()
      .filter((s) => s.token === TOKEN)
      .map((s) => s.pattern)
      .sort();
    expect(patterns).toEqual(['9000000071@mpbx.sip.beeline.ru', SIP_USER].sort());
  });

  it('refuses an extension no abonent has, and what is neither a number nor an extension', async () => {
    for (const [beelineNumber, message] of [
      ['207', /207 is not an abonent/],
      ['12a', /10 digits starting with 9.*or the extension/],
      ['9000000099', /9000000099 is not an abonent/],
    ] as const) {
      const answer = await stack.api('PUT', `/projects/${P}/employees/nobody`, { callMethod: 'beeline_api', beelineNumber });
      expect(answer.status, beelineNumber).toBe(422);
      expect(answer.body.error).toMatch(message);
    }
    expect((await stack.api('GET', `/projects/${P}/employees/nobody`)).status).toBe(404);
  });

  it('its calls are tracked with the extension as operator, and its recording is found', async () => {
    const ext = sim.playCall({ token: TOKEN, direction: 'incoming', client: '+79165550301', legs: [{ abonent: SIP_USER, answer: true, talkMs: 300 }] });
    const call = await finishedCall(ext);
    expect(call).toMatchObject({ direction: 'Incoming', outcome: 'answered', clientPhone: '79165550301', operatorPhone: '205' });
    const { body } = await stack.api('GET', `/projects/${P}/clients?phone=79165550301`);
    expect(body.clients[0].dealVariables).toMatchObject({ beeline_operator_phone: '205' });
    expect(body.clients[0].dealVariables.beeline_call_description).toMatch(/ принят входящий\. Абонент: 205 Клиент: 79165550301$/);
    const recorded = await eventually(async () => {
      const { body: now } = await stack.api('GET', `/projects/${P}/clients?phone=79165550301`);
      return now.clients[0].dealVariables.beeline_record_link || undefined;
    });
    expect(recorded).toMatch(/\/records\/sip-project\//);
  });

  it('beeline_call with its extension dials it by userId; the call lands as Outgoing of that client', async () => {
    const before = sim.clickToCalls().length;
    const { body } = await stack.api('POST', `/projects/${P}/beeline/call`, { client_phone: '79165550302', user: '205' });
    expect(body.status).toBe('1');
    const started = sim.clickToCalls();
    expect(started).toHaveLength(before + 1);
    expect(started.at(-1)!.legs[0]!.abonent).toBe(SIP_USER);
    const dialled = sim
      .requests()
      .filter((r) => r.method === 'POST' && /\/call$/.test(r.path))
      .at(-1)!;
    expect(decodeURIComponent(dialled.path)).toContain(`abonents/${SIP_USER}/call`);
    await sim.waitForCall(started.at(-1)!.extTrackingId);
    const call = await finishedCall(started.at(-1)!.extTrackingId);
    expect(call).toMatchObject({ direction: 'Outgoing', outcome: 'answered', clientPhone: '79165550302', operatorPhone: '205' });
  });
});
