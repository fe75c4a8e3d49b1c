/**
 * `beeline_call(client_phone, user)` (product spec §6): `POST /projects/{projectId}/beeline/call`
 * end to end over HTTP on the local stack against the PBX simulator, including the call it
 * starts flowing through the pipeline into the client's dialog.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler as createCallbackHandler } from '../../functions/callback';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { ADMIN_TOKEN, eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
let projectId: string;

const EMPLOYEE = '9000000001';

async function connectedProject(): Promise<string> {
  const id = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${id}`, { name: 'Demo' })).status).toBe(200);
  expect((await stack.api('PUT', `/projects/${id}/beeline`, { apiToken: 'sim-token' })).status).toBe(200);
  return id;
}

/** The answer of `beeline_call`, with the time it took. */
async function beelineCall(project: string, body: unknown, token = ADMIN_TOKEN) {
  const started = performance.now();
  const { status, body: answer } = await stack.api('POST', `/projects/${project}/beeline/call`, body, token);
  return { status, answer, ms: performance.now() - started };
}

/** Requests the PBX received to start a call. */
const callStarts = () => sim.requests().filter((r) => r.method === 'POST' && /\/call$/.test(r.path)).length;

async function finishedCall(project: string, extTrackingId: string) {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${project}/calls?limit=200`);
    const call = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === extTrackingId);
    return call && call.outcome !== 'in_progress' ? call : undefined;
  });
}

beforeAll(async () => {
  stack = await startTestStack();
  sim = stack.simulator!;
  projectId = await connectedProject();
  expect((await stack.api('PUT', `/projects/${projectId}/employees/anna`, { name: 'Anna', callMethod: 'beeline_api', beelineNumber: EMPLOYEE })).status).toBe(200);
  await eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${projectId}/employees/anna`);
    return body.subscription.status === 'active' ? body : undefined;
  });
});
afterAll(() => stack?.stop());
beforeEach(() => {
  sim.setFaults({});
});

/** Every answer the real PBX may give to a call start, and both shapes of its events (see local/pbx-sim behaviour). */
const BEHAVIOURS = [
  { clickToCall: 'one-leg', callAnswer: 'empty' }, // the best-supported: the simulator's default
  { clickToCall: 'one-leg', callAnswer: 'text' },
  { clickToCall: 'one-leg', callAnswer: 'json' },
  { clickToCall: 'two-legs', callAnswer: 'empty' },
  { clickToCall: 'two-legs', callAnswer: 'text' },
] as const;

describe.each(BEHAVIOURS)('a call started on a PBX playing click-to-call as $clickToCall, answering $callAnswer', (behaviour) => {
  const token = `c2c-${behaviour.clickToCall}-${behaviour.callAnswer}`;
  let project: string;

  beforeAll(async () => {
    sim.addPbx({ token, abonents: [{ phone: EMPLOYEE, firstName: 'Anna', recording: true }], behaviour });
    project = `p-${randomUUID().slice(0, 8)}`;
    expect((await stack.api('PUT', `/projects/${project}/beeline`, { apiToken: token })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/employees/anna`, { callMethod: 'beeline_api', beelineNumber: EMPLOYEE })).status).toBe(200);
    await eventually(async () => ((await stack.api('GET', `/projects/${project}/employees/anna`)).body.subscription.status === 'active' ? true : undefined));
  });

  /** Starts the call; answers the PBX's own call (its id is not in an empty answer) and the Call ID given to the bot. */
  async function start(clientPhone: string) {
    const before = sim.clickToCalls().length;
    const { status, answer } = await beelineCall(project, { client_phone: clientPhone, user: EMPLOYEE });
    expect(status).toBe(200);
    expect(answer).toEqual({ status: '1', result: expect.stringMatching(/^Call ID: \S+$/) });
    const calls = sim.clickToCalls();
    expect(calls).toHaveLength(before + 1);
    const simulated = calls.at(-1)!;
    expect(simulated.legs).toHaveLength(behaviour.clickToCall === 'one-leg' ? 1 : 2);
    const callId = answer.result.slice('Call ID: '.length);
    // The PBX's id when its answer names one; else an id of this product's own (never a failure).
    if (behaviour.callAnswer === 'empty') expect(callId).toMatch(/^c2c-/);
    else expect(callId).toBe(simulated.extTrackingId);
    const played = await sim.waitForCall(simulated.extTrackingId);
    const call = await finishedCall(project, simulated.extTrackingId);
    // The bot finds the call by the Call ID it was given, whichever id that is.
    const byCallId = await stack.api('GET', `/projects/${project}/calls/${callId}`);
    expect(byCallId.status).toBe(200);
    expect(byCallId.body).toMatchObject({ extTrackingId: simulated.extTrackingId, outcome: call.outcome, direction: 'Outgoing' });
    expect(byCallId.body.legs).toHaveLength(played.legs.filter((leg) => leg.startTime !== undefined).length);
    expect(byCallId.body.legs[0]).toMatchObject({ operatorPhone: EMPLOYEE, startedAt: expect.any(String), released: true });
    return call;
  }

  async function clientOf(phone: string) {
    const { body } = await stack.api('GET', `/projects/${project}/clients?phone=${phone}`);
    return body.clients[0];
  }

  it("the client answers: an answered Outgoing call in the client's variables and dialog; the employee is not a client", async () => {
    const call = await start('9161234567');
    expect(call).toMatchObject({ direction: 'Outgoing', outcome: 'answered', clientPhone: '79161234567', operatorPhone: EMPLOYEE });
    const client = await clientOf('79161234567');
    expect(client.clientId).toBe(call.clientId);
    expect(client.dealVariables).toMatchObject({ beeline_call_type: 'Outgoing', beeline_operator_phone: EMPLOYEE, beeline_client_phone: '79161234567' });
    expect(client.dealVariables.beeline_call_description).toMatch(/ принят исходящий\. Абонент: 9000000001 Клиент: 79161234567$/);
    const { body: dialog } = await stack.api('GET', `/projects/${project}/clients/${client.clientId}/messages`);
    expect(dialog.messages).toEqual([expect.objectContaining({ text: 'beeline_call_event Outgoing', kind: 'notification' })]);
    expect(await clientOf(`7${EMPLOYEE}`)).toBeUndefined();
  });

  it('the client does not answer: a missed Outgoing call of that client', async () => {
    sim.setFaults({ clickToCall: { clientAnswers: false } });
    const call = await start('9161234501');
    expect(call).toMatchObject({ direction: 'Outgoing', outcome: 'missed', clientPhone: '79161234501', operatorPhone: EMPLOYEE });
    expect((await clientOf('79161234501')).dealVariables.beeline_call_description).toMatch(/ пропущен исходящий\. /);
  });

  it('the employee does not pick up: the client was never rung, so no client is touched', async () => {
    sim.setFaults({ clickToCall: { employeeAnswers: false } });
    const call = await start('9161234502');
    expect(call.outcome).toBe('hidden');
    expect(await clientOf('79161234502')).toBeUndefined();
    expect(await clientOf(`7${EMPLOYEE}`)).toBeUndefined();
  });
});

describe('a call by its id', () => {
  it("GET /projects/{p}/calls/{id}: an unknown id is 404, another project's call is not found either", async () => {
    expect((await stack.api('GET', `/projects/${projectId}/calls/c2c-00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79165550501', legs: [{ abonent: EMPLOYEE, answer: true, talkMs: 100 }] });
    await sim.waitForCall(ext);
    const call = await finishedCall(projectId, ext);
    expect((await stack.api('GET', `/projects/${projectId}/calls/${ext}`)).body).toMatchObject({
      extTrackingId: ext,
      outcome: call.outcome,
      legs: [expect.objectContaining({ personality: 'Terminator' })],
    });
    expect((await stack.api('GET', `/projects/other-project/calls/${ext}`)).status).toBe(404);
  });
});

describe('the number format sent to the PBX', () => {
  it('by default 10-digit national, which a PBX requiring it accepts; the canonical form it refuses with its own description', async () => {
    const before = sim.clickToCalls().length;
    expect((await beelineCall(projectId, { client_phone: '+7 916 123-45-68', user: EMPLOYEE })).answer.status).toBe('1');
    expect(sim.clickToCalls().at(-1)).toMatchObject({ client: '9161234568', clientAddress: 'tel:+79161234568' });
    const canonical = createCallbackHandler({ ...stack.env, CLICK_TO_CALL_NUMBER_FORMAT: 'canonical' }, { logger: new Logger({ logLevel: 'SILENT' }) });
    const refused = JSON.parse((await canonical(callEvent(projectId, { client_phone: '79161234568', user: EMPLOYEE }))).body!);
    expect(refused).toEqual({ status: '0', error: expect.stringContaining('10 цифр'), code: 'pbx_refused' });
    expect(sim.clickToCalls()).toHaveLength(before + 1);
  });

  it.each([
    ['canonical', '79161234568'],
    ['national', '9161234568'],
    ['trunk', '89161234568'],
    ['plus', '+79161234568'],
  ] as const)('CLICK_TO_CALL_NUMBER_FORMAT=%s sends %s, and a PBX accepting any form takes it', async (format, sent) => {
    sim.addPbx({ token: 'any-format-token', abonents: [{ phone: EMPLOYEE }], behaviour: { callNumberFormat: 'any' } });
    const project = 'any-format';
    expect((await stack.api('PUT', `/projects/${project}/beeline`, { apiToken: 'any-format-token' })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/employees/anna`, { callMethod: 'beeline_api', beelineNumber: EMPLOYEE })).status).toBe(200);
    const callback = createCallbackHandler({ ...stack.env, CLICK_TO_CALL_NUMBER_FORMAT: format }, { logger: new Logger({ logLevel: 'SILENT' }) });
    const result = await callback(callEvent(project, { client_phone: '79161234568', user: EMPLOYEE }));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!).status).toBe('1');
    expect(sim.clickToCalls().at(-1)).toMatchObject({ client: sent, clientAddress: 'tel:+79161234568' });
  });
});

function callEvent(project: string, body: unknown): APIGatewayProxyEventV2 {
  return {
    rawPath: `/projects/${project}/beeline/call`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  } as unknown as APIGatewayProxyEventV2;
}

describe('a request that is not valid never reaches the PBX', () => {
  it.each<[string, unknown, RegExp, string]>([
    ['user not starting with 9', { client_phone: '79161234567', user: '8000000001' }, /^user: /, 'invalid_user'],
    ['user of 9 digits', { client_phone: '79161234567', user: '900000000' }, /^user: /, 'invalid_user'],
    ['user as a JSON number', { client_phone: '79161234567', user: 9000000001 }, /^user: .*\(got a number\)$/, 'invalid_user'],
    ['client_phone with letters', { client_phone: 'seven nine one six', user: EMPLOYEE }, /^client_phone: /, 'invalid_client_phone'],
    ['client_phone too short', { client_phone: '12345', user: EMPLOYEE }, /^client_phone: /, 'invalid_client_phone'],
    ['client_phone missing', { user: EMPLOYEE }, /^client_phone: required/, 'invalid_client_phone'],
    ['an extra field', { client_phone: '79161234567', user: EMPLOYEE, priority: 'high' }, /unknown field "priority"/, 'invalid_request'],
    ['invalid JSON', '{"client_phone": "79161234567", ', /not valid JSON/, 'invalid_request'],
  ])('%s → status 0 naming it, with its code', async (_, body, message, code) => {
    const before = callStarts();
    const { status, answer } = await beelineCall(projectId, body);
    expect(status).toBe(200);
    expect(answer).toEqual({ status: '0', error: expect.stringMatching(message), code });
    expect(callStarts()).toBe(before);
  });
});

describe('when the PBX cannot start the call', () => {
  it("a refusal answers the PBX's own description, and the call start is not repeated", async () => {
    // The injected failure must meet this call start, not a PBX read of a call finishing in the
    // background: every earlier call settled (a pending settle is a delayed message) and its work done.
    await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/calls?limit=200`);
      const depth = await stack.queueDepth();
      const settled = (body.calls as { outcome: string }[]).every((call) => call.outcome !== 'in_progress');
      return settled && depth.visible + depth.inFlight === 0 ? true : undefined;
    });
    sim.setFaults({ failApiNext: 1 });
    const before = callStarts();
    const { status, answer } = await beelineCall(projectId, { client_phone: '79161234569', user: EMPLOYEE });
    expect(status).toBe(200);
    expect(answer).toEqual({ status: '0', error: 'Внутренняя ошибка сервера (симуляция сбоя)', code: 'pbx_refused' });
    expect(callStarts()).toBe(before + 1);
  });

  it('a user who is not an employee of the project (with beeline_api) is never dialled: status 0 with a code', async () => {
    expect((await stack.api('PUT', `/projects/${projectId}/employees/boris`, { name: 'Boris', callMethod: 'none', beelineNumber: '9000000002' })).status).toBe(200);
    const before = callStarts();
    for (const user of ['9009999999', '9000000002']) {
      const { status, answer } = await beelineCall(projectId, { client_phone: '79161234569', user });
      expect(status).toBe(200);
      expect(answer).toEqual({ status: '0', error: expect.stringContaining(`user ${user} is not an employee of this project`), code: 'not_an_employee' });
    }
    // Another project's employee is not this project's.
    const other = await connectedProject();
    expect((await beelineCall(other, { client_phone: '79161234569', user: EMPLOYEE })).answer.code).toBe('not_an_employee');
    expect(callStarts()).toBe(before);
  });

  it("an employee who is no longer an abonent at the PBX: the PBX's own description", async () => {
    sim.addPbx({ token: 'leaving-token', abonents: [{ phone: '9000000061', firstName: 'Leaving' }] });
    const project = `p-${randomUUID().slice(0, 8)}`;
    expect((await stack.api('PUT', `/projects/${project}/beeline`, { apiToken: 'leaving-token' })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/employees/lena`, { callMethod: 'beeline_api', beelineNumber: '9000000061' })).status).toBe(200);
    sim.addPbx({ token: 'leaving-token', abonents: [] });
    const { answer } = await beelineCall(project, { client_phone: '79161234569', user: '9000000061' });
    expect(answer).toEqual({ status: '0', error: expect.stringContaining('9000000061'), code: 'pbx_refused' });
    expect(JSON.stringify(answer)).not.toContain('leaving-token');
  });

  it('a PBX that hangs: status 0 within 5 s, one request, no call', async () => {
    sim.setFaults({ apiLatencyMs: 10_000 });
    const before = callStarts();
    const callsBefore = sim.state.calls.size;
    const { status, answer, ms } = await beelineCall(projectId, { client_phone: '79161234569', user: EMPLOYEE });
    expect(status).toBe(200);
    expect(answer).toEqual({ status: '0', error: expect.stringContaining('did not answer in time; the call may still ring'), code: 'pbx_timeout' });
    expect(ms).toBeLessThan(5000);
    expect(ms).toBeGreaterThan(3000); // it did wait for the PBX (up to 4 s), it did not give up at once
    expect(callStarts()).toBe(before + 1);
    sim.setFaults({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.state.calls.size).toBe(callsBefore);
  });

  it('a project without a PBX connection: status 0 with a clear message', async () => {
    const other = `p-${randomUUID().slice(0, 8)}`;
    expect((await stack.api('PUT', `/projects/${other}`, { name: 'No PBX' })).status).toBe(200);
    const before = callStarts();
    const { status, answer } = await beelineCall(other, { client_phone: '79161234567', user: EMPLOYEE });
    expect(status).toBe(200);
    expect(answer).toEqual({ status: '0', error: expect.stringContaining('not connected'), code: 'pbx_not_connected' });
    expect(callStarts()).toBe(before);
  });
});

describe('rate limit per project', () => {
  it('dials at most the limit per window for a project, then answers status 0 with a code; other projects are not affected', async () => {
    const limited = await startTestStack({ callRateLimit: { calls: 2, windowSeconds: 3600 } });
    try {
      const setUp = async (id: string) => {
        expect((await limited.api('PUT', `/projects/${id}/beeline`, { apiToken: 'sim-token' })).status).toBe(200);
        expect((await limited.api('PUT', `/projects/${id}/employees/anna`, { callMethod: 'beeline_api', beelineNumber: EMPLOYEE })).status).toBe(200);
      };
      await setUp('busy');
      await setUp('quiet');
      const starts = () => limited.simulator!.requests().filter((r) => r.method === 'POST' && /\/call$/.test(r.path)).length;
      const dial = (id: string) => limited.api('POST', `/projects/${id}/beeline/call`, { client_phone: '79161234567', user: EMPLOYEE });
      expect((await dial('busy')).body.status).toBe('1');
      expect((await dial('busy')).body.status).toBe('1');
      const refused = await dial('busy');
      expect(refused).toEqual({
        status: 200,
        body: { status: '0', error: expect.stringMatching(/^too many calls for this project: at most 2 per 3600 s; the call was not started, try again in \d+ s$/), code: 'rate_limited' },
      });
      expect(starts()).toBe(2);
      expect((await dial('quiet')).body.status).toBe('1');
      expect(starts()).toBe(3);
    } finally {
      await limited.stop();
    }
  });
});

describe('auth', () => {
  it('a wrong or missing bearer token → 401 in the call contract and nothing else happens', async () => {
    const before = callStarts();
    const wrong = await beelineCall(projectId, { client_phone: '79161234567', user: EMPLOYEE }, 'not-the-token');
    expect(wrong).toMatchObject({ status: 401, answer: { status: '0', error: 'unauthorized', code: 'unauthorized' } });
    const missing = await fetch(`${stack.apiUrl}/projects/${projectId}/beeline/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_phone: '79161234567', user: EMPLOYEE }),
    });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ status: '0', error: 'unauthorized', code: 'unauthorized' });
    expect(callStarts()).toBe(before);
  });
});

describe('beeline_call retried with an Idempotency-Key (DynamoDB Local, the simulator)', () => {
  const post = (project: string, key: string) =>
    fetch(`${stack.apiUrl}/projects/${project}/beeline/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ client_phone: '79161234577', user: EMPLOYEE }),
    }).then(async (response) => ({ status: response.status, answer: await response.json() }));

  it('the same key (one after the other, or together) rings once and answers the same; a new key is a new call', async () => {
    const project = await connectedProject();
    expect((await stack.api('PUT', `/projects/${project}/employees/anna`, { callMethod: 'beeline_api', beelineNumber: EMPLOYEE })).status).toBe(200);
    const before = callStarts();
    const first = await post(project, 'bot-retry-1');
    expect(first).toMatchObject({ status: 200, answer: { status: '1' } });
    const again = await Promise.all([post(project, 'bot-retry-1'), post(project, 'bot-retry-1'), post(project, 'bot-retry-1')]);
    expect(again.map((r) => r.answer)).toEqual([first.answer, first.answer, first.answer]);
    expect(callStarts()).toBe(before + 1);
    const together = await Promise.all([post(project, 'bot-retry-2'), post(project, 'bot-retry-2')]);
    expect(together[0]!.answer).toEqual(together[1]!.answer);
    expect(callStarts()).toBe(before + 2);
  });
});
