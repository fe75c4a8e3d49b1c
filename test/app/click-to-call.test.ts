/**
 * `beeline_call(client_phone, user)` composed as the callback function composes it (the
 * project's stored connection, its employees, the rate counter), on in-memory adapters: the
 * fast tier. test/unit/click-to-call.test.ts covers the answer contract and time limits in
 * isolation; test/e2e/beeline-call.test.ts the same through the simulator.
 */
import { describe, expect, it } from 'vitest';
import { memoryApp } from '../support/memory/app';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const PROJECT = 'fast-c2c';
const NUMBER = '9001234567';
const body = (clientPhone: string, user = NUMBER) => JSON.stringify({ client_phone: clientPhone, user });

async function readyApp(options: { callRateLimit?: { calls: number; windowSeconds: number } } = {}) {
  const app = memoryApp({ startAt: T0, ...options });
  await app.connect(PROJECT);
  app.pbx.addAbonent({ userId: `${NUMBER}@mpbx.sip.beeline.ru`, phone: NUMBER });
  await app.saveEmployee(PROJECT, { employeeId: 'anna', callMethod: 'beeline_api', beelineNumber: NUMBER, abonentUserId: `${NUMBER}@mpbx.sip.beeline.ru` });
  return app;
}

describe('beeline_call', () => {
  it('rings the employee, then the client in the national format, and answers the PBX’s Call ID', async () => {
    const app = await readyApp();
    const answer = await app.startCall(PROJECT, body('+7 (916) 123-45-67'));
    expect(answer).toEqual({ status: '1', result: 'Call ID: pbx-call-2' });
    expect(app.pbx.calls).toEqual([{ pattern: `${NUMBER}@mpbx.sip.beeline.ru`, phoneNumber: '9161234567', token: 'pbx-token' }]);
  });

  it('without an id in the PBX’s answer: an own Call ID by which the call is found once it rang', async () => {
    const app = await readyApp();
    app.pbx.callIdInAnswer = false;
    const answer = await app.startCall(PROJECT, body('79161234567'));
    expect(answer).toMatchObject({ status: '1', result: expect.stringMatching(/^Call ID: c2c-[0-9a-f-]{36}$/) });
    const callId = (answer as { result: string }).result.slice('Call ID: '.length);
    expect(await app.calls.linkClickToCall(PROJECT, 'ext-from-pbx', NUMBER, T0 + 2000, 60_000)).toBe(callId);
  });

  it('never dials someone who is not a beeline_api employee of the project', async () => {
    const app = await readyApp();
    await app.saveEmployee(PROJECT, { employeeId: 'anna', callMethod: 'none', beelineNumber: NUMBER });
    const answer = await app.startCall(PROJECT, body('79161234567'));
    expect(answer).toMatchObject({ status: '0', code: 'not-an-employee' });
    expect(app.pbx.calls).toEqual([]);
  });

  it('a project without a PBX connection is told to connect it first; nothing is dialled', async () => {
    const app = memoryApp({ startAt: T0 });
    const answer = await app.startCall(PROJECT, body('79161234567'));
    expect(answer).toEqual({ status: '0', error: 'the Beeline PBX is not connected for this project: connect it first (PUT /projects/{projectId}/beeline)' });
  });

  it('the PBX’s own reason when it refuses; a clear message when it cannot be reached', async () => {
    const app = await readyApp();
    app.pbx.tokens.clear();
    expect(await app.startCall(PROJECT, body('79161234567'))).toEqual({ status: '0', error: 'Invalid API token' });
    app.pbx.failure = 'unreachable';
    expect(await app.startCall(PROJECT, body('79161234567'))).toEqual({ status: '0', error: 'the PBX could not be reached; the call was not started' });
  });

  it('stops at the project’s rate limit within a window and starts again in the next', async () => {
    const app = await readyApp({ callRateLimit: { calls: 2, windowSeconds: 60 } });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await app.startCall(PROJECT, body('79161234567')));
    expect(answers.map((a) => a.status)).toEqual(['1', '1', '0']);
    expect(answers[2]).toMatchObject({ code: 'rate-limited' });
    expect(app.pbx.calls).toHaveLength(2);
    app.clock.now += 60_000;
    expect((await app.startCall(PROJECT, body('79161234567'))).status).toBe('1');
  });

  it('a bad request changes nothing and says what is wrong', async () => {
    const app = await readyApp();
    const answer = await app.startCall(PROJECT, JSON.stringify({ client_phone: 'not a number', user: NUMBER }));
    expect(answer.status).toBe('0');
    expect((answer as { error: string }).error).toMatch(/client_phone/);
    expect(app.pbx.calls).toEqual([]);
    expect(app.attempts.at(-1)).toMatchObject({ outcome: 'failed', failure: 'invalid-request' });
  });
});
