/** The AWS-free logic of `POST /projects/{projectId}/beeline/call` (product spec §6). */
import type { CallCounter } from '../../functions/commons/ports';
import { describe, expect, it } from 'vitest';
import { PbxError } from '../../functions/commons/ports';
import { clickToCallTimeoutMs } from '../../functions/commons/app/click-to-call/limits';
import { formatPhoneNumber, numberFormatFrom, type NumberFormat } from '../../functions/commons/app/click-to-call/number-format';
import { parseCallRequest } from '../../functions/commons/app/click-to-call/request';
import { createClickToCall, type CallAttempt, type ClickToCallDeps } from '../../functions/commons/app/click-to-call/start-call';
import { NotConnectedError } from '../../functions/commons/app/project-pbx';

describe('formatPhoneNumber', () => {
  it.each<[string, NumberFormat, string]>([
    ['79161234567', 'canonical', '79161234567'],
    ['79161234567', 'national', '9161234567'],
    ['79161234567', 'plus', '+79161234567'],
    ['79161234567', 'trunk', '89161234567'],
    ['375291234567', 'trunk', '375291234567'],
    ['375291234567', 'canonical', '375291234567'],
    ['375291234567', 'national', '375291234567'],
    ['375291234567', 'plus', '+375291234567'],
    ['712345678901', 'national', '712345678901'],
  ])('%s as %s → %s', (canonical, format, expected) => {
    expect(formatPhoneNumber(canonical, format)).toBe(expected);
  });
});

describe('configuration', () => {
  it('CLICK_TO_CALL_NUMBER_FORMAT: national (10 digits) by default, one of four, else a configuration error', () => {
    expect(numberFormatFrom({})).toBe('national');
    expect(numberFormatFrom({ CLICK_TO_CALL_NUMBER_FORMAT: '' })).toBe('national');
    expect(numberFormatFrom({ CLICK_TO_CALL_NUMBER_FORMAT: 'national' })).toBe('national');
    expect(numberFormatFrom({ CLICK_TO_CALL_NUMBER_FORMAT: 'plus' })).toBe('plus');
    expect(numberFormatFrom({ CLICK_TO_CALL_NUMBER_FORMAT: 'trunk' })).toBe('trunk');
    expect(() => numberFormatFrom({ CLICK_TO_CALL_NUMBER_FORMAT: 'e164' })).toThrow(/CLICK_TO_CALL_NUMBER_FORMAT/);
  });

  it('the PBX timeout for a call start is min(PBX_TIMEOUT_MS, 4000)', () => {
    expect(clickToCallTimeoutMs({})).toBe(4000);
    expect(clickToCallTimeoutMs({ PBX_TIMEOUT_MS: '5000' })).toBe(4000);
    expect(clickToCallTimeoutMs({ PBX_TIMEOUT_MS: '2500' })).toBe(2500);
    expect(clickToCallTimeoutMs({ PBX_TIMEOUT_MS: 'soon' })).toBe(4000);
    expect(clickToCallTimeoutMs({ PBX_TIMEOUT_MS: '0' })).toBe(4000);
  });
});

describe('parseCallRequest', () => {
  const ok = (body: unknown) => parseCallRequest(typeof body === 'string' ? body : JSON.stringify(body));

  it('normalises the client number and keeps the employee number', () => {
    expect(ok({ client_phone: '79220001122', user: '9333221100' })).toEqual({ request: { clientPhone: '79220001122', user: '9333221100' } });
    expect(ok({ client_phone: '8 (922) 000-11-22', user: '9333221100' })).toEqual({ request: { clientPhone: '79220001122', user: '9333221100' } });
    expect(ok({ client_phone: '+375 29 123-45-67', user: '9333221100' })).toEqual({ request: { clientPhone: '375291234567', user: '9333221100' } });
  });

  it.each<[string, unknown, RegExp, string]>([
    ['not JSON', '{"client_phone": ', /not valid JSON/, 'invalid_request'],
    ['empty', '', /JSON body .* is required/, 'invalid_request'],
    ['an array', '[]', /JSON object/, 'invalid_request'],
    ['null', 'null', /JSON object/, 'invalid_request'],
    ['user missing', { client_phone: '79220001122' }, /^user: required/, 'invalid_user'],
    ['client_phone missing', { user: '9333221100' }, /^client_phone: required/, 'invalid_client_phone'],
    ['user as a JSON number', { client_phone: '79220001122', user: 9333221100 }, /^user: must be .* \(got a number\)$/, 'invalid_user'],
    ['user of 9 digits', { client_phone: '79220001122', user: '933322110' }, /^user: must be .*10 digits starting with 9/, 'invalid_user'],
    ['user not starting with 9', { client_phone: '79220001122', user: '8333221100' }, /^user: /, 'invalid_user'],
    ['user with a plus', { client_phone: '79220001122', user: '+79333221100' }, /^user: /, 'invalid_user'],
    ['client_phone with letters', { client_phone: 'call me', user: '9333221100' }, /^client_phone: not a client phone number/, 'invalid_client_phone'],
    ['client_phone short', { client_phone: '12345', user: '9333221100' }, /^client_phone: not a client phone number/, 'invalid_client_phone'],
    ['client_phone as a number', { client_phone: 79220001122, user: '9333221100' }, /^client_phone: must be .* \(got a number\)$/, 'invalid_client_phone'],
    ['an extra field', { client_phone: '79220001122', user: '9333221100', token: 'x' }, /^unknown field "token": only client_phone and user are accepted$/, 'invalid_request'],
  ])('%s → an error naming it, with its code', (_, body, message, code) => {
    const result = ok(body);
    expect(result).toEqual({ error: expect.stringMatching(message), code });
  });

  it('names every field at fault', () => {
    const result = ok({ client_phone: 'x', user: 1 });
    expect('error' in result && result.error).toMatch(/client_phone: .*; user: /);
  });
});

describe('createClickToCall', () => {
  const body = JSON.stringify({ client_phone: '8 916 123-45-67', user: '9000000001' });

  function fixture(overrides: Partial<ClickToCallDeps> = {}, call: (pattern: string, number: string) => Promise<{ callId?: string }> = async () => ({ callId: 'ext-1' })) {
    const calls: { pattern: string; number: string; timeoutMs: number }[] = [];
    const log: CallAttempt[] = [];
    const startCall = createClickToCall({
      connect: async () => (timeoutMs) => ({
        call: (pattern, number) => {
          calls.push({ pattern, number, timeoutMs });
          return call(pattern, number);
        },
      }),
      numberFormat: () => 'canonical',
      callerPattern: async (_projectId, user) => (user === '9000000001' ? '9000000001@mpbx.sip.beeline.ru' : undefined),
      counter: memoryCounter(),
      timeoutMs: 4000,
      log: (attempt) => log.push(attempt),
      ...overrides,
    });
    return { startCall, calls, log };
  }

  function memoryCounter(): CallCounter {
    const windows = new Map<string, number>();
    return {
      async take(projectId, windowStart, _windowSeconds, limit) {
        const key = `${projectId}@${windowStart}`;
        const used = windows.get(key) ?? 0;
        if (used >= limit) return false;
        windows.set(key, used + 1);
        return true;
      },
    };
  }

  it('dials only employees of the project with the beeline_api method; another number is refused with a code, not dialled', async () => {
    const { startCall, calls, log } = fixture();
    const answer = await startCall('acme', JSON.stringify({ client_phone: '79161234567', user: '9000000009' }));
    expect(answer).toEqual({ status: '0', error: expect.stringContaining('not an employee of this project'), code: 'not_an_employee' });
    expect(calls).toEqual([]);
    expect(log[0]).toMatchObject({ outcome: 'failed', failure: 'not_an_employee' });
  });

  it('at most the limit per window per project: then refused with a code and the wait, not dialled; the next window dials again', async () => {
    let clock = Date.parse('2026-12-01T10:00:10Z');
    const { startCall, calls } = fixture({ rateLimit: { calls: 3, windowSeconds: 60 }, now: () => clock });
    for (let i = 0; i < 3; i++) expect((await startCall('acme', body)).status).toBe('1');
    const limited = await startCall('acme', body);
    expect(limited).toEqual({ status: '0', error: expect.stringMatching(/at most 3 per 60 s; the call was not started, try again in 50 s$/), code: 'rate_limited' });
    expect((await startCall('other', body)).status).toBe('1');
    expect(calls).toHaveLength(4);
    clock += 50_000;
    expect((await startCall('acme', body)).status).toBe('1');
  });

  it('starts the call with the employee and the formatted client number, answering the call id', async () => {
    const { startCall, calls, log } = fixture({ numberFormat: () => 'plus' });
    expect(await startCall('acme', body)).toEqual({ status: '1', result: 'Call ID: ext-1' });
    // Called by the abonent's full userId: a bare 10-digit pattern may mean a company number.
    expect(calls).toEqual([{ pattern: '9000000001@mpbx.sip.beeline.ru', number: '+79161234567', timeoutMs: expect.any(Number) }]);
    expect(calls[0]!.timeoutMs).toBeLessThanOrEqual(4000);
    expect(log).toEqual([expect.objectContaining({ projectId: 'acme', outcome: 'started', callId: 'ext-1', user: '9000000001', clientPhone: '79161234567' })]);
  });

  it('a 2xx without an id is a started call with an id of this product (never a failure a bot would retry)', async () => {
    const { startCall, calls, log } = fixture({}, async () => ({}));
    const answer = await startCall('acme', body);
    expect(answer).toEqual({ status: '1', result: expect.stringMatching(/^Call ID: c2c-[0-9a-f-]{36}$/) });
    expect(calls).toHaveLength(1);
    expect(log[0]).toMatchObject({ outcome: 'started', pbxCallId: undefined });
  });

  it('never asks for more than 4 s from the PBX, whatever it is configured with', async () => {
    const { startCall, calls } = fixture({ timeoutMs: 30_000 });
    await startCall('acme', body);
    expect(calls[0]!.timeoutMs).toBeLessThanOrEqual(4000);
  });

  it('an invalid body never reaches the PBX', async () => {
    const { startCall, calls, log } = fixture();
    expect(await startCall('acme', '{"client_phone":"79161234567","user":9000000001}')).toEqual({ status: '0', error: expect.stringMatching(/^user: /), code: 'invalid_user' });
    expect(calls).toEqual([]);
    expect(log).toEqual([expect.objectContaining({ outcome: 'failed', failure: 'invalid_user' })]);
  });

  it('an invalid project id is an answer in the contract', async () => {
    const { startCall, calls } = fixture();
    expect(await startCall('a b', body)).toEqual({ status: '0', error: expect.stringContaining('projectId'), code: 'invalid_request' });
    expect(calls).toEqual([]);
  });

  it('not connected → a clear message', async () => {
    const { startCall, log } = fixture({ connect: async () => Promise.reject(new NotConnectedError()) });
    expect(await startCall('acme', body)).toEqual({ status: '0', error: expect.stringContaining('not connected'), code: 'pbx_not_connected' });
    expect(log[0]).toMatchObject({ outcome: 'failed', failure: 'pbx_not_connected' });
  });

  it("a refusal → the PBX's own description; tried exactly once", async () => {
    const refusal = new PbxError('refused', 'the PBX refused POST abonents/9000000001/call: Абонент не найден', 404, 'AbonentNotFound', 'Абонент не найден: 9000000001');
    const { startCall, calls, log } = fixture({}, async () => Promise.reject(refusal));
    expect(await startCall('acme', body)).toEqual({ status: '0', error: 'Абонент не найден: 9000000001', code: 'pbx_refused' });
    expect(calls).toHaveLength(1);
    expect(log[0]).toMatchObject({ outcome: 'failed', failure: 'pbx_refused' });
  });

  it.each([
    ['timeout', /did not answer in time; the call may still ring: do not start it again without the same Idempotency-Key$/, 'pbx_timeout'],
    ['unreachable', /could not be reached; the call was not started$/, 'pbx_unreachable'],
    ['invalid-response', /cannot read; the call may still ring/, 'pbx_unreadable'],
  ] as const)('%s → a clear message and its code, tried exactly once', async (failure, message, code) => {
    const { startCall, calls, log } = fixture({}, async () => Promise.reject(new PbxError(failure, 'internal detail')));
    expect(await startCall('acme', body)).toEqual({ status: '0', error: expect.stringMatching(message), code });
    expect(calls).toHaveLength(1);
    expect(log[0]).toMatchObject({ failure: code });
  });

  it('an unexpected error is a generic answer; the details go to the log only', async () => {
    const boom = new Error('ResourceNotFoundException: table t-123 at arn:aws:dynamodb:…');
    const { startCall, log } = fixture({ connect: async () => Promise.reject(boom) });
    const answer = await startCall('acme', body);
    expect(answer).toEqual({ status: '0', error: expect.stringContaining('internal error'), code: 'internal_error' });
    expect(JSON.stringify(answer)).not.toContain('ResourceNotFound');
    expect(log[0]).toMatchObject({ failure: 'internal_error', error: boom });
  });

  it('a connection lookup that hangs is given up within the budget, without starting a call', async () => {
    const { startCall, calls, log } = fixture({ connect: () => new Promise(() => undefined), budgetMs: 1200 });
    const started = Date.now();
    expect(await startCall('acme', body)).toEqual({ status: '0', error: expect.stringContaining('in time'), code: 'temporarily_unavailable' });
    expect(Date.now() - started).toBeLessThan(1200);
    expect(calls).toEqual([]);
    expect(log[0]).toMatchObject({ failure: 'temporarily_unavailable' });
  });
});
