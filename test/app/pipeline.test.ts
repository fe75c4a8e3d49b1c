/**
 * The call pipeline's use cases on in-memory adapters (the fast tier): events merged into calls,
 * the effects of a settled call exactly once, recordings, recovery. The same behaviour through
 * the whole local stack is in test/integration and test/e2e.
 */
import { describe, expect, it } from 'vitest';
import type { StatisticsRow } from '../../functions/commons/domain/recovery';
import { memoryApp, PUBLIC_URL } from '../support/memory/app';
import { callEvents, shuffled, type LegSpec } from '../../drivers/xsi';

/** 29.11.2026 12:30:05 in Moscow. */
const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);
const PROJECT = 'fast-project';
const CLIENT = '79161234567';
const OPERATOR = '9001234567';

const answeredIncoming = (abonent = OPERATOR, phone = CLIENT): LegSpec[] => [{ abonent, remote: { address: `tel:+${phone}` }, startTime: T0, answerTime: T0 + 7000, releaseTime: T0 + 125_000 }];

async function appWithCall(legs: LegSpec[], ext = 'ext-1') {
  const app = memoryApp({ startAt: T0 + 126_000 });
  await app.deliver(PROJECT, callEvents(ext, legs));
  return app;
}

const SEVEN_VARIABLES = {
  beeline_call_type: 'Incoming',
  beeline_client_phone: CLIENT,
  beeline_operator_phone: OPERATOR,
  beeline_start_time: '29.11.2026 12:30:05',
  beeline_release_time: '29.11.2026 12:32:10',
  beeline_record_link: '',
  beeline_call_description: `29.11.2026 12:30:05 принят входящий. Абонент: ${OPERATOR} Клиент: ${CLIENT}`,
};

describe('an answered incoming call', () => {
  it('settles after the settle period: the client is created with the seven variables and one notification', async () => {
    const app = await appWithCall(answeredIncoming());
    expect(app.queue.sent.map((m) => m.message.kind)).toContain('settle');
    expect(app.calls.callLog(PROJECT)[0]).toMatchObject({ outcome: 'in_progress' });

    await app.drain();
    const [call] = app.calls.callLog(PROJECT);
    expect(call).toMatchObject({ extTrackingId: 'ext-1', direction: 'Incoming', outcome: 'answered', clientPhone: CLIENT, operatorPhone: OPERATOR });
    const client = app.clients.get(PROJECT, call!.clientId!);
    expect(client).toMatchObject({ channel: 'telephony', phone: CLIENT });
    expect(client!.dealVariables).toEqual(SEVEN_VARIABLES);
    expect(app.clients.dialog(PROJECT, call!.clientId!)).toEqual([expect.objectContaining({ text: 'beeline_call_event Incoming', kind: 'notification' })]);
  });

  it('waits for the settle period after the last event before deciding (the clock is at the deadline, not before)', async () => {
    // Two members rang: a group may ring on, so the whole period.
    const app = await appWithCall([...answeredIncoming(), { abonent: '9001234568', remote: { address: `tel:+${CLIENT}` }, startTime: T0, releaseTime: T0 + 7000 }]);
    const settle = app.queue.sent.filter((m) => m.message.kind === 'settle').at(-1)!;
    expect(settle.delaySeconds).toBeGreaterThanOrEqual(14);
    await app.drain();
    expect(app.clock.now).toBeGreaterThanOrEqual(settle.dueAt);
    expect(app.calls.callLog(PROJECT)[0]).toMatchObject({ outcome: 'answered', operatorPhone: OPERATOR });
  });

  it('a call answered on its one leg is decided 2 s after its hang-up; a transfer showing up later amends it, the dialog told once', async () => {
    const app = await appWithCall(answeredIncoming());
    const settle = app.queue.sent.find((m) => m.message.kind === 'settle')!;
    expect(settle.delaySeconds).toBe(2);
    await app.drain();
    const [call] = app.calls.callLog(PROJECT);
    expect(call).toMatchObject({ outcome: 'answered', operatorPhone: OPERATOR });
    expect(app.clients.dialog(PROJECT, call!.clientId!)).toHaveLength(1);

    // The employee had transferred the client: the colleague's leg (a tracking id of its own) arrives after the decision.
    const colleague = '9001234568';
    await app.deliver(
      PROJECT,
      callEvents('ext-transferred', [
        { abonent: colleague, firstEvent: 'CallTransferredEvent', remote: { address: `tel:+${CLIENT}` }, startTime: T0 + 125_000, answerTime: T0 + 126_000, releaseTime: T0 + 200_000 },
      ]),
    );
    await app.drain();
    const log = app.calls.callLog(PROJECT);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ extTrackingId: 'ext-1', outcome: 'answered', operatorPhone: colleague });
    expect(app.clients.get(PROJECT, call!.clientId!)!.dealVariables.beeline_operator_phone).toBe(colleague);
    expect(app.clients.dialog(PROJECT, call!.clientId!)).toHaveLength(1);
  });

  it('redelivered and reordered events still give one call, the same variables and one notification', async () => {
    const app = memoryApp({ startAt: T0 + 126_000 });
    const events = callEvents('ext-1', answeredIncoming());
    for (let seed = 1; seed <= 5; seed++) await app.deliver(PROJECT, shuffled([...events, ...events], seed));
    await app.drain();
    // Late redeliveries after the call is final change nothing.
    await app.deliver(PROJECT, events);
    await app.drain();
    const log = app.calls.callLog(PROJECT);
    expect(log).toHaveLength(1);
    expect(app.clients.get(PROJECT, log[0]!.clientId!)!.dealVariables).toEqual(SEVEN_VARIABLES);
    expect(app.clients.dialog(PROJECT, log[0]!.clientId!)).toHaveLength(1);
    // The bot engine hears of it once, with what the client got (and once that it started).
    expect(app.calls.events.map((e) => e.type)).toEqual(['beeline_call_started', 'beeline_call_event']);
    expect(app.calls.events[1]).toEqual(expect.objectContaining({ type: 'beeline_call_event', clientId: log[0]!.clientId, data: expect.objectContaining({ variables: SEVEN_VARIABLES }) }));
  });

  it('a ring-all group whose legs arrive all at once is one call with one notification', async () => {
    const app = memoryApp({ startAt: T0 + 126_000 });
    const legs: LegSpec[] = Array.from({ length: 20 }, (_, i) => ({
      abonent: `90000000${String(i).padStart(2, '0')}`,
      remote: { address: `tel:+${CLIENT}` },
      startTime: T0,
      ...(i === 7 && { answerTime: T0 + 5000 }),
      releaseTime: i === 7 ? T0 + 60_000 : T0 + 5000,
    }));
    await Promise.all(callEvents('ring-all', legs).map((body) => app.deliver(PROJECT, [body])));
    await app.drain();
    const [call] = app.calls.callLog(PROJECT);
    expect(call).toMatchObject({ outcome: 'answered', operatorPhone: '9000000007' });
    expect(app.clients.dialog(PROJECT, call!.clientId!)).toHaveLength(1);
  });
});

describe('a call starting (beeline_call_started, activeCall)', () => {
  const started = (app: ReturnType<typeof memoryApp>) => app.calls.events.filter((e) => e.type === 'beeline_call_started');
  const knownClient = (app: ReturnType<typeof memoryApp>) =>
    app.clients.add(PROJECT, { clientId: 'tel-1', channel: 'telephony', phone: CLIENT, variables: {}, dealVariables: {}, createdAt: new Date(T0 - 86_400_000).toISOString() });

  it('is reported at the first ringing leg; the known client shows the call as active until it ends', async () => {
    const app = memoryApp({ startAt: T0 + 1000 });
    knownClient(app);
    const [ringing, ...rest] = callEvents('ext-1', answeredIncoming());
    await app.deliver(PROJECT, [ringing!]);
    expect(started(app)).toEqual([
      expect.objectContaining({ projectId: PROJECT, clientId: 'tel-1', data: { extTrackingId: 'ext-1', direction: 'Incoming', clientPhone: CLIENT, operatorPhone: OPERATOR } }),
    ]);
    expect(app.clients.get(PROJECT, 'tel-1')!.activeCall).toEqual({ extTrackingId: 'ext-1', startedAt: new Date(T0).toISOString() });

    app.clock.now = T0 + 126_000;
    await app.deliver(PROJECT, rest);
    // Hung up but not settled yet: still the client's call.
    expect(app.clients.get(PROJECT, 'tel-1')!.activeCall?.extTrackingId).toBe('ext-1');
    await app.drain();
    expect(app.calls.callLog(PROJECT)[0]).toMatchObject({ outcome: 'answered', clientId: 'tel-1' });
    expect(app.clients.get(PROJECT, 'tel-1')!.activeCall).toBeUndefined();
    expect(started(app)).toHaveLength(1);
  });

  it('names no client while none exists; the client the call creates has no active call left', async () => {
    const app = memoryApp({ startAt: T0 + 1000 });
    const events = callEvents('ext-new', answeredIncoming());
    await app.deliver(PROJECT, events.slice(0, 1));
    const [event] = started(app);
    expect(event).not.toHaveProperty('clientId');
    app.clock.now = T0 + 126_000;
    await app.deliver(PROJECT, events.slice(1));
    await app.drain();
    const [call] = app.calls.callLog(PROJECT);
    expect(app.clients.get(PROJECT, call!.clientId!)).toBeDefined();
    expect(app.clients.get(PROJECT, call!.clientId!)!.activeCall).toBeUndefined();
  });

  it('an outgoing call is reported with its direction', async () => {
    const app = memoryApp({ startAt: T0 + 1000 });
    const legs: LegSpec[] = [{ abonent: OPERATOR, personality: 'Originator', remote: { address: `tel:+${CLIENT}` }, startTime: T0, answerTime: T0 + 9000, releaseTime: T0 + 60_000 }];
    await app.deliver(PROJECT, callEvents('out-1', legs).slice(0, 1));
    expect(started(app).map((e) => e.data.direction)).toEqual(['Outgoing']);
  });

  it('once per call whatever the redeliveries, the order, or 20 legs of a ring-all group arriving at once', async () => {
    const app = memoryApp({ startAt: T0 + 126_000 });
    knownClient(app);
    const legs: LegSpec[] = Array.from({ length: 20 }, (_, i) => ({ abonent: `90000000${String(i).padStart(2, '0')}`, remote: { address: `tel:+${CLIENT}` }, startTime: T0, releaseTime: T0 + 5000 }));
    const events = callEvents('ring-all', legs);
    await Promise.all(events.map((body) => app.deliver(PROJECT, [body])));
    for (let seed = 1; seed <= 3; seed++) await app.deliver(PROJECT, shuffled(events, seed));
    await app.drain();
    expect(started(app)).toHaveLength(1);
    expect(app.clients.get(PROJECT, 'tel-1')!.activeCall).toBeUndefined();
  });

  it('a call first seen at its hang-up is reported but was never active; a call with no client number is not reported', async () => {
    const app = memoryApp({ startAt: T0 + 126_000 });
    knownClient(app);
    await app.deliver(PROJECT, callEvents('late', answeredIncoming()).slice(-1));
    expect(started(app)).toHaveLength(1);
    expect(app.clients.get(PROJECT, 'tel-1')!.activeCall).toBeUndefined();
    await app.deliver(PROJECT, callEvents('hidden', [{ abonent: OPERATOR, remote: { hidden: true }, startTime: T0, releaseTime: T0 + 5000 }]));
    await app.deliver(PROJECT, callEvents('internal', [{ abonent: OPERATOR, remote: { colleague: '9009998877' }, startTime: T0, releaseTime: T0 + 5000 }]));
    await app.drain();
    expect(started(app).map((e) => e.data.extTrackingId)).toEqual(['late']);
  });

  it('a call whose end never comes stops being active after 4 hours', async () => {
    const app = memoryApp({ startAt: T0 + 1000 });
    knownClient(app);
    await app.deliver(PROJECT, callEvents('stuck', answeredIncoming()).slice(0, 1));
    app.clock.now = T0 + 1000 + 4 * 3600_000 - 1;
    expect(app.clients.get(PROJECT, 'tel-1')!.activeCall?.extTrackingId).toBe('stuck');
    app.clock.now = T0 + 1000 + 4 * 3600_000;
    expect(app.clients.get(PROJECT, 'tel-1')!.activeCall).toBeUndefined();
  });
});

describe('client matching', () => {
  it('a client holding the number in a variable gets the call (no new client)', async () => {
    const app = await appWithCall(answeredIncoming());
    app.clients.add(PROJECT, { clientId: 'chat-7', channel: 'telegram', variables: { phone: `+${CLIENT}` }, dealVariables: {}, createdAt: new Date(T0 - 86_400_000).toISOString() });
    await app.drain();
    const [call] = app.calls.callLog(PROJECT);
    expect(call!.clientId).toBe('chat-7');
    expect(app.clients.get(PROJECT, 'chat-7')!.dealVariables.beeline_client_phone).toBe(CLIENT);
    expect(app.clients.clients.size).toBe(1);
  });

  it('two calls from one new number create one client, notified twice, holding the later call', async () => {
    const app = memoryApp({ startAt: T0 + 200_000 });
    await app.deliver(PROJECT, callEvents('first', answeredIncoming()));
    await app.deliver(PROJECT, callEvents('second', [{ abonent: OPERATOR, remote: { address: `tel:+${CLIENT}` }, startTime: T0 + 130_000, releaseTime: T0 + 150_000 }]));
    await app.drain();
    expect(app.clients.clients.size).toBe(1);
    const [latest, earlier] = app.calls.callLog(PROJECT);
    expect(latest!.clientId).toBe(earlier!.clientId);
    expect(latest).toMatchObject({ extTrackingId: 'second', outcome: 'missed' });
    expect(app.clients.dialog(PROJECT, latest!.clientId!)).toHaveLength(2);
    expect(app.clients.get(PROJECT, latest!.clientId!)!.dealVariables.beeline_start_time).toBe('29.11.2026 12:32:15');
  });
});

describe('the recording of an answered call', () => {
  it('is looked up after the first delay; when the PBX has it, the client gets the stable link (never the PBX URL)', async () => {
    const app = await appWithCall(answeredIncoming());
    await app.connect(PROJECT);
    app.pbx.addAbonent({ userId: `${OPERATOR}@mpbx.sip.beeline.ru`, phone: OPERATOR });
    app.pbx.recorded.add(`${OPERATOR}@mpbx.sip.beeline.ru`);
    await app.drain(T0 + 126_000 + 60_000);
    const record = app.queue.sent.find((m) => m.message.kind === 'record');
    expect(record?.delaySeconds).toBe(90);
    // Not there yet at the first look-up: tried again later.
    await app.drain(record!.dueAt);
    app.pbx.recordings.set(`ext-1/${OPERATOR}@mpbx.sip.beeline.ru`, 'https://pbx.example/temporary/recording.mp3');
    await app.drain();
    const [call] = app.calls.callLog(PROJECT);
    const link = `${PUBLIC_URL}/projects/${PROJECT}/calls/ext-1/record`;
    expect(call!.recordLink).toBe(link);
    expect(app.clients.get(PROJECT, call!.clientId!)!.dealVariables.beeline_record_link).toBe(link);
    expect(app.calls.events.map((e) => e.type)).toEqual(['beeline_call_started', 'beeline_call_event', 'beeline_record_link']);
    expect(app.calls.events[2]!.data).toEqual({ extTrackingId: 'ext-1', beeline_record_link: link });
    expect(app.handled.filter((m) => m.kind === 'record').length).toBeGreaterThanOrEqual(2);
  });

  it('is not looked up when the employee does not record calls', async () => {
    const app = await appWithCall(answeredIncoming());
    await app.connect(PROJECT);
    app.pbx.addAbonent({ userId: `${OPERATOR}@mpbx.sip.beeline.ru`, phone: OPERATOR });
    await app.drain();
    expect(app.handled.filter((m) => m.kind === 'record')).toHaveLength(1);
    expect(app.calls.callLog(PROJECT)[0]!.recordLink).toBeUndefined();
  });

  it('a PBX outage does not count against the give-up time: the link comes once the PBX is back', async () => {
    const app = memoryApp({ startAt: T0 + 126_000, recordGiveUpSeconds: 600 });
    await app.deliver(PROJECT, callEvents('ext-1', answeredIncoming()));
    await app.connect(PROJECT);
    app.pbx.addAbonent({ userId: `${OPERATOR}@mpbx.sip.beeline.ru`, phone: OPERATOR });
    app.pbx.recorded.add(`${OPERATOR}@mpbx.sip.beeline.ru`);
    await app.drain(T0 + 126_000 + 100_000);
    app.pbx.failure = 'unreachable';
    await app.drain(T0 + 126_000 + 3600_000);
    app.pbx.failure = undefined;
    app.pbx.recordings.set(`ext-1/${OPERATOR}@mpbx.sip.beeline.ru`, 'https://pbx.example/r.mp3');
    await app.drain();
    expect(app.calls.callLog(PROJECT)[0]!.recordLink).toContain('/calls/ext-1/record');
  });
});

describe('recovery of calls whose webhooks never arrived', () => {
  it('rebuilds a missed call from the PBX statistics once, whatever the number of runs', async () => {
    const app = memoryApp({ startAt: T0 + 3600_000 });
    await app.connect(PROJECT);
    const row: StatisticsRow = {
      startDate: T0,
      abonent: { userId: `${OPERATOR}@mpbx.sip.beeline.ru`, phone: OPERATOR },
      direction: 'INBOUND',
      status: 'MISSED',
      duration: 0,
      phone_from: CLIENT.slice(1),
      phone_to: OPERATOR,
    };
    app.pbx.statisticsRows.push(row as never);
    const first = await app.pipeline.recoverLostCalls(PROJECT);
    await app.drain();
    const second = await app.pipeline.recoverLostCalls(PROJECT);
    await app.drain();
    expect(first.recovered).toHaveLength(1);
    expect(second.recovered).toHaveLength(0);
    const log = app.calls.callLog(PROJECT);
    expect(log).toEqual([expect.objectContaining({ outcome: 'missed', clientPhone: CLIENT, recovered: true })]);
    expect(app.clients.dialog(PROJECT, log[0]!.clientId!)).toEqual([expect.objectContaining({ text: 'beeline_call_event Incoming' })]);
  });

  it('a call seen through its webhooks is not made twice by recovery', async () => {
    const app = await appWithCall(answeredIncoming());
    await app.drain();
    app.clock.now = T0 + 3600_000;
    await app.connect(PROJECT);
    app.pbx.statisticsRows.push({
      startDate: T0 + 300,
      abonent: { userId: `${OPERATOR}@mpbx.sip.beeline.ru`, phone: OPERATOR },
      direction: 'INBOUND',
      status: 'RECIEVED',
      duration: 118_000,
      phone_from: CLIENT.slice(1),
      phone_to: OPERATOR,
    });
    const run = await app.pipeline.recoverLostCalls(PROJECT);
    expect(run).toMatchObject({ recovered: [], known: 1 });
    expect(app.calls.callLog(PROJECT)).toHaveLength(1);
  });
});

describe('a missed incoming call nobody returned', () => {
  const missed = (startTime: number): LegSpec[] => [{ abonent: OPERATOR, remote: { address: `tel:+${CLIENT}` }, startTime, releaseTime: startTime + 20_000 }];
  const unreturned = (app: ReturnType<typeof memoryApp>) => app.calls.events.filter((e) => e.type === 'beeline_missed_unreturned');

  it('is reported once, when the project’s return time (30 min) has passed, checked in hops of at most 15 min', async () => {
    const app = memoryApp({ startAt: T0 + 21_000 });
    await app.deliver(PROJECT, callEvents('missed-1', missed(T0)));
    await app.drain(T0 + 29 * 60_000);
    expect(unreturned(app)).toEqual([]);
    await app.drain();
    const [event, ...more] = unreturned(app);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: 'beeline_missed_unreturned',
      occurredAt: new Date(T0 + 20_000 + 30 * 60_000).toISOString(),
      data: { extTrackingId: 'missed-1', clientPhone: CLIENT, missedAt: new Date(T0 + 20_000).toISOString() },
    });
    const checks = app.handled.filter((m) => m.kind === 'missed');
    expect(checks).toHaveLength(2); // 30 minutes: a hop of 15 minutes, then the check at the deadline
    expect(app.queue.sent.filter((m) => m.message.kind === 'missed').every((m) => m.delaySeconds <= 900)).toBe(true);
    // A check delivered again reports nothing new.
    await app.pipeline.handleMissedCheck(PROJECT, 'missed-1');
    expect(unreturned(app)).toHaveLength(1);
  });

  it('is not reported when the employee called the client back (answered) in time', async () => {
    const app = memoryApp({ startAt: T0 + 21_000 });
    await app.deliver(PROJECT, callEvents('missed-2', missed(T0)));
    await app.drain(T0 + 10 * 60_000);
    const back: LegSpec[] = [
      { abonent: OPERATOR, personality: 'Originator', remote: { address: `tel:+${CLIENT}` }, startTime: T0 + 10 * 60_000, answerTime: T0 + 10 * 60_000 + 5000, releaseTime: T0 + 12 * 60_000 },
    ];
    await app.deliver(PROJECT, callEvents('call-back', back));
    await app.drain();
    expect(app.calls.callLog(PROJECT).map((c) => [c.extTrackingId, c.outcome])).toEqual([
      ['call-back', 'answered'],
      ['missed-2', 'missed'],
    ]);
    expect(unreturned(app)).toEqual([]);
  });

  it('follows the project’s missedCallReturnMinutes', async () => {
    const app = memoryApp({ startAt: T0 + 21_000 });
    app.projects.projects.set(PROJECT, { projectId: PROJECT, timezone: 'Europe/Moscow', messengers: [], missedCallReturnMinutes: 5 });
    await app.deliver(PROJECT, callEvents('missed-3', missed(T0)));
    await app.drain();
    expect(unreturned(app)[0]!.occurredAt).toBe(new Date(T0 + 20_000 + 5 * 60_000).toISOString());
  });
});
