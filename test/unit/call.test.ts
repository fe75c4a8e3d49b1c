import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  CLEAR_CUT_SETTLE_MS,
  joinContinuation,
  MAX_LEGS,
  MAX_OTHER_EVENTS,
  MAX_SEEN_EVENT_IDS,
  newCall,
  seeksContinued,
  settleDeadline,
  summarise,
  type CallState,
} from '../../functions/commons/domain/call';
import type { XsiCall, XsiEvent } from '../../functions/commons/domain/xsi-event';

const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);
let seq = 0;

function event(type: string, abonent: string, call: Partial<XsiCall> & { callId: string }): XsiEvent {
  return {
    kind: 'call',
    type: type as never,
    envelope: { eventId: `e${seq++}`, eventType: type, targetId: `${abonent}@mpbx.sip.beeline.ru` },
    call: { extTrackingId: 'ext', redirections: [], acdCall: false, recorded: false, ...call },
  };
}

const client = { address: 'tel:+79161234567', callType: 'Network', privacy: false };

function play(events: XsiEvent[], at = T0): CallState {
  return events.reduce((state, e, i) => applyEvent(state, { event: e, receivedAt: at + i }).state, newCall('p', 'ext', at));
}

describe('the call aggregate', () => {
  const received = event('CallReceivedEvent', '9001234567', { callId: 'a', personality: 'Terminator', state: 'Alerting', remoteParty: client, startTime: T0 });
  const answered = event('CallAnsweredEvent', '9001234567', { callId: 'a', personality: 'Terminator', state: 'Active', remoteParty: client, startTime: T0, answerTime: T0 + 7000 });
  const released = event('CallReleasedEvent', '9001234567', {
    callId: 'a',
    personality: 'Terminator',
    state: 'Released',
    remoteParty: { privacy: true },
    startTime: T0,
    answerTime: T0 + 7000,
    releaseTime: T0 + 125_000,
  });

  it('merges the legs events into one answered incoming call', () => {
    const summary = summarise(play([received, answered, released]));
    expect(summary).toMatchObject({
      direction: 'Incoming',
      outcome: 'in_progress',
      decided: 'answered',
      clientPhone: '79161234567',
      operatorPhone: '9001234567',
      startedAt: T0,
      endedAt: T0 + 125_000,
      allLegsEnded: true,
    });
  });

  it('recognises a duplicate event and changes nothing', () => {
    const state = play([received]);
    const again = applyEvent(state, { event: received, receivedAt: T0 + 50 });
    expect(again.kind).toBe('duplicate');
    expect(again.state).toBe(state);
  });

  it('converges to the same summary in any order', () => {
    const orders = [
      [received, answered, released],
      [released, answered, received],
      [answered, released, received],
    ];
    const summaries = orders.map((order) => summarise(play(order)));
    for (const summary of summaries) expect(summary).toEqual(summaries[0]);
  });

  it('is still in progress while a leg has not ended, and settles only after the settle period', () => {
    expect(settleDeadline(play([received, answered]), 15_000)).toBeUndefined();
    // A missed leg: a sequential hunt group may ring the next member right after it.
    const missed = play([
      received,
      event('CallReleasedEvent', '9001234567', { callId: 'a', personality: 'Terminator', state: 'Released', remoteParty: client, startTime: T0, releaseTime: T0 + 20_000 }),
    ]);
    expect(settleDeadline(missed, 15_000)).toBe(missed.lastChangeAt + 15_000);
    // Two legs (a group rang), one answered: the full period too.
    const second = event('CallReleasedEvent', '9001234568', { callId: 'b', personality: 'Terminator', state: 'Released', remoteParty: client, startTime: T0, releaseTime: T0 + 5000 });
    const group = play([received, answered, released, second]);
    expect(settleDeadline(group, 15_000)).toBe(group.lastChangeAt + 15_000);
    // A continuing leg (a pickup, a transfer) or a call something joined into: the full period.
    const picked = play([event('CallPickedUpEvent', '9001234567', { callId: 'a', personality: 'Terminator', state: 'Active', remoteParty: client, startTime: T0, answerTime: T0 + 7000 }), released]);
    expect(settleDeadline(picked, 15_000)).toBe(picked.lastChangeAt + 15_000);
    const joined = { ...play([received, answered, released]), continuations: ['ext-2'] };
    expect(settleDeadline(joined, 15_000)).toBe(joined.lastChangeAt + 15_000);
  });

  it('a call answered on its one leg, nothing joined, waits CLEAR_CUT_SETTLE_MS only (never longer than the settle period)', () => {
    const ended = play([received, answered, released]);
    expect(settleDeadline(ended, 15_000)).toBe(ended.lastChangeAt + CLEAR_CUT_SETTLE_MS);
    expect(settleDeadline(ended, 1000)).toBe(ended.lastChangeAt + 1000);
    expect(CLEAR_CUT_SETTLE_MS).toBe(2000);
  });

  it('a click-to-call leg ringing the employee (remote = own number) is not the client', () => {
    const self = { address: 'tel:+79001234567', callType: 'Network', privacy: false };
    const summary = summarise(
      play([
        event('CallOriginatingEvent', '9001234567', { callId: 'c1', personality: 'Click-to-Dial', remoteParty: self, startTime: T0, answerTime: T0 + 2000 }),
        event('CallReleasedEvent', '9001234567', { callId: 'c1', personality: 'Click-to-Dial', state: 'Released', startTime: T0, answerTime: T0 + 2000, releaseTime: T0 + 60_000 }),
        event('CallOriginatedEvent', '9001234567', { callId: 'c2', personality: 'Click-to-Dial', remoteParty: client, startTime: T0 + 2500 }),
        event('CallReleasedEvent', '9001234567', { callId: 'c2', personality: 'Click-to-Dial', state: 'Released', startTime: T0 + 2500, releaseTime: T0 + 30_000 }),
      ]),
    );
    // The employee answered, the client did not: a missed outgoing call to the client.
    expect(summary).toMatchObject({ direction: 'Outgoing', decided: 'missed', clientPhone: '79161234567', operatorPhone: '9001234567' });
  });

  it('a call with a colleague is internal, a call with a hidden number is hidden', () => {
    const colleague = { userId: '9000000002@mpbx.sip.beeline.ru', address: 'tel:200', callType: 'Group', privacy: false };
    const internal = play([event('CallReleasedEvent', '9000000001', { callId: 'i', personality: 'Terminator', state: 'Released', remoteParty: colleague, startTime: T0, releaseTime: T0 + 1 })]);
    const hidden = play([event('CallReleasedEvent', '9000000001', { callId: 'h', personality: 'Terminator', state: 'Released', remoteParty: { privacy: true }, startTime: T0, releaseTime: T0 + 1 })]);
    expect(summarise(internal).decided).toBe('internal');
    expect(summarise(hidden).decided).toBe('hidden');
  });

  it('a missed call to several employees names the first one rung, even if its events arrive last', () => {
    const legs = ['9000000003', '9000000001', '9000000002'].map((abonent) => {
      const start = T0 + Number(abonent.slice(-1)) * 10_000;
      return event('CallReleasedEvent', abonent, { callId: abonent, personality: 'Terminator', state: 'Released', remoteParty: client, startTime: start, releaseTime: start + 5000 });
    });
    expect(summarise(play(legs))).toMatchObject({ decided: 'missed', operatorPhone: '9000000001', startedAt: T0 + 10_000 });
  });

  it('keeps events of unknown types for the log without changing the legs', () => {
    const state = play([received]);
    const other: XsiEvent = { kind: 'ignored', type: 'CallRecordingStartedEvent', envelope: { eventId: 'x', eventType: 'CallRecordingStartedEvent' } };
    const { state: next } = applyEvent(state, { event: other, receivedAt: T0 + 5 });
    expect(next.legs).toEqual(state.legs);
    expect(next.otherEvents).toEqual([{ eventId: 'x', type: 'CallRecordingStartedEvent' }]);
  });
});

/**
 * A click-to-call as the real PBX sends it: one leg that rings the employee (`Click-to-Dial`,
 * the employee's own number as the other side), then the client (`Originator`, the client's
 * number), in any delivery order.
 */
describe('a click-to-call played as one leg', () => {
  const employee = { address: 'tel:+79001234567', callType: 'Network', privacy: false };
  const leg = { callId: 'c2c', extTrackingId: 'ext' };
  const originating = event('CallOriginatingEvent', '9001234567', { ...leg, personality: 'Click-to-Dial', state: 'Alerting', remoteParty: employee, startTime: T0 });
  const originated = event('CallOriginatedEvent', '9001234567', { ...leg, personality: 'Originator', state: 'Alerting', remoteParty: client, startTime: T0 + 4000 });
  const answered = event('CallAnsweredEvent', '9001234567', { ...leg, personality: 'Originator', state: 'Active', remoteParty: client, startTime: T0 + 4000, answerTime: T0 + 11_000 });
  const released = event('CallReleasedEvent', '9001234567', {
    ...leg,
    personality: 'Originator',
    state: 'Released',
    remoteParty: client,
    startTime: T0 + 4000,
    answerTime: T0 + 11_000,
    releaseTime: T0 + 75_000,
  });

  const permutations = <T>(items: T[]): T[][] => (items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])));

  it('is an answered outgoing call with the client as client and the employee as operator, in every delivery order', () => {
    const orders = permutations([originating, originated, answered, released]);
    expect(orders).toHaveLength(24);
    for (const order of orders) {
      const summary = summarise(play(order));
      expect(summary, order.map((e) => e.envelope.eventType).join(' → ')).toMatchObject({
        direction: 'Outgoing',
        decided: 'answered',
        clientPhone: '79161234567',
        operatorPhone: '9001234567',
        startedAt: T0,
        endedAt: T0 + 75_000,
      });
    }
  });

  it('the client did not answer: a missed outgoing call of that client', () => {
    const unanswered = event('CallReleasedEvent', '9001234567', { ...leg, personality: 'Originator', state: 'Released', remoteParty: client, startTime: T0 + 4000, releaseTime: T0 + 40_000 });
    expect(summarise(play([originating, originated, unanswered]))).toMatchObject({ direction: 'Outgoing', decided: 'missed', clientPhone: '79161234567' });
  });

  it("the employee did not pick up: the client was never dialled, so no client (and an answer in that phase is the employee's)", () => {
    const notAccepted = event('CallReleasedEvent', '9001234567', {
      ...leg,
      personality: 'Click-to-Dial',
      state: 'Released',
      remoteParty: employee,
      startTime: T0,
      answerTime: T0 + 3000,
      releaseTime: T0 + 30_000,
    });
    const summary = summarise(play([originating, notAccepted]));
    expect(summary.clientPhone).toBeUndefined();
    expect(summary.decided).toBe('hidden');
  });

  it("played as two legs (the employee's half answered by the employee), the client's leg decides", () => {
    const employeeHalf = { callId: 'half-1', extTrackingId: 'ext' };
    const clientHalf = { callId: 'half-2', extTrackingId: 'ext' };
    const events = [
      event('CallOriginatingEvent', '9001234567', { ...employeeHalf, personality: 'Click-to-Dial', state: 'Alerting', remoteParty: employee, startTime: T0 }),
      event('CallAnsweredEvent', '9001234567', { ...employeeHalf, personality: 'Click-to-Dial', state: 'Active', remoteParty: employee, startTime: T0, answerTime: T0 + 3000 }),
      event('CallOriginatedEvent', '9001234567', { ...clientHalf, personality: 'Click-to-Dial', state: 'Alerting', remoteParty: client, startTime: T0 + 3000 }),
      event('CallReleasedEvent', '9001234567', { ...clientHalf, personality: 'Click-to-Dial', state: 'Released', remoteParty: client, startTime: T0 + 3000, releaseTime: T0 + 30_000 }),
      event('CallReleasedEvent', '9001234567', {
        ...employeeHalf,
        personality: 'Click-to-Dial',
        state: 'Released',
        remoteParty: employee,
        startTime: T0,
        answerTime: T0 + 3000,
        releaseTime: T0 + 30_000,
      }),
    ];
    expect(summarise(play(events))).toMatchObject({ direction: 'Outgoing', decided: 'missed', clientPhone: '79161234567', operatorPhone: '9001234567' });
  });
});

describe('pickups and transfers (a new tracking id continues the call)', () => {
  const ringingAtA = event('CallReceivedEvent', '9001234567', { callId: 'a', personality: 'Terminator', state: 'Alerting', remoteParty: client, startTime: T0 });
  const releasedAtA = event('CallReleasedEvent', '9001234567', { callId: 'a', personality: 'Terminator', state: 'Released', remoteParty: { privacy: false }, startTime: T0, releaseTime: T0 + 9000 });
  const pickedUpAtB = (ext: string) => [
    event('CallPickedUpEvent', '9001234568', { extTrackingId: ext, callId: 'b', personality: 'Terminator', state: 'Alerting', remoteParty: client, startTime: T0 + 9000 }),
    event('CallAnsweredEvent', '9001234568', { extTrackingId: ext, callId: 'b', personality: 'Terminator', state: 'Active', remoteParty: client, startTime: T0 + 9000, answerTime: T0 + 9100 }),
    event('CallReleasedEvent', '9001234568', {
      extTrackingId: ext,
      callId: 'b',
      personality: 'Terminator',
      state: 'Released',
      remoteParty: client,
      startTime: T0 + 9000,
      answerTime: T0 + 9100,
      releaseTime: T0 + 60_000,
    }),
  ];
  const playAs = (ext: string, events: XsiEvent[]) => events.reduce((state, e, i) => applyEvent(state, { event: e, receivedAt: T0 + 9000 + i }).state, newCall('p', ext, T0 + 9000));

  it('a call that began with a pickup looks for the call it continues; an ordinary call does not', () => {
    expect(seeksContinued(playAs('ext-b', pickedUpAtB('ext-b')))).toBe(true);
    expect(seeksContinued(play([ringingAtA, releasedAtA]))).toBe(false);
    expect(seeksContinued({ ...playAs('ext-b', pickedUpAtB('ext-b')), continues: 'ext' })).toBe(false);
  });

  it('joined into the call it continues: one answered call, the picking-up colleague as operator, the recording under the new id', () => {
    const root = play([ringingAtA, releasedAtA]);
    expect(summarise(root).decided).toBe('missed');
    const joined = joinContinuation(root, playAs('ext-b', pickedUpAtB('ext-b')))!;
    expect(summarise(joined)).toMatchObject({
      direction: 'Incoming',
      decided: 'answered',
      clientPhone: '79161234567',
      operatorPhone: '9001234568',
      operatorTargetId: '9001234568@mpbx.sip.beeline.ru',
      operatorTrackingId: 'ext-b',
      startedAt: T0,
      endedAt: T0 + 60_000,
    });
    expect(joined.continuations).toEqual(['ext-b']);
  });

  it('joining converges: partial views in any order and repeated joins give the same call, and a repeat changes nothing', () => {
    const events = pickedUpAtB('ext-b');
    const root = play([ringingAtA, releasedAtA]);
    const whole = joinContinuation(root, playAs('ext-b', events))!;
    const stepwise = [events.slice(0, 1), events.slice(0, 3), events.slice(0, 2)].reduce((state, part) => joinContinuation(state, playAs('ext-b', part)) ?? state, root);
    expect(summarise(stepwise)).toEqual(summarise(whole));
    expect(joinContinuation(whole, playAs('ext-b', events))).toBeUndefined();
  });

  it('an ordinary call keeps its own tracking id for its recording', () => {
    expect(summarise(play([ringingAtA])).operatorTrackingId).toBe('ext');
  });

  it('a `calls` list (CallRedirectedEvent) merges every leg of this call and no leg of another', () => {
    const redirected: XsiEvent = {
      ...(event('CallRedirectedEvent', '9001234567', { callId: 'a', personality: 'Terminator', state: 'Released', remoteParty: client, startTime: T0, releaseTime: T0 + 5000 }) as Extract<
        XsiEvent,
        { kind: 'call' }
      >),
      otherCalls: [
        { callId: 'c', extTrackingId: 'ext', personality: 'Terminator', state: 'Alerting', remoteParty: client, startTime: T0 + 5000, redirections: [], acdCall: false, recorded: false },
        { callId: 'z', extTrackingId: 'another', personality: 'Terminator', state: 'Alerting', startTime: T0, redirections: [], acdCall: false, recorded: false },
      ],
    };
    const state = play([redirected]);
    expect(Object.keys(state.legs).sort()).toEqual(['a', 'c']);
    expect(summarise(state).allLegsEnded).toBe(false);
  });
});

describe('what a call keeps is bounded, and its times are not trusted blindly', () => {
  it('a start time in the future (a PBX clock error or a forged event) is taken as the arrival: it cannot make later calls look older', () => {
    const future = event('CallReceivedEvent', '9001234567', { callId: 'f', personality: 'Terminator', state: 'Alerting', remoteParty: client, startTime: T0 + 10 * 365 * 86_400_000 });
    const state = applyEvent(newCall('p', 'ext', T0), { event: future, receivedAt: T0 + 100 }).state;
    expect(summarise(state).startedAt).toBe(T0 + 100);
    const skewed = event('CallReceivedEvent', '9001234567', { callId: 'g', personality: 'Terminator', state: 'Alerting', remoteParty: client, startTime: T0 + 60_000 });
    expect(summarise(applyEvent(newCall('p', 'ext', T0), { event: skewed, receivedAt: T0 }).state).startedAt).toBe(T0 + 60_000);
  });

  it('seen event ids, other events and legs stay within their bounds however many events come', () => {
    let state = newCall('p', 'ext', T0);
    for (let i = 0; i < MAX_SEEN_EVENT_IDS + 50; i++) {
      const leg = event('CallReceivedEvent', '9001234567', { callId: `leg-${i}`, personality: 'Terminator', state: 'Alerting', remoteParty: client, startTime: T0 });
      state = applyEvent(state, { event: leg, receivedAt: T0 + i }).state;
      const other: XsiEvent = { kind: 'ignored', type: 'HookStatusEvent', envelope: { eventId: `hook-${i}`, eventType: 'HookStatusEvent' } };
      state = applyEvent(state, { event: other, receivedAt: T0 + i }).state;
    }
    expect(state.seenEventIds).toHaveLength(MAX_SEEN_EVENT_IDS);
    expect(state.otherEvents).toHaveLength(MAX_OTHER_EVENTS);
    expect(Object.keys(state.legs)).toHaveLength(MAX_LEGS);
    expect(JSON.stringify(state).length).toBeLessThan(100_000);
  });
});
