/**
 * PBX simulator: calls played through POST /_sim/calls and click-to-call, the Xsi events
 * they deliver, event faults, recordings and statistics.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../../local/pbx-sim/receiver.js';
import { seedDefaultPbx, startPbxSimulator, type PbxSimulator } from '../../local/pbx-sim/server.js';
import type { CallView } from '../../local/pbx-sim/state.js';

const TOKEN = 'sim-token';
const A1 = '9000000001@mpbx.sip.beeline.ru';
const A2 = '9000000002@mpbx.sip.beeline.ru';
const A3 = '9000000003@mpbx.sip.beeline.ru';
let sim: PbxSimulator;
let hook: WebhookReceiver;

async function api(path: string, init: { method?: string; token?: string | null; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers['X-MPBX-API-AUTH-TOKEN'] = init.token ?? TOKEN;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(sim.url + path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, buf, headers: res.headers };
}

async function control(path: string, body?: unknown) {
  return api(`_sim/${path}`, { method: body === undefined ? 'GET' : 'POST', token: null, body });
}

/**
 * Subscribes; a subscription to one abonent first gets its initial state (CallSubscriptionEvent,
 * checked in its own tests), which is taken out here so the call tests see only call events.
 */
async function subscribe(pattern: string | undefined, path: string, token = TOKEN): Promise<string> {
  const body: Record<string, unknown> = { expires: 3600, subscriptionType: 'BASIC_CALL', url: `${hook.url}${path}` };
  if (pattern !== undefined) body.pattern = pattern;
  const r = await api('subscription', { method: 'PUT', body, token });
  expect(r.status).toBe(200);
  const { subscriptionId } = r.json as { subscriptionId: string };
  if (pattern !== undefined) {
    const isInitial = (req: ReceivedRequest) => req.body.includes('CallSubscriptionEvent') && req.body.includes(subscriptionId);
    await hook.waitFor(1, { filter: isInitial });
    hook.received.splice(hook.received.findIndex(isInitial), 1);
  }
  return subscriptionId;
}

async function playCall(body: Record<string, unknown>): Promise<CallView> {
  const r = await control('calls', { token: TOKEN, ...body });
  expect(r.status).toBe(200);
  const { extTrackingId } = r.json as { extTrackingId: string };
  return sim.waitForCall(extTrackingId);
}

interface Parsed {
  raw: string;
  ev: Record<string, any>;
  type: string;
  call: Record<string, any>;
  eventID: string;
  seq: number;
}

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, attributeNamePrefix: '@_' });
const orderedParser = new XMLParser({ ignoreAttributes: true, preserveOrder: true, parseTagValue: false });

function parse(body: string): Parsed {
  expect(XMLValidator.validate(body)).toBe(true);
  const doc = parser.parse(body);
  const ev = doc['xsi:Event'];
  expect(ev['@_xmlns:xsi']).toBe('http://schema.broadsoft.com/xsi');
  expect(ev['@_xmlns:xsi1']).toBe('http://www.w3.org/2001/XMLSchema-instance');
  expect(ev['@_xsi1:type']).toBe('xsi:SubscriptionEvent');
  return {
    raw: body,
    ev,
    type: ev['xsi:eventData']['@_xsi1:type'],
    call: ev['xsi:eventData']['xsi:call'],
    eventID: ev['xsi:eventID'],
    seq: Number(ev['xsi:sequenceNumber']),
  };
}

/** Names of the child elements of `xsi:call`, in document order. */
function callChildren(body: string): string[] {
  const doc = orderedParser.parse(body) as any[];
  const event = doc.find((n) => 'xsi:Event' in n)['xsi:Event'] as any[];
  const data = event.find((n) => 'xsi:eventData' in n)['xsi:eventData'] as any[];
  const call = data.find((n) => 'xsi:call' in n)['xsi:call'] as any[];
  return call.map((n) => Object.keys(n)[0]!.replace(/^xsi:/, ''));
}

function received(filter?: (r: ReceivedRequest) => boolean): Parsed[] {
  return hook.received.filter((r) => !filter || filter(r)).map((r) => parse(r.body));
}

const byPath = (p: string) => (r: ReceivedRequest) => r.path === `/${p}`;

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
  await seedDefaultPbx(sim);
});

describe('incoming calls', () => {
  it('answered call: Received → Answered → Released for one callId, faithful XML', async () => {
    const subId = await subscribe('9000000001', 'hook/SECRET');
    const call = await playCall({
      direction: 'incoming',
      client: '+7 916 123-45-67',
      clientName: 'Ivanov',
      legs: [{ abonent: '9000000001', answer: true, ringMs: 30, talkMs: 60 }],
    });
    expect(hook.received).toHaveLength(3);
    for (const r of hook.received) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/hook/SECRET');
      expect(r.headers['content-type']).toBe('application/xml; charset=UTF-8');
    }
    const evs = received();
    expect(evs.map((e) => e.type)).toEqual(['xsi:CallReceivedEvent', 'xsi:CallAnsweredEvent', 'xsi:CallReleasedEvent']);
    expect(new Set(evs.map((e) => e.eventID)).size).toBe(3);
    for (const e of evs) expect(e.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Number 1 was the subscription's initial state.
    expect(evs.map((e) => e.seq)).toEqual([2, 3, 4]);
    for (const e of evs) {
      expect(e.ev['xsi:subscriptionId']).toBe(subId);
      expect(e.ev['xsi:targetId']).toBe(A1);
      expect(e.ev['xsi:userId']).toMatch(/^MPBX_E_\d+_\d+_EventSubscription@ip\.beeline\.ru$/);
      expect(e.ev['xsi:externalApplicationId']).toEqual(expect.any(String));
      expect(e.ev['xsi:httpContact']['xsi:uri']).toBe(`${hook.url}hook/SECRET`);
      expect(e.call['xsi:callId']).toMatch(/^callhalf-\d+:0$/);
      expect(e.call['xsi:extTrackingId']).toBe(call.extTrackingId);
      expect(e.call['xsi:personality']).toBe('Terminator');
      expect(e.call['xsi:remoteParty']['xsi:name']).toBe('Ivanov');
      expect(e.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+79161234567', '@_countryCode': '7' });
      expect(e.call['xsi:remoteParty']['xsi:callType']).toBe('Network');
    }
    expect(new Set(evs.map((e) => e.call['xsi:callId'])).size).toBe(1);
    const [rcv, ans, rel] = evs as [Parsed, Parsed, Parsed];
    expect(rcv.call['xsi:state']).toBe('Alerting');
    expect(rcv.call['xsi:answerTime']).toBeUndefined();
    expect(ans.call['xsi:state']).toBe('Active');
    expect(rel.call['xsi:state']).toBe('Released');
    expect(rel.call['xsi:releasingParty']).toBe('remoteRelease');
    const start = Number(rcv.call['xsi:startTime']);
    const answer = Number(ans.call['xsi:answerTime']);
    expect(answer - start).toBe(30);
    expect(Number(rel.call['xsi:answerTime'])).toBe(answer);
    expect(Number(rel.call['xsi:releaseTime']) - answer).toBe(60);
    expect(Math.abs(start - Date.now())).toBeLessThan(10_000);
    // By default the PBX never sends <recorded/> (BASIC_CALL evidence); behaviour recordedElement: always does.
    expect('xsi:recorded' in rel.call).toBe(false);
    expect('xsi:recorded' in ans.call).toBe(false);
    // element order exactly as in the PBX's own events
    expect(callChildren(rcv.raw)).toEqual(['callId', 'extTrackingId', 'networkCallId', 'personality', 'state', 'remoteParty', 'endpoint', 'appearance', 'startTime']);
    expect(callChildren(rel.raw)).toEqual([
      'callId',
      'extTrackingId',
      'networkCallId',
      'personality',
      'state',
      'releasingParty',
      'remoteParty',
      'endpoint',
      'appearance',
      'startTime',
      'answerTime',
      'releaseTime',
    ]);
    expect(rcv.raw.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<xsi:Event ')).toBe(true);
    expect(rel.call['xsi:endpoint']['xsi:addressOfRecord']).toBe(A1);

    // the control view shows the same
    const view = (await control(`calls/${call.extTrackingId}`)).json as CallView;
    expect(view.state).toBe('ended');
    expect(view.events).toHaveLength(3);
    expect(view.events.map((e) => e.status)).toEqual([200, 200, 200]);
    expect(view.events[0]!.url).toBe(`${hook.url}hook/SECRET`);
    expect(view.events[0]!.xml).toBe(hook.received[0]!.body);
    expect(view.legs[0]).toMatchObject({ outcome: 'answered', abonent: A1 });
  });

  it('missed call: released event has no answerTime and no address', async () => {
    await subscribe('9000000002', 'm');
    await playCall({ direction: 'incoming', client: '84951112233', legs: [{ abonent: '9000000002', answer: false, ringMs: 20 }] });
    const evs = received();
    expect(evs.map((e) => e.type)).toEqual(['xsi:CallReceivedEvent', 'xsi:CallReleasedEvent']);
    const [rcv, rel] = evs as [Parsed, Parsed];
    expect(rcv.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+74951112233', '@_countryCode': '7' });
    expect(rel.call['xsi:answerTime']).toBeUndefined();
    expect(rel.call['xsi:remoteParty']['xsi:address']).toBeUndefined();
    expect('xsi:privacy' in rel.call['xsi:remoteParty']).toBe(false);
    expect(rel.call['xsi:remoteParty']['xsi:callType']).toBe('Network');
    expect(rel.call['xsi:releaseCause']['xsi:internalReleaseCause']).toBe('Temporarily Unavailable');
    expect('xsi:recorded' in rel.call).toBe(false);
    expect(callChildren(rel.raw)).toEqual(['callId', 'extTrackingId', 'personality', 'state', 'releasingParty', 'releaseCause', 'remoteParty', 'startTime', 'releaseTime']);
    expect(Number(rel.call['xsi:releaseTime']) - Number(rel.call['xsi:startTime'])).toBe(20);
  });

  it('sequential 3-leg hunt group, third answers: 3 callIds, one extTrackingId, only the third answered', async () => {
    await subscribe(undefined, 'all');
    const call = await playCall({
      direction: 'incoming',
      client: '9161234567',
      sequential: true,
      legs: [
        { abonent: '9000000001', answer: false, ringMs: 20 },
        { abonent: '102', answer: false, ringMs: 20 },
        { abonent: A3, answer: true, ringMs: 20, talkMs: 30 },
      ],
    });
    const evs = received().sort((a, b) => a.seq - b.seq);
    expect(evs.map((e) => `${e.ev['xsi:targetId']} ${e.type}`)).toEqual([
      `${A1} xsi:CallReceivedEvent`,
      `${A1} xsi:CallReleasedEvent`,
      `${A2} xsi:CallReceivedEvent`,
      `${A2} xsi:CallReleasedEvent`,
      `${A3} xsi:CallReceivedEvent`,
      `${A3} xsi:CallAnsweredEvent`,
      `${A3} xsi:CallReleasedEvent`,
    ]);
    expect(new Set(evs.map((e) => e.call['xsi:extTrackingId']))).toEqual(new Set([call.extTrackingId]));
    expect(new Set(evs.map((e) => e.call['xsi:callId'])).size).toBe(3);
    const answered = evs.filter((e) => e.call['xsi:answerTime'] !== undefined);
    expect(new Set(answered.map((e) => e.ev['xsi:targetId']))).toEqual(new Set([A3]));
    // the next leg starts when the previous one ends
    const rel1 = evs[1]!.call;
    const rcv2 = evs[2]!.call;
    expect(Number(rcv2['xsi:startTime'])).toBe(Number(rel1['xsi:releaseTime']));
    expect(call.legs.map((l) => l.outcome)).toEqual(['missed', 'missed', 'answered']);
  });

  it('sequential hunt stops at the first answered leg', async () => {
    const call = await playCall({
      direction: 'incoming',
      client: '9161234567',
      sequential: true,
      legs: [
        { abonent: '9000000001', answer: true, ringMs: 10, talkMs: 10 },
        { abonent: '9000000002', answer: true, ringMs: 10 },
      ],
    });
    expect(call.legs.map((l) => l.outcome)).toEqual(['answered', 'not-started']);
  });

  it('simultaneous ringing: all legs start together; when one answers the others are released as missed', async () => {
    await subscribe(undefined, 'all');
    const call = await playCall({
      direction: 'incoming',
      client: '9161234567',
      legs: [
        { abonent: '9000000001', answer: false, ringMs: 5000 },
        { abonent: '9000000002', answer: true, ringMs: 40, talkMs: 20 },
        { abonent: '9000000003', answer: false, ringMs: 10 },
      ],
    });
    const [l1, l2, l3] = call.legs as [CallView['legs'][0], CallView['legs'][0], CallView['legs'][0]];
    expect(l1.startTime).toBe(l2.startTime);
    expect(l2.startTime).toBe(l3.startTime);
    expect(l3.releaseTime! - l3.startTime!).toBe(10);
    expect(l1.releaseTime).toBe(l2.answerTime);
    expect(call.legs.map((l) => l.outcome)).toEqual(['missed', 'answered', 'missed']);
    const evs = received();
    expect(evs).toHaveLength(7);
    const released1 = evs.find((e) => e.ev['xsi:targetId'] === A1 && e.type === 'xsi:CallReleasedEvent')!;
    expect(released1.call['xsi:answerTime']).toBeUndefined();
  });

  it('hidden number: privacy and no address in every event', async () => {
    await subscribe('9000000001', 'h');
    await playCall({ direction: 'incoming', hideNumber: true, legs: [{ abonent: '9000000001', answer: true, ringMs: 10, talkMs: 10 }] });
    const evs = received();
    expect(evs).toHaveLength(3);
    for (const e of evs) {
      expect('xsi:privacy' in e.call['xsi:remoteParty']).toBe(true);
      expect(e.call['xsi:remoteParty']['xsi:address']).toBeUndefined();
    }
    const missed = await playCall({ direction: 'incoming', client: '9161234567', hideNumber: true, legs: [{ abonent: '101', answer: false, ringMs: 10 }] });
    const rel = received().find((e) => e.call['xsi:extTrackingId'] === missed.extTrackingId && e.type === 'xsi:CallReleasedEvent')!;
    expect('xsi:privacy' in rel.call['xsi:remoteParty']).toBe(true);
    expect(rel.call['xsi:remoteParty']['xsi:address']).toBeUndefined();
  });

  it('events go only to subscriptions matching the leg abonent (phone, userId, extension, whole PBX, same token)', async () => {
    await subscribe('9000000001', 'by-phone');
    await subscribe(A2, 'by-userid');
    await subscribe('102', 'by-ext');
    await subscribe(undefined, 'all');
    await control('pbx', { token: 'other', abonents: [{ phone: '9000000002' }] });
    await subscribe(undefined, 'other-pbx', 'other');
    await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000002', answer: false, ringMs: 10 }] });
    const count = (p: string) => hook.received.filter(byPath(p)).length;
    expect([count('by-phone'), count('by-userid'), count('by-ext'), count('all'), count('other-pbx')]).toEqual([0, 2, 2, 2, 0]);
    // sequence numbers are per subscription, event ids unique
    // Subscriptions to one abonent numbered their initial state 1; the whole PBX's has none.
    for (const p of ['by-userid', 'by-ext']) expect(received(byPath(p)).map((e) => e.seq)).toEqual([2, 3]);
    expect(received(byPath('all')).map((e) => e.seq)).toEqual([1, 2]);
    expect(new Set(received().map((e) => e.eventID)).size).toBe(6);
  });

  it('escapes XML text (client name)', async () => {
    await subscribe('9000000001', 'esc');
    await playCall({
      direction: 'incoming',
      client: '9161234567',
      clientName: `O'Neil & <Sons> "Ltd"`,
      legs: [{ abonent: '9000000001', answer: false, ringMs: 5 }],
    });
    const [rcv] = received();
    expect(rcv!.raw).toContain('O&apos;Neil &amp; &lt;Sons&gt; &quot;Ltd&quot;');
    expect(rcv!.call['xsi:remoteParty']['xsi:name']).toBe(`O'Neil & <Sons> "Ltd"`);
  });

  it('validates POST /_sim/calls', async () => {
    const base = { token: TOKEN, direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: true }] };
    expect((await control('calls', base)).status).toBe(200);
    expect((await control('calls', { ...base, token: 'nope' })).status).toBe(404);
    expect((await control('calls', { ...base, direction: 'sideways' })).status).toBe(400);
    expect((await control('calls', { ...base, legs: [] })).status).toBe(400);
    expect((await control('calls', { ...base, legs: [{ abonent: '9999999999', answer: true }] })).status).toBe(400);
    expect((await control('calls', { ...base, legs: [{ abonent: '9000000001', answer: true, ringMS: 5 }] })).status).toBe(400);
    expect((await control('calls', { ...base, client: 'abc' })).status).toBe(400);
    const twoOut = {
      ...base,
      direction: 'outgoing',
      legs: [
        { abonent: '101', answer: true },
        { abonent: '102', answer: true },
      ],
    };
    expect((await control('calls', twoOut)).status).toBe(400);
    expect((await control('calls', { ...base, client: undefined })).status).toBe(400);
    expect((await control('calls/unknown')).status).toBe(404);
  });
});

describe('outgoing calls', () => {
  it('employee dials out: Originated (Originator) → Answered → Released, remote = client', async () => {
    await subscribe('9000000001', 'out');
    const call = await playCall({ direction: 'outgoing', client: '+375291234567', legs: [{ abonent: '9000000001', answer: true, ringMs: 20, talkMs: 20 }] });
    const evs = received();
    expect(evs.map((e) => e.type)).toEqual(['xsi:CallOriginatedEvent', 'xsi:CallAnsweredEvent', 'xsi:CallReleasedEvent']);
    for (const e of evs) {
      expect(e.call['xsi:personality']).toBe('Originator');
      expect(e.call['xsi:extTrackingId']).toBe(call.extTrackingId);
      expect(e.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+375291234567', '@_countryCode': '375' });
    }
    expect(evs[2]!.call['xsi:releasingParty']).toBe('localRelease');
    expect(callChildren(evs[0]!.raw)).toEqual(['callId', 'extTrackingId', 'personality', 'state', 'remoteParty', 'startTime']);
  });

  it('unanswered outgoing call is released without answerTime', async () => {
    await subscribe('9000000001', 'out');
    await playCall({ direction: 'outgoing', client: '9161234567', legs: [{ abonent: '9000000001', answer: false, ringMs: 20 }] });
    const evs = received();
    expect(evs.map((e) => e.type)).toEqual(['xsi:CallOriginatedEvent', 'xsi:CallReleasedEvent']);
    expect(evs[1]!.call['xsi:answerTime']).toBeUndefined();
  });
});

describe('click-to-call', () => {
  const abonents = [
    { phone: '9000000001', recording: true },
    { phone: '9000000002', extension: '102' },
  ];
  const pbxWith = async (token: string, behaviour: Record<string, string>) => expect((await control('pbx', { token, abonents, behaviour })).status).toBe(200);

  it('by default: an empty answer, and one leg that rings the employee (Click-to-Dial) and then the client (Originator)', async () => {
    await subscribe('9000000001', 'ctc');
    const r = await api('abonents/9000000001/call?phoneNumber=9161234567', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    const [call] = sim.clickToCalls();
    const settled = await sim.waitForCall(call!.extTrackingId);
    expect(settled.legs).toHaveLength(1);
    const evs = received();
    expect(new Set(evs.map((e) => e.call['xsi:callId'])).size).toBe(1);
    expect(evs.every((e) => e.call['xsi:extTrackingId'] === call!.extTrackingId && e.ev['xsi:targetId'] === A1)).toBe(true);
    expect(evs.map((e) => [e.type, e.call['xsi:personality']])).toEqual([
      ['xsi:CallOriginatingEvent', 'Click-to-Dial'],
      ['xsi:CallOriginatedEvent', 'Originator'],
      ['xsi:CallAnsweredEvent', 'Originator'],
      ['xsi:CallReleasedEvent', 'Originator'],
    ]);
    expect(evs[0]!.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+79000000001', '@_countryCode': '7' });
    for (const e of evs.slice(1)) expect(e.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+79161234567', '@_countryCode': '7' });
    expect(evs[0]!.call['xsi:answerTime']).toBeUndefined();
    expect(evs[1]!.call['xsi:answerTime']).toBeUndefined();
    expect(Number(evs[3]!.call['xsi:answerTime'])).toBe(Number(evs[2]!.call['xsi:answerTime']));
    expect('xsi:recorded' in evs[3]!.call).toBe(false);
  });

  it('one leg, the employee does not pick up: released while still Click-to-Dial, the client never rung', async () => {
    await subscribe('9000000001', 'ctc-no');
    sim.setFaults({ clickToCall: { employeeAnswers: false } });
    try {
      await api('abonents/9000000001/call?phoneNumber=9161234567', { method: 'POST' });
      await sim.waitForCall(sim.clickToCalls().at(-1)!.extTrackingId);
    } finally {
      sim.setFaults({});
    }
    const evs = received();
    expect(evs.map((e) => [e.type, e.call['xsi:personality']])).toEqual([
      ['xsi:CallOriginatingEvent', 'Click-to-Dial'],
      ['xsi:CallReleasedEvent', 'Click-to-Dial'],
    ]);
    expect(evs[1]!.call['xsi:releaseCause']['xsi:internalReleaseCause']).toBe('Request Timeout');
    expect(evs[1]!.call['xsi:answerTime']).toBeUndefined();
  });

  it('behaviour two-legs + text: a JSON string id and the two Click-to-Dial legs', async () => {
    await pbxWith('two-legs-token', { clickToCall: 'two-legs', callAnswer: 'text', callNumberFormat: 'any', recordedElement: 'always' });
    await subscribe('9000000001', 'ctc2', 'two-legs-token');
    const r = await api('abonents/9000000001/call?phoneNumber=89161234567', { method: 'POST', token: 'two-legs-token' });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^"[0-9a-f-]{36}"$/);
    const id = r.json as string;
    // over HTTP: ?wait=<ms> answers once the call has ended and its deliveries finished
    const call = (await control(`calls/${id}?wait=5000`)).json as CallView;
    expect(call.settled).toBe(true);
    expect(call.source).toBe('click-to-call');
    const evs = received();
    expect(evs.every((e) => e.call['xsi:extTrackingId'] === id)).toBe(true);
    expect(evs.every((e) => e.call['xsi:personality'] === 'Click-to-Dial')).toBe(true);
    const callIds = [...new Set(evs.map((e) => e.call['xsi:callId']))];
    expect(callIds).toHaveLength(2);
    const [first, second] = callIds.map((cid) => evs.filter((e) => e.call['xsi:callId'] === cid)) as [Parsed[], Parsed[]];
    // leg 1 rings the employee: remote is the employee's own number
    expect(first.map((e) => e.type)).toEqual(['xsi:CallOriginatingEvent', 'xsi:CallAnsweredEvent', 'xsi:CallReleasedEvent']);
    expect(first[0]!.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+79000000001', '@_countryCode': '7' });
    // leg 2 dials the client once the employee answered
    expect(second.map((e) => e.type)).toEqual(['xsi:CallOriginatedEvent', 'xsi:CallAnsweredEvent', 'xsi:CallReleasedEvent']);
    expect(second[0]!.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+79161234567', '@_countryCode': '7' });
    expect(Number(second[0]!.call['xsi:startTime'])).toBe(Number(first[1]!.call['xsi:answerTime']));
    expect(second[2]!.call['xsi:answerTime']).toBeDefined();
    expect('xsi:recorded' in second[2]!.call).toBe(true); // recordedElement: always
    expect(Number(second[2]!.call['xsi:releaseTime'])).toBe(Number(first[2]!.call['xsi:releaseTime']));
    expect(call.legs.map((l) => [l.ringMs, l.talkMs])).toEqual([
      [50, 100],
      [50, 100],
    ]);
  });

  it('behaviour json: {"extTrackingId": …}', async () => {
    await pbxWith('json-token', { callAnswer: 'json' });
    const r = await api('abonents/9000000001/call?phoneNumber=9161234567', { method: 'POST', token: 'json-token' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ extTrackingId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await sim.waitForCall((r.json as { extTrackingId: string }).extTrackingId);
  });

  it("by default a Russian number must be its 10 national digits (other forms refused with the PBX's error); foreign numbers pass", async () => {
    for (const input of ['89161234567', '79161234567', '%2B79161234567']) {
      const r = await api(`abonents/9000000001/call?phoneNumber=${input}`, { method: 'POST' });
      expect(r.status, input).toBe(400);
      expect(r.json, input).toMatchObject({ errorCode: 'BadRequest', description: expect.stringContaining('10 цифр') });
    }
    const before = sim.clickToCalls().length;
    expect((await api('abonents/9000000001/call?phoneNumber=9161234567', { method: 'POST' })).status).toBe(200);
    expect((await api('abonents/9000000001/call?phoneNumber=%2B375291234567', { method: 'POST' })).status).toBe(200);
    expect(sim.clickToCalls().length).toBe(before + 2);
    await Promise.all(sim.clickToCalls().map((c) => sim.waitForCall(c.extTrackingId)));
  });

  it('behaviour callNumberFormat any: accepts national, 8…, 7…, +7… and foreign numbers; v2 path works', async () => {
    await pbxWith('any-token', { callNumberFormat: 'any', callAnswer: 'text', clickToCall: 'two-legs' });
    const cases: [string, string][] = [
      ['9161234567', 'tel:+79161234567'],
      ['89161234567', 'tel:+79161234567'],
      ['79161234567', 'tel:+79161234567'],
      ['%2B79161234567', 'tel:+79161234567'],
      ['+79161234567', 'tel:+79161234567'], // unencoded '+' arrives as a space
      ['%2B375291234567', 'tel:+375291234567'],
      ['375291234567', 'tel:+375291234567'],
      ['%2B4915112345678', 'tel:+4915112345678'],
    ];
    await Promise.all(
      cases.map(async ([input, uri], i) => {
        const path = `${i % 2 ? 'v2/' : ''}abonents/102/call?phoneNumber=${input}`;
        const r = await api(path, { method: 'POST', token: 'any-token' });
        expect(r.status, input).toBe(200);
        const call = await sim.waitForCall(r.json as string);
        expect(call.clientAddress, input).toBe(uri);
        expect(call.legs[1]!.state, input).toBe('Released');
      }),
    );
    await subscribe('102', 'cc', 'any-token');
    const r = await api('abonents/102/call?phoneNumber=%2B375291234567', { method: 'POST', token: 'any-token' });
    await sim.waitForCall(r.json as string);
    const client = received().find((e) => e.type === 'xsi:CallOriginatedEvent')!;
    expect(client.call['xsi:remoteParty']['xsi:address']).toEqual({ '#text': 'tel:+375291234567', '@_countryCode': '375' });
  });

  it('refuses unknown behaviour switches and values', async () => {
    for (const behaviour of [{ callAnswer: 'xml' }, { clickToCall: 'three-legs' }, { unknown: 'x' }, 'one-leg']) {
      const r = await control('pbx', { token: 'bad-behaviour', abonents, behaviour });
      expect(r.status, JSON.stringify(behaviour)).toBe(400);
      expect(r.json).toMatchObject({ error: expect.stringContaining('behaviour') });
    }
  });

  it('rejects a phoneNumber that is not a number and unknown abonents', async () => {
    for (const bad of ['abc', '12ab34', '', '+']) {
      const r = await api(`abonents/9000000001/call?phoneNumber=${bad}`, { method: 'POST' });
      expect(r.status, bad).toBe(400);
      expect(r.json).toMatchObject({ errorCode: 'BadRequest', description: expect.any(String) });
    }
    const unknown = await api('abonents/9999999999/call?phoneNumber=9161234567', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ errorCode: expect.any(String), description: expect.any(String) });
  });
});

describe('event faults', () => {
  it('duplicateEvents sends every event twice with identical eventIDs', async () => {
    await subscribe('9000000001', 'dup');
    await control('faults', { duplicateEvents: true });
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: true, ringMs: 10, talkMs: 10 }] });
    const evs = received();
    expect(evs).toHaveLength(6);
    const ids = evs.map((e) => e.eventID);
    expect(new Set(ids).size).toBe(3);
    for (const id of new Set(ids)) expect(ids.filter((x) => x === id)).toHaveLength(2);
    expect(call.events.every((e) => e.duplicated && e.deliveries.length === 2)).toBe(true);
  });

  it('dropEvents delivers nothing (the call view still lists the events as dropped)', async () => {
    await subscribe('9000000001', 'drop');
    await control('faults', { dropEvents: true });
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: true, ringMs: 10, talkMs: 10 }] });
    await new Promise((r) => setTimeout(r, 50));
    expect(hook.received).toHaveLength(0);
    expect(call.events).toHaveLength(3);
    expect(call.events.every((e) => e.dropped && e.deliveries.length === 0)).toBe(true);
  });

  it('dropEventTypes drops only events of those types (a lost release)', async () => {
    await subscribe('9000000001', 'drop-release');
    await control('faults', { dropEventTypes: ['CallReleasedEvent'] });
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: true, ringMs: 10, talkMs: 10 }] });
    await new Promise((r) => setTimeout(r, 50));
    expect(received().map((e) => e.type)).toEqual(['xsi:CallReceivedEvent', 'xsi:CallAnsweredEvent']);
    expect(call.events.filter((e) => e.dropped).map((e) => e.type)).toEqual(['CallReleasedEvent']);
    expect((await control('faults', { dropEventTypes: ['CallExplodedEvent'] })).status).toBe(400);
    expect((await control('faults', { dropEventTypes: 'CallReleasedEvent' })).status).toBe(400);
  });

  it('shuffleEvents delivers all events of the call only once it has ended', async () => {
    await subscribe(undefined, 'shuffle');
    await control('faults', { shuffleEvents: true });
    const call = await playCall({
      direction: 'incoming',
      client: '9161234567',
      legs: [
        { abonent: '9000000001', answer: false, ringMs: 10 },
        { abonent: '9000000002', answer: true, ringMs: 20, talkMs: 20 },
      ],
    });
    expect(hook.received).toHaveLength(5);
    const endedAt = Date.parse(call.endedAt!);
    expect(hook.received.every((r) => r.at >= endedAt)).toBe(true);
    expect(
      received()
        .map((e) => e.seq)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  it('failed deliveries are recorded and not retried by default; retryDeliveries retries', async () => {
    await subscribe('9000000001', 'fail');
    hook.status = 500;
    const once = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: false, ringMs: 5 }] });
    expect(once.events.map((e) => [e.status, e.deliveries.length])).toEqual([
      [500, 1],
      [500, 1],
    ]);
    hook.clear();
    await control('faults', { retryDeliveries: true });
    const retried = await playCall({ direction: 'outgoing', client: '9161234567', legs: [{ abonent: '9000000001', answer: false, ringMs: 5 }] });
    expect(retried.events.map((e) => e.deliveries.length)).toEqual([4, 4]);
    expect(hook.received).toHaveLength(8);
  });

  it('records a delivery error when the webhook is unreachable', async () => {
    const r = await api('subscription', {
      method: 'PUT',
      body: { pattern: '9000000001', expires: 60, subscriptionType: 'BASIC_CALL', url: 'http://127.0.0.1:1/unreachable' },
    });
    expect(r.status).toBe(200);
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: false, ringMs: 5 }] });
    expect(call.events).toHaveLength(2);
    for (const e of call.events) {
      expect(e.status).toBeUndefined();
      expect(e.error).toEqual(expect.any(String));
    }
  });
});

describe('recordings', () => {
  it('appear only after recordDelayMs; each reference is a new temporary URL serving mp3 bytes', async () => {
    await control('faults', { recordDelayMs: 300 });
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: true, ringMs: 10, talkMs: 40 }] });
    const ref = `records/${call.extTrackingId}/${encodeURIComponent(A1)}/reference`;
    const before = await api(ref);
    expect(before.status).toBe(404);
    expect(before.json).toMatchObject({ errorCode: expect.any(String), description: expect.any(String) });
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    expect((await api(`records?dateFrom=${from}&dateTo=${to}`)).json).toEqual([]);

    await new Promise((r) => setTimeout(r, 320));
    const a = await api(ref);
    expect(a.status).toBe(200);
    const urlA = (a.json as { url: string }).url;
    const urlB = ((await api(ref)).json as { url: string }).url;
    expect(urlA).not.toBe(urlB);
    expect(urlA).toMatch(new RegExp(`^${sim.url.replace(/[.]/g, '\\.')}_sim/recordings/\\d+\\.mp3\\?exp=\\d+&sig=[0-9a-f]+$`));
    const mp3 = await fetch(urlA);
    expect(mp3.status).toBe(200);
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = Buffer.from(await mp3.arrayBuffer());
    expect(bytes.subarray(0, 3).toString('latin1')).toBe('ID3');
    expect((await fetch(urlA.replace(/sig=[0-9a-f]+/, 'sig=deadbeef'))).status).toBe(403);

    const list = (await api(`records?dateFrom=${from}&dateTo=${to}`)).json as Record<string, any>[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      externalId: call.extTrackingId,
      phone: '9161234567',
      direction: 'INBOUND',
      duration: 40,
      fileSize: bytes.length,
      abonent: { userId: A1 },
    });
    const id = list[0]!.id as string;
    expect((await api(`records?dateFrom=${from}&dateTo=${to}&id=${id}`)).json).toEqual([]);
    expect((await api(`records?dateFrom=${from}&dateTo=${to}&userId=${encodeURIComponent(A2)}`)).json).toEqual([]);
    expect((await api(`records?dateFrom=${from}`)).status).toBe(400);
    expect(((await api(`records/${id}/reference`)).json as { url: string }).url).toContain(`_sim/recordings/${id}.mp3`);
    const dl = await api(`v2/records/${id}/download`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('audio/mpeg');
    expect(dl.buf.equals(bytes)).toBe(true);
    const dl2 = await api(`v2/records/${call.extTrackingId}/${encodeURIComponent(A1)}/download`);
    expect(dl2.buf.equals(bytes)).toBe(true);
  });

  it('temporary links expire; unanswered legs and abonents without recording get none', async () => {
    await control('faults', { recordDelayMs: 0, recordUrlTtlSeconds: 1 });
    await control('pbx', {
      token: TOKEN,
      abonents: [
        { phone: '9000000001', recording: true },
        { phone: '9000000002', recording: false },
      ],
    });
    const call = await playCall({
      direction: 'incoming',
      client: '9161234567',
      legs: [
        { abonent: '9000000001', answer: true, ringMs: 5, talkMs: 5 },
        { abonent: '9000000002', answer: false, ringMs: 5 },
      ],
    });
    const nrec = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000002', answer: true, ringMs: 5, talkMs: 5 }] });
    expect((await api(`records/${call.extTrackingId}/${encodeURIComponent(A2)}/reference`)).status).toBe(404);
    expect((await api(`records/${nrec.extTrackingId}/${encodeURIComponent(A2)}/reference`)).status).toBe(404);
    const { url } = (await api(`records/${call.extTrackingId}/${encodeURIComponent(A1)}/reference`)).json as { url: string };
    expect((await fetch(url)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(url)).status).toBe(403);
  });
});

describe('statistics', () => {
  it('lists rows of played calls (MISSED, RECIEVED, PLACED)', async () => {
    await playCall({
      direction: 'incoming',
      client: '89161234567',
      legs: [
        { abonent: '9000000001', answer: false, ringMs: 5 },
        { abonent: '9000000002', answer: true, ringMs: 10, talkMs: 30 },
      ],
    });
    await playCall({ direction: 'outgoing', client: '+375291234567', legs: [{ abonent: '9000000002', answer: true, ringMs: 5, talkMs: 20 }] });
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const all = (await api(`v2/statistics?dateFrom=${from}&dateTo=${to}&page=0&pageSize=100`)).json as Record<string, any>[];
    expect(all).toHaveLength(3);
    const mine = (await api(`v2/statistics?userId=${encodeURIComponent(A2)}&dateFrom=${from}&dateTo=${to}`)).json as Record<string, any>[];
    expect(mine.map((r) => [r.direction, r.status, r.duration, r.phone_from, r.phone_to])).toEqual([
      ['INBOUND', 'RECIEVED', 30, '9161234567', '9000000002'],
      ['OUTBOUND', 'PLACED', 20, '9000000002', '375291234567'],
    ]);
    expect(mine[0]!.abonent).toMatchObject({ userId: A2 });
    expect(typeof mine[0]!.startDate).toBe('number');
    // A missed row's duration is its ringing time (the real PBX's, which a reader must not take for an answer).
    const missed = all.find((r) => r.abonent.userId === A1)!;
    expect(missed).toMatchObject({ status: 'MISSED' });
    expect(missed.duration).toBeGreaterThanOrEqual(5);
    // Every row names its call.
    expect(new Set(all.map((r) => r.externalTrackingId)).size).toBe(2);
    expect(all.every((r) => typeof r.externalTrackingId === 'string')).toBe(true);
    const page1 = (await api(`v2/statistics?dateFrom=${from}&dateTo=${to}&page=1&pageSize=2`)).json as unknown[];
    expect(page1).toHaveLength(1);
    const old = (await api(`v2/statistics?dateFrom=2020-01-01T00:00:00Z&dateTo=2020-01-02T00:00:00Z`)).json as unknown[];
    expect(old).toEqual([]);
  });
});

describe('pickups and transfers', () => {
  const typesAt = (path: string) => received(byPath(path)).sort((a, b) => a.seq - b.seq);

  it('pickedUpBy: the ringing leg ends unanswered; the colleague gets CallPickedUpEvent, answers and talks under a new tracking id', async () => {
    await subscribe('9000000001', 'a');
    await subscribe('9000000002', 'b');
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: false, ringMs: 30, talkMs: 60, pickedUpBy: '9000000002' }] });
    const atA = typesAt('a');
    const atB = typesAt('b');
    expect(atA.map((e) => e.type)).toEqual(['xsi:CallReceivedEvent', 'xsi:CallReleasedEvent']);
    expect(atA[1]!.call['xsi:answerTime']).toBeUndefined();
    expect(atB.map((e) => e.type)).toEqual(['xsi:CallPickedUpEvent', 'xsi:CallAnsweredEvent', 'xsi:CallReleasedEvent']);
    expect(atB[0]!.call).toMatchObject({ 'xsi:state': 'Alerting', 'xsi:personality': 'Terminator', 'xsi:remoteParty': { 'xsi:address': { '#text': 'tel:+79161234567' } } });
    const pickedUpId = atB[0]!.call['xsi:extTrackingId'];
    expect(atA.every((e) => e.call['xsi:extTrackingId'] === call.extTrackingId)).toBe(true);
    expect(pickedUpId).not.toBe(call.extTrackingId);
    expect(atB.every((e) => e.call['xsi:extTrackingId'] === pickedUpId)).toBe(true);
    expect(atB[2]!.call['xsi:answerTime']).toBeDefined();
    expect(call.legs.map((leg) => [leg.abonent, leg.outcome, leg.continuation])).toEqual([
      [A1, 'missed', undefined],
      [A2, 'answered', 'pickup'],
    ]);
  });

  it('transferTo: the answering employee hands the client over; the colleague gets CallTransferredEvent under a new tracking id', async () => {
    await subscribe('9000000001', 'a');
    await subscribe('9000000003', 'c');
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: true, ringMs: 20, talkMs: 40, transferTo: '9000000003' }] });
    expect(typesAt('a').map((e) => e.type)).toEqual(['xsi:CallReceivedEvent', 'xsi:CallAnsweredEvent', 'xsi:CallReleasedEvent']);
    const atC = typesAt('c');
    expect(atC.map((e) => e.type)).toEqual(['xsi:CallTransferredEvent', 'xsi:CallAnsweredEvent', 'xsi:CallReleasedEvent']);
    expect(atC[0]!.call['xsi:extTrackingId']).not.toBe(call.extTrackingId);
    expect(Number(atC[0]!.call['xsi:startTime'])).toBeGreaterThanOrEqual(Number(typesAt('a')[2]!.call['xsi:releaseTime']));
    // Both talked: each leg has its recording.
    expect(call.recordings.map((r) => r.userId)).toEqual([A1, A3]);
  });

  it("behaviour continuationTrackingId kept: the colleague's leg carries the call's own tracking id", async () => {
    await control('pbx', { token: TOKEN, abonents: [{ phone: '9000000001' }, { phone: '9000000002' }], behaviour: { continuationTrackingId: 'kept' } });
    await subscribe('9000000002', 'b');
    const call = await playCall({ direction: 'incoming', client: '9161234567', legs: [{ abonent: '9000000001', answer: false, ringMs: 20, pickedUpBy: '9000000002' }] });
    expect(typesAt('b').map((e) => e.call['xsi:extTrackingId'])).toEqual([call.extTrackingId, call.extTrackingId, call.extTrackingId]);
  });

  it('refuses a pickup of an answered leg, a transfer of an unanswered one, and a colleague who is the leg itself', async () => {
    for (const leg of [
      { abonent: '9000000001', answer: true, pickedUpBy: '9000000002' },
      { abonent: '9000000001', answer: false, transferTo: '9000000002' },
      { abonent: '9000000001', answer: false, pickedUpBy: '9000000001' },
      { abonent: '9000000001', answer: false, pickedUpBy: '9000000099' },
    ]) {
      const r = await control('calls', { token: TOKEN, direction: 'incoming', client: '9161234567', legs: [leg] });
      expect(r.status).toBe(400);
    }
  });
});
