/**
 * PBX simulator: the PBX API surface (auth, abonents, subscriptions, faults on the API) and
 * the control routes that do not play calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/pbx-sim/receiver.js';
import { seedDefaultPbx, startPbxSimulator, type PbxSimulator } from '../../local/pbx-sim/server.js';

const TOKEN = 'sim-token';
let sim: PbxSimulator;
let hook: WebhookReceiver;

async function api(
  path: string,
  init: { method?: string; token?: string | null; body?: unknown; signal?: AbortSignal } = {},
): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers['X-MPBX-API-AUTH-TOKEN'] = init.token ?? TOKEN;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(sim.url + path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function control(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
  return api(`_sim/${path}`, { method, token: null, body });
}

beforeAll(async () => {
  sim = await startPbxSimulator({ port: 0 });
  hook = await startWebhookReceiver();
});

afterAll(async () => {
  await sim.close();
  await hook.close();
});

beforeEach(async () => {
  sim.reset();
  hook.clear();
  hook.status = 200;
  await seedDefaultPbx(sim.url);
});

describe('start and seed', () => {
  it('listens on a free port and exposes a base URL ending with /', () => {
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/`);
  });

  it('answers with Connection: close', async () => {
    const r = await api('abonents');
    expect(r.headers.get('connection')).toBe('close');
  });
});

describe('auth', () => {
  it('missing header → 403 AuthTokenNotFoundInRequest', async () => {
    const r = await api('abonents', { token: null });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ errorCode: 'AuthTokenNotFoundInRequest' });
    expect(typeof (r.json as { description: unknown }).description).toBe('string');
  });

  it('unknown token → 403 with an error body', async () => {
    const r = await api('abonents', { token: 'nope' });
    expect(r.status).toBe(403);
    expect(Object.keys(r.json as object).sort()).toEqual(['description', 'errorCode']);
    expect((r.json as { errorCode: string }).errorCode).not.toBe('');
  });

  it('unknown path → error body', async () => {
    const r = await api('nothing/here');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ errorCode: 'NotFound' });
  });
});

describe('abonents', () => {
  it('lists the abonents', async () => {
    const r = await api('abonents');
    expect(r.status).toBe(200);
    const list = r.json as { userId: string; phone: string }[];
    expect(list.map((a) => a.phone)).toEqual(['9000000001', '9000000002', '9000000003']);
    expect(list[0]).toMatchObject({ userId: '9000000001@mpbx.sip.beeline.ru', phone: '9000000001', extension: '101' });
  });

  it('finds one by userId, phone or extension; unknown → error body', async () => {
    for (const pattern of ['9000000002@mpbx.sip.beeline.ru', '9000000002', '102']) {
      const r = await api(`abonents/${encodeURIComponent(pattern)}`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ userId: '9000000002@mpbx.sip.beeline.ru', phone: '9000000002' });
    }
    const r = await api('abonents/9999999999');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ errorCode: expect.any(String), description: expect.any(String) });
  });

  it('recording status is a JSON string ON/OFF', async () => {
    await control('pbx', { token: 't2', abonents: [{ phone: '9110000001' }, { phone: '+7 911 000-00-02', recording: true }] });
    const off = await api('abonents/9110000001/recording', { token: 't2' });
    expect(off.status).toBe(200);
    expect(off.text).toBe('"OFF"');
    const on = await api('abonents/9110000002/recording', { token: 't2' });
    expect(on.json).toBe('ON');
    expect((await api('abonents/9000000003/recording')).json).toBe('ON');
  });

  it('POST /_sim/pbx replaces a PBX and validates its body', async () => {
    const ok = await control('pbx', { token: TOKEN, abonents: [{ phone: '9000000009', extension: '200', firstName: 'A' }] });
    expect(ok.status).toBe(200);
    const list = (await api('abonents')).json as { phone: string }[];
    expect(list.map((a) => a.phone)).toEqual(['9000000009']);
    expect((await control('pbx', { token: TOKEN, abonents: [{ phone: 'abc' }] })).status).toBe(400);
    expect((await control('pbx', { token: TOKEN, abonents: [{ phone: '9000000001', nme: 'x' }] })).status).toBe(400);
    expect((await control('pbx', { abonents: [] })).status).toBe(400);
    const bad = await control('pbx', { token: TOKEN, abonents: [{ phone: '9000000001' }, { phone: '9000000001' }] });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: expect.stringContaining('duplicate') });
  });
});

describe('subscriptions', () => {
  const sub = (body: unknown, token?: string) => api('subscription', { method: 'PUT', body, token });

  it('PUT grants min(asked, max) and GET shows the remaining lifetime', async () => {
    const r = await sub({ pattern: '9000000001', expires: 600, subscriptionType: 'BASIC_CALL', url: `${hook.url}a` });
    expect(r.status).toBe(200);
    const { subscriptionId, expires } = r.json as { subscriptionId: string; expires: number };
    expect(subscriptionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(expires).toBe(600);

    const capped = await sub({ pattern: '101', expires: 86400, subscriptionType: 'BASIC_CALL', url: `${hook.url}b` });
    expect((capped.json as { expires: number }).expires).toBe(3600);

    const g = await api(`subscription?subscriptionId=${subscriptionId}`);
    expect(g.status).toBe(200);
    const info = g.json as Record<string, unknown>;
    expect(info).toMatchObject({
      subscriptionId,
      targetId: '9000000001@mpbx.sip.beeline.ru',
      subscriptionType: 'BASIC_CALL',
      url: `${hook.url}a`,
      targetType: expect.any(String),
    });
    expect(info.expires).toBeGreaterThan(590);
    expect(info.expires).toBeLessThanOrEqual(600);

    const listed = (await control('subscriptions')).json as { subscriptionId: string; token: string; pattern: string; url: string; expiresAt: string }[];
    const mine = listed.find((s) => s.subscriptionId === subscriptionId);
    expect(mine).toMatchObject({ token: TOKEN, pattern: '9000000001', url: `${hook.url}a` });
    expect(Date.parse(mine!.expiresAt) - Date.now()).toBeGreaterThan(590_000);
  });

  it('max lifetime is configurable; the subscription expires silently', async () => {
    await control('faults', { maxSubscriptionSeconds: 1 });
    const r = await sub({ pattern: '9000000002', expires: 3600, subscriptionType: 'BASIC_CALL', url: `${hook.url}x` });
    const { subscriptionId, expires } = r.json as { subscriptionId: string; expires: number };
    expect(expires).toBe(1);
    expect((await api(`subscription?subscriptionId=${subscriptionId}`)).status).toBe(200);
    await new Promise((res) => setTimeout(res, 1100));
    const g = await api(`subscription?subscriptionId=${subscriptionId}`);
    expect([400, 404]).toContain(g.status);
    expect(g.json).toMatchObject({ errorCode: 'GetSubscriptionInfoError', description: expect.any(String) });
    expect(((await control('subscriptions')).json as unknown[]).length).toBe(0);
    // no event on expiry, and calls no longer reach it
    const id = sim.playCall({ token: TOKEN, direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000002', answer: false, ringMs: 10 }] });
    await sim.waitForCall(id);
    // Only the initial state it got when it was created.
    expect(hook.received.map((req) => req.body.includes('CallSubscriptionEvent'))).toEqual([true]);
  });

  it('rejects bad bodies with 400 BadRequest', async () => {
    const good = { pattern: '9000000001', expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}a` };
    for (const body of [{ ...good, expires: -1 }, { ...good, expires: 'soon' }, { ...good, subscriptionType: 'NOPE' }, { ...good, url: 'not a url' }, { ...good, url: 'ftp://x/' }, []]) {
      const r = await sub(body);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ errorCode: 'BadRequest', description: expect.any(String) });
    }
    const raw = await fetch(`${sim.url}subscription`, {
      method: 'PUT',
      headers: { 'X-MPBX-API-AUTH-TOKEN': TOKEN, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ errorCode: 'BadRequest' });
    const unknownAbonent = await sub({ ...good, pattern: '9999999999' });
    expect(unknownAbonent.status).toBeGreaterThanOrEqual(400);
    expect(unknownAbonent.json).toMatchObject({ errorCode: expect.any(String) });
  });

  it('whole-PBX subscription (no pattern) is accepted', async () => {
    const r = await sub({ expires: 60, subscriptionType: 'ADVANCED_CALL', url: `${hook.url}all` });
    expect(r.status).toBe(200);
    const listed = (await control('subscriptions')).json as { pattern: string | null }[];
    expect(listed[0]!.pattern).toBeNull();
  });

  it('DELETE → 200 empty body; afterwards GET fails; another token cannot see it', async () => {
    const r = await sub({ pattern: '9000000001', expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}a` });
    const { subscriptionId } = r.json as { subscriptionId: string };
    await control('pbx', { token: 'other', abonents: [{ phone: '9220000001' }] });
    expect((await api(`subscription?subscriptionId=${subscriptionId}`, { token: 'other' })).json).toMatchObject({
      errorCode: 'GetSubscriptionInfoError',
    });
    const d = await api(`subscription?subscriptionId=${subscriptionId}`, { method: 'DELETE' });
    expect(d.status).toBe(200);
    expect(d.text).toBe('');
    expect((await api(`subscription?subscriptionId=${subscriptionId}`)).json).toMatchObject({
      errorCode: 'GetSubscriptionInfoError',
    });
    expect(((await control('subscriptions')).json as unknown[]).length).toBe(0);
    expect((await api('subscription')).status).toBe(400);
  });

  it('terminate → SubscriptionTerminatedEvent delivered, subscription gone', async () => {
    const r = await sub({ pattern: '9000000003', expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}term/SECRET` });
    const { subscriptionId } = r.json as { subscriptionId: string };
    const t = await control(`subscriptions/${subscriptionId}/terminate`, {});
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({ subscriptionId, terminated: true, event: { status: 200 } });
    const [got] = await hook.waitFor(1, { filter: (req) => req.body.includes('SubscriptionTerminatedEvent') });
    expect(got!.path).toBe('/term/SECRET');
    expect(got!.headers['content-type']).toBe('application/xml; charset=UTF-8');
    expect(XMLValidator.validate(got!.body)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(got!.body);
    const ev = doc['xsi:Event'];
    expect(ev['@_xmlns:xsi']).toBe('http://schema.broadsoft.com/xsi');
    expect(ev['@_xmlns:xsi1']).toBe('http://www.w3.org/2001/XMLSchema-instance');
    expect(ev['@_xsi1:type']).toBe('xsi:SubscriptionEvent');
    expect(ev['xsi:subscriptionId']).toBe(subscriptionId);
    expect(ev['xsi:targetId']).toBe('9000000003@mpbx.sip.beeline.ru');
    expect(ev['xsi:httpContact']['xsi:uri']).toBe(`${hook.url}term/SECRET`);
    expect(ev['xsi:userId']).toMatch(/^MPBX_E_.+_EventSubscription@ip\.beeline\.ru$/);
    expect(ev['xsi:eventData']['@_xsi1:type']).toBe('xsi:SubscriptionTerminatedEvent');
    expect((await api(`subscription?subscriptionId=${subscriptionId}`)).json).toMatchObject({
      errorCode: 'GetSubscriptionInfoError',
    });
    expect((await control(`subscriptions/${subscriptionId}/terminate`, {})).status).toBe(404);
  });
});

describe('the initial state of a new subscription (CallSubscriptionEvent)', () => {
  const initial = (req: { body: string }) => req.body.includes('xsi:CallSubscriptionEvent');
  const sub = (body: unknown, token?: string) => api('subscription', { method: 'PUT', body, token });

  it('by default a subscription to one abonent gets it right after the PUT answered: hook status and an empty calls list, sequence number 1', async () => {
    const r = await sub({ pattern: '9000000001', expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}init` });
    const { subscriptionId } = r.json as { subscriptionId: string };
    const [got] = await hook.waitFor(1, { filter: initial });
    const ev = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(got!.body)['xsi:Event'];
    expect(ev['xsi:subscriptionId']).toBe(subscriptionId);
    expect(ev['xsi:sequenceNumber']).toBe('1');
    expect(ev['xsi:eventData']).toMatchObject({ '@_xsi1:type': 'xsi:CallSubscriptionEvent', 'xsi:hookStatus': 'On-Hook', 'xsi:calls': '' });
  });

  it('lists the calls in progress at the abonent', async () => {
    const id = sim.playCall({ token: TOKEN, direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000002', answer: true, ringMs: 10, talkMs: 400 }] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sub({ pattern: '9000000002', expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}busy` });
    const [got] = await hook.waitFor(1, { filter: initial });
    const data = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(got!.body)['xsi:Event']['xsi:eventData'];
    expect(data['xsi:hookStatus']).toBe('Off-Hook');
    expect(data['xsi:calls']['xsi:call']).toMatchObject({ 'xsi:extTrackingId': id, 'xsi:state': 'Active', 'xsi:personality': 'Terminator' });
    await sim.waitForCall(id);
  });

  it('before-answer: delivered before the PUT answers; none: never sent; never for the whole PBX', async () => {
    await control('pbx', { token: 'before', abonents: [{ phone: '9000000001' }], behaviour: { initialEvent: 'before-answer' } });
    await control('pbx', { token: 'none', abonents: [{ phone: '9000000001' }], behaviour: { initialEvent: 'none' } });
    await sub({ pattern: '9000000001', expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}before` }, 'before');
    expect(hook.received.filter(initial).map((req) => req.path)).toEqual(['/before']);
    await sub({ pattern: '9000000001', expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}none` }, 'none');
    await sub({ expires: 60, subscriptionType: 'BASIC_CALL', url: `${hook.url}whole` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hook.received.filter(initial).map((req) => req.path)).toEqual(['/before']);
  });
});

describe('faults on the API', () => {
  it('failApiNext fails the next N API requests with 500 InternalError; /_sim is not counted', async () => {
    await control('faults', { failApiNext: 2 });
    expect((await control('subscriptions')).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await api('abonents');
      expect(r.status).toBe(500);
      expect(r.json).toMatchObject({ errorCode: 'InternalError', description: expect.any(String) });
    }
    expect((await api('abonents')).status).toBe(200);
  });

  it('apiLatencyMs delays answers; a client giving up does not crash the server', async () => {
    await control('faults', { apiLatencyMs: 300 });
    const t0 = Date.now();
    expect((await api('abonents')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);

    const ac = new AbortController();
    const pending = api('abonents', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 350));
    await control('faults', {});
    const after = await api('abonents');
    expect(after.status).toBe(200);
    const aborted = sim.requests().find((q) => q.status === 499);
    expect(aborted).toBeDefined();
  });

  it('faults: {} resets to defaults; bad values are rejected', async () => {
    const set = await control('faults', { dropEvents: true, recordDelayMs: 5 });
    expect(set.json).toMatchObject({ dropEvents: true, recordDelayMs: 5 });
    const reset = await control('faults', {});
    expect(reset.json).toMatchObject({
      dropEvents: false,
      duplicateEvents: false,
      shuffleEvents: false,
      failApiNext: 0,
      apiLatencyMs: 0,
      recordDelayMs: 2000,
      maxSubscriptionSeconds: 3600,
      retryDeliveries: false,
    });
    expect((await control('faults', { dropEvents: 'yes' })).status).toBe(400);
    expect((await control('faults', { dropEvent: true })).status).toBe(400);
  });
});

describe('request log', () => {
  it('records API requests without the token', async () => {
    await api('abonents?x=1');
    await api('subscription', { method: 'PUT', body: { expires: 5, subscriptionType: 'BASIC_CALL', url: `${hook.url}q` } });
    const log = (await control('requests')).json as { method: string; path: string; query: Record<string, string>; time: string; status: number }[];
    expect(log.map((e) => `${e.method} ${e.path}`)).toEqual(['GET /abonents', 'PUT /subscription']);
    expect(log[0]!.query).toEqual({ x: '1' });
    expect(log[0]!.status).toBe(200);
    expect(Number.isNaN(Date.parse(log[0]!.time))).toBe(false);
    expect(JSON.stringify(log)).not.toContain(TOKEN);
  });
});
