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
    expect(answer).toMatchObject({ status: '0', code: 'not_an_employee' });
    expect(app.pbx.calls).toEqual([]);
  });

  it('a project without a PBX connection is told to connect it first; nothing is dialled', async () => {
    const app = memoryApp({ startAt: T0 });
    const answer = await app.startCall(PROJECT, body('79161234567'));
    expect(answer).toEqual({ status: '0', error: 'the Beeline PBX is not connected for this project: connect it first (PUT /projects/{projectId}/beeline)', code: 'pbx_not_connected' });
  });

  it('the PBX’s own reason when it refuses; a clear message when it cannot be reached', async () => {
    const app = await readyApp();
    app.pbx.tokens.clear();
    expect(await app.startCall(PROJECT, body('79161234567'))).toEqual({ status: '0', error: 'Invalid API token', code: 'pbx_refused' });
    app.pbx.failure = 'unreachable';
    expect(await app.startCall(PROJECT, body('79161234567'))).toEqual({ status: '0', error: 'the PBX could not be reached; the call was not started', code: 'pbx_unreachable' });
  });

  it('stops at the project’s rate limit within a window and starts again in the next', async () => {
    const app = await readyApp({ callRateLimit: { calls: 2, windowSeconds: 60 } });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await app.startCall(PROJECT, body('79161234567')));
    expect(answers.map((a) => a.status)).toEqual(['1', '1', '0']);
    expect(answers[2]).toMatchObject({ code: 'rate_limited' });
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
    expect(app.attempts.at(-1)).toMatchObject({ outcome: 'failed', failure: 'invalid_client_phone' });
  });
});

describe('beeline_call with an Idempotency-Key', () => {
  it('a retry with the same key answers the first answer again and asks the PBX once', async () => {
    const app = await readyApp();
    const first = await app.startCall(PROJECT, body('79161234567'), 'retry-1');
    const again = await app.startCall(PROJECT, body('79161234567'), 'retry-1');
    expect(first).toMatchObject({ status: '1' });
    expect(again).toEqual(first);
    expect(app.pbx.calls).toHaveLength(1);
    // Another key is another call.
    expect((await app.startCall(PROJECT, body('79161234567'), 'retry-2')).status).toBe('1');
    expect(app.pbx.calls).toHaveLength(2);
  });

  it('duplicates arriving together ring once and all get the one answer', async () => {
    const app = await readyApp();
    const answers = await Promise.all(Array.from({ length: 5 }, () => app.startCall(PROJECT, body('79161234567'), 'burst')));
    expect(app.pbx.calls).toHaveLength(1);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  });

  it('a timeout is kept (the call may ring): the retry does not ring again and says so', async () => {
    const app = await readyApp();
    app.pbx.failure = 'timeout';
    const first = await app.startCall(PROJECT, body('79161234567'), 'slow-pbx');
    expect(first).toMatchObject({ status: '0', code: 'pbx_timeout', error: expect.stringContaining('may still ring') });
    app.pbx.failure = undefined;
    expect(await app.startCall(PROJECT, body('79161234567'), 'slow-pbx')).toEqual(first);
    expect(app.pbx.calls).toHaveLength(0);
  });

  it('a failure that started nothing gives the key back: the retry under it tries again', async () => {
    const app = await readyApp();
    app.pbx.failure = 'unreachable';
    expect(await app.startCall(PROJECT, body('79161234567'), 'down')).toMatchObject({ code: 'pbx_unreachable' });
    app.pbx.failure = undefined;
    expect(await app.startCall(PROJECT, body('79161234567'), 'down')).toMatchObject({ status: '1' });
    expect(app.pbx.calls).toHaveLength(1);
  });

  it('the same key for another request is refused; a key that is not 1–128 printable characters too', async () => {
    const app = await readyApp();
    await app.startCall(PROJECT, body('79161234567'), 'k');
    expect(await app.startCall(PROJECT, body('79169999999'), 'k')).toMatchObject({ status: '0', code: 'idempotency_key_reused' });
    expect(await app.startCall(PROJECT, body('79161234567'), 'x'.repeat(129))).toMatchObject({ status: '0', code: 'invalid_request' });
    expect(await app.startCall(PROJECT, body('79161234567'), 'tab\there')).toMatchObject({ status: '0', code: 'invalid_request' });
    expect(app.pbx.calls).toHaveLength(1);
  });

  it('a key lasts 24 h', async () => {
    const app = await readyApp();
    await app.startCall(PROJECT, body('79161234567'), 'day');
    app.clock.now += 86_400_000 + 1000;
    expect((await app.startCall(PROJECT, body('79161234567'), 'day')).status).toBe('1');
    expect(app.pbx.calls).toHaveLength(2);
  });
});
