/**
 * The core pipeline end to end on the local stack: webhook → ingest → SQS emulator →
 * processor → DynamoDB Local, read back through the platform API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/harness';
import { callEvents, shuffled, type LegSpec } from '../../drivers/xsi';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

/** 29.11.2026 12:30:05 in Moscow. */
const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);
let phoneSeq = 0;
/** A fresh client number per test, so tests in this file never share a client. */
const newPhone = () => `7916${String(1000000 + phoneSeq++).slice(1)}${String(Math.floor(Math.random() * 10))}`;

async function newProject(settings: { messengers?: string[]; timezone?: string } = {}) {
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  const { status } = await stack.api('PUT', `/projects/${projectId}`, { name: 'Test', ...settings });
  expect(status).toBe(200);
  await stack.registerSubscription(projectId);
  return projectId;
}

async function play(projectId: string, events: string[]) {
  for (const xml of events) {
    const { status } = await stack.postWebhook(projectId, xml);
    expect(status).toBe(200);
  }
}

async function finishedCall(projectId: string, extTrackingId: string) {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${projectId}/calls?limit=200`);
    const call = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === extTrackingId);
    return call && call.outcome !== 'in_progress' ? call : undefined;
  });
}

async function clientFor(projectId: string, phone: string) {
  const { body } = await stack.api('GET', `/projects/${projectId}/clients?phone=${phone}`);
  return body.clients as any[];
}

async function messages(projectId: string, clientId: string) {
  const { body } = await stack.api('GET', `/projects/${projectId}/clients/${clientId}/messages`);
  return body.messages as { text: string; kind: string }[];
}

function answeredIncoming(phone: string, abonent = '9001234567'): LegSpec[] {
  return [{ abonent, remote: { address: `tel:+${phone}` }, startTime: T0, answerTime: T0 + 7000, releaseTime: T0 + 125_000 }];
}

describe('an answered incoming call', () => {
  it('creates the client, writes the seven variables, and posts one notification', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const ext = randomUUID();
    await play(projectId, callEvents(ext, answeredIncoming(phone)));

    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ direction: 'Incoming', outcome: 'answered', clientPhone: phone, operatorPhone: '9001234567' });
    const [client] = await clientFor(projectId, phone);
    expect(client).toMatchObject({ channel: 'telephony', phone, clientId: call.clientId });
    expect(client.dealVariables).toEqual({
      beeline_call_type: 'Incoming',
      beeline_client_phone: phone,
      beeline_operator_phone: '9001234567',
      beeline_start_time: '29.11.2026 12:30:05',
      beeline_release_time: '29.11.2026 12:32:10',
      beeline_record_link: '',
      beeline_call_description: `29.11.2026 12:30:05 принят входящий. Абонент: 9001234567 Клиент: ${phone}`,
    });
    expect(await messages(projectId, client.clientId)).toEqual([expect.objectContaining({ text: 'beeline_call_event Incoming', kind: 'notification' })]);
  });
});

describe('a missed incoming call whose released event has no address', () => {
  it('carries the number over from the received event and is пропущен', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const ext = randomUUID();
    await play(projectId, callEvents(ext, [{ abonent: '9001234567', remote: { address: `tel:+${phone}` }, startTime: T0, releaseTime: T0 + 30_000, releasedWithoutAddress: true }]));
    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ outcome: 'missed', clientPhone: phone });
    const [client] = await clientFor(projectId, phone);
    expect(client.dealVariables.beeline_call_description).toBe(`29.11.2026 12:30:05 пропущен входящий. Абонент: 9001234567 Клиент: ${phone}`);
    expect(client.dealVariables.beeline_call_type).toBe('Incoming');
  });
});

describe('an outgoing call to +375', () => {
  it('produces Outgoing variables for the Belarusian client', async () => {
    const projectId = await newProject({ timezone: 'Europe/Minsk' });
    const ext = randomUUID();
    await play(
      projectId,
      callEvents(ext, [
        { abonent: '9001234567', personality: 'Originator', remote: { address: 'tel:+375291234567', countryCode: '375' }, startTime: T0, answerTime: T0 + 12_000, releaseTime: T0 + 90_000 },
      ]),
    );
    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ direction: 'Outgoing', outcome: 'answered', clientPhone: '375291234567' });
    const [client] = await clientFor(projectId, '+375 29 123-45-67');
    expect(client.dealVariables).toMatchObject({
      beeline_call_type: 'Outgoing',
      beeline_client_phone: '375291234567',
      beeline_call_description: '29.11.2026 12:30:05 принят исходящий. Абонент: 9001234567 Клиент: 375291234567',
    });
    expect((await messages(projectId, client.clientId)).map((m) => m.text)).toEqual(['beeline_call_event Outgoing']);
  });
});

describe('exactly once, whatever the delivery', () => {
  it('every event delivered three times → one notification and the same variables', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const ext = randomUUID();
    const events = callEvents(ext, answeredIncoming(phone));
    await play(
      projectId,
      events.flatMap((xml) => [xml, xml, xml]),
    );
    await finishedCall(projectId, ext);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // let any duplicate settle timer fire
    const [client] = await clientFor(projectId, phone);
    expect(client.dealVariables.beeline_call_description).toContain('принят входящий');
    expect(await messages(projectId, client.clientId)).toHaveLength(1);
  });

  it('reversed and shuffled orders reach the same final state', async () => {
    const projectId = await newProject();
    const results = [];
    for (const order of ['reversed', 'shuffled'] as const) {
      const phone = newPhone();
      const ext = randomUUID();
      const legs: LegSpec[] = [
        { abonent: '9000000001', remote: { address: `tel:+${phone}` }, startTime: T0, releaseTime: T0 + 10_000, releasedWithoutAddress: true },
        { abonent: '9000000002', remote: { address: `tel:+${phone}` }, startTime: T0 + 10_000, answerTime: T0 + 15_000, releaseTime: T0 + 60_000 },
      ];
      const events = callEvents(ext, legs);
      await play(projectId, order === 'reversed' ? [...events].reverse() : shuffled(events, 42));
      const call = await finishedCall(projectId, ext);
      const [client] = await clientFor(projectId, phone);
      results.push({ call, vars: client.dealVariables, notes: (await messages(projectId, client.clientId)).length });
    }
    for (const { call, vars, notes } of results) {
      expect(call).toMatchObject({ outcome: 'answered', operatorPhone: '9000000002' });
      expect(vars.beeline_operator_phone).toBe('9000000002');
      expect(vars.beeline_start_time).toBe('29.11.2026 12:30:05');
      expect(vars.beeline_release_time).toBe('29.11.2026 12:31:05');
      expect(notes).toBe(1);
    }
  });
});

describe('hunt groups', () => {
  const huntLegs = (phone: string, answeredBy?: number): LegSpec[] =>
    ['9000000001', '9000000002', '9000000003'].map((abonent, i) => ({
      abonent,
      remote: { address: `tel:+${phone}` },
      startTime: T0 + i * 20_000,
      answerTime: answeredBy === i ? T0 + i * 20_000 + 5000 : undefined,
      releaseTime: T0 + i * 20_000 + (answeredBy === i ? 100_000 : 20_000),
      releasedWithoutAddress: answeredBy !== i,
    }));

  it('three employees rung one after another, the third answers → one call, принят, the third as operator', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const ext = randomUUID();
    await play(projectId, callEvents(ext, huntLegs(phone, 2)));
    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ outcome: 'answered', operatorPhone: '9000000003' });
    const [client] = await clientFor(projectId, phone);
    expect(client.dealVariables.beeline_call_description).toBe(`29.11.2026 12:30:05 принят входящий. Абонент: 9000000003 Клиент: ${phone}`);
    expect(await messages(projectId, client.clientId)).toHaveLength(1);
    const { body } = await stack.api('GET', `/projects/${projectId}/calls`);
    expect(body.calls.filter((c: { extTrackingId: string }) => c.extTrackingId === ext)).toHaveLength(1);
  });

  it('a leg starting within the settle period after the others ended joins the same call', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const ext = randomUUID();
    const [first, second] = huntLegs(phone, 1).map((leg) => callEvents(ext, [leg]));
    await play(projectId, first!);
    await new Promise((resolve) => setTimeout(resolve, 400)); // well inside the 1 s settle period
    await play(projectId, second!);
    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ outcome: 'answered', operatorPhone: '9000000002' });
    const [client] = await clientFor(projectId, phone);
    expect(await messages(projectId, client.clientId)).toHaveLength(1);
  });

  it('nobody answers → пропущен, the first one rung as operator', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const ext = randomUUID();
    await play(projectId, callEvents(ext, huntLegs(phone)));
    const call = await finishedCall(projectId, ext);
    expect(call).toMatchObject({ outcome: 'missed', operatorPhone: '9000000001' });
    const [client] = await clientFor(projectId, phone);
    expect(client.dealVariables.beeline_call_description).toBe(`29.11.2026 12:30:05 пропущен входящий. Абонент: 9000000001 Клиент: ${phone}`);
  });
});

describe('which client a call belongs to', () => {
  it('two simultaneous first calls from a new number create one client', async () => {
    const projectId = await newProject({ messengers: ['whatsapp'] });
    const phone = newPhone();
    const exts = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await Promise.all(exts.map((ext) => play(projectId, callEvents(ext, answeredIncoming(phone)))));
    const calls = await Promise.all(exts.map((ext) => finishedCall(projectId, ext)));
    const clientIds = new Set(calls.map((call) => call.clientId));
    expect(clientIds.size).toBe(1);
    const [client] = await clientFor(projectId, phone);
    expect(client.channel).toBe('whatsapp');
    expect(await messages(projectId, client.clientId)).toHaveLength(exts.length);
  });

  it('a telephony client beats a client holding the number in a variable', async () => {
    const projectId = await newProject({ messengers: ['whatsapp'] });
    const phone = newPhone();
    await stack.api('PUT', `/projects/${projectId}/clients/wa-anna`, { channel: 'whatsapp', variables: { mobile: `8 ${phone.slice(1)}` } });
    await stack.api('PUT', `/projects/${projectId}/clients/tel-anna`, { channel: 'telephony', phone: `+${phone}` });
    const ext = randomUUID();
    await play(projectId, callEvents(ext, answeredIncoming(phone)));
    expect((await finishedCall(projectId, ext)).clientId).toBe('tel-anna');
    expect(await messages(projectId, 'wa-anna')).toEqual([]);
  });

  it('among variable matches the earliest-created client wins', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const formatted = `+7 (${phone.slice(1, 4)}) ${phone.slice(4, 7)}-${phone.slice(7, 9)}-${phone.slice(9)}`;
    await stack.api('PUT', `/projects/${projectId}/clients/first`, { channel: 'telegram', variables: { phone: formatted } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await stack.api('PUT', `/projects/${projectId}/clients/second`, { channel: 'viber', variables: { contact: phone } });
    const ext = randomUUID();
    await play(projectId, callEvents(ext, answeredIncoming(phone)));
    expect((await finishedCall(projectId, ext)).clientId).toBe('first');
    expect((await stack.api('GET', `/projects/${projectId}/clients/first`)).body.dealVariables.beeline_client_phone).toBe(phone);
  });

  it('a variable that no longer holds the number no longer matches', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    await stack.api('PUT', `/projects/${projectId}/clients/moved`, { channel: 'telegram', variables: { phone } });
    await stack.api('PUT', `/projects/${projectId}/clients/moved`, { channel: 'telegram', variables: { phone: '79990000000' } });
    expect(await clientFor(projectId, phone)).toEqual([]);
  });

  it('creates a WhatsApp client when a messenger is connected, a telephony client otherwise', async () => {
    const withMessenger = await newProject({ messengers: ['telegram'] });
    const without = await newProject();
    const phone = newPhone();
    for (const projectId of [withMessenger, without]) {
      const ext = randomUUID();
      await play(projectId, callEvents(ext, answeredIncoming(phone)));
      await finishedCall(projectId, ext);
    }
    expect((await clientFor(withMessenger, phone))[0].channel).toBe('whatsapp');
    expect((await clientFor(without, phone))[0].channel).toBe('telephony');
  });
});

describe('calls without client effects', () => {
  it('an internal call and a hidden-number call touch no client and are in the call log', async () => {
    const projectId = await newProject();
    const internal = randomUUID();
    const hidden = randomUUID();
    await play(projectId, callEvents(internal, [{ abonent: '9000000001', remote: { colleague: '9000000002' }, startTime: T0, answerTime: T0 + 1000, releaseTime: T0 + 5000 }]));
    await play(projectId, callEvents(hidden, [{ abonent: '9000000001', remote: { hidden: true }, startTime: T0, answerTime: T0 + 1000, releaseTime: T0 + 5000 }]));
    expect(await finishedCall(projectId, internal)).toMatchObject({ outcome: 'internal' });
    expect(await finishedCall(projectId, hidden)).toMatchObject({ outcome: 'hidden' });
    const calls = (await stack.api('GET', `/projects/${projectId}/calls`)).body.calls;
    expect(calls.every((call: { clientId?: string }) => call.clientId === undefined)).toBe(true);
  });
});

describe('an international number written with + that starts with 8 (§3)', () => {
  it('+81… is Japan: its client keeps 81…, and a second call from it finds the same client', async () => {
    const projectId = await newProject();
    const [first, second] = [randomUUID(), randomUUID()];
    const leg = (at: number) => [{ abonent: '9001234567', remote: { address: 'tel:+81312345678', countryCode: '81' }, startTime: at, answerTime: at + 5000, releaseTime: at + 60_000 }];
    await play(projectId, callEvents(first, leg(T0)));
    const call = await finishedCall(projectId, first);
    expect(call).toMatchObject({ clientPhone: '81312345678', clientId: 'bl-81312345678' });
    await play(projectId, callEvents(second, leg(T0 + 3600_000)));
    expect(await finishedCall(projectId, second)).toMatchObject({ clientId: 'bl-81312345678' });
    expect(await clientFor(projectId, '79312345678')).toEqual([]);
    expect((await messages(projectId, 'bl-81312345678')).filter((m) => m.kind === 'notification')).toHaveLength(2);
  });
});

describe('a client holding as much as it may', () => {
  it('variables up to the 64 KB bound are kept, and a call of that client is still finalized', async () => {
    const projectId = await newProject();
    const phone = newPhone();
    const variables = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`note${i}`, 'я'.repeat(2000)]));
    expect((await stack.api('PUT', `/projects/${projectId}/clients/big`, { channel: 'telephony', phone, variables })).status).toBe(200);
    const ext = randomUUID();
    await play(projectId, callEvents(ext, answeredIncoming(phone)));
    expect(await finishedCall(projectId, ext)).toMatchObject({ outcome: 'answered', clientId: 'big' });
    expect((await messages(projectId, 'big')).filter((m) => m.kind === 'notification')).toHaveLength(1);
  });
});

describe('tracking ids in paths', () => {
  it('a tracking id with the characters BroadWorks ids have (`:`, `.`, `@`) is found by GET …/calls/{id}; `#` is refused', async () => {
    const projectId = await newProject();
    const ext = `BW${Date.now()}:0.1@example`;
    await play(projectId, callEvents(ext, answeredIncoming(newPhone())));
    await finishedCall(projectId, ext);
    expect(await stack.api('GET', `/projects/${projectId}/calls/${encodeURIComponent(ext)}`)).toMatchObject({ status: 200, body: { extTrackingId: ext, outcome: 'answered' } });
    expect((await stack.api('GET', `/projects/${projectId}/calls/${encodeURIComponent('a#b')}`)).status).toBe(400);
  });
});
