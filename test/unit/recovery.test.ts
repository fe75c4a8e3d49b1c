import { describe, expect, it } from 'vitest';
import { summarise, type CallState, type Leg } from '../../functions/commons/domain/call';
import { completeFromRecords, rebuildCalls } from '../../functions/commons/domain/recovery';

const T0 = Date.UTC(2026, 10, 29, 9, 30, 0);
const CLIENT = '79161234567';

function leg(callId: string, fields: Partial<Leg>): Leg {
  return { callId, released: false, remoteInternal: false, remotePrivacy: false, recorded: false, firstSeenAt: T0, personality: 'Terminator', remotePhone: CLIENT, ...fields };
}
function live(legs: Leg[], extra: Partial<CallState> = {}): CallState {
  return { projectId: 'p', extTrackingId: 'ext-1', legs: Object.fromEntries(legs.map((l) => [l.callId, l])), seenEventIds: ['e1', 'e2'], lastChangeAt: T0 + 5_000, otherEvents: [], ...extra };
}
/** What the PBX's statistics say of the call: one row per leg. */
function records(rows: { employee: string; start: number; talkMs: number; ringMs?: number }[]): CallState {
  const [call] = rebuildCalls(
    'p',
    rows.map((r) => ({
      startDate: r.start,
      abonent: { userId: `${r.employee}@mpbx.sip.beeline.ru`, phone: r.employee },
      direction: 'INBOUND',
      status: r.talkMs > 0 ? 'RECIEVED' : 'MISSED',
      duration: r.talkMs,
      phone_from: CLIENT,
      phone_to: r.employee,
    })),
    [],
  );
  return call!;
}

describe('completeFromRecords: a call whose last webhooks never came', () => {
  it('an answered call whose release was lost ends as the PBX recorded it: answered, at the recorded end', () => {
    const state = live([leg('c1', { operatorPhone: '9000000001', targetId: '9000000001@mpbx.sip.beeline.ru', startTime: T0, answerTime: T0 + 4_000 })]);
    const done = completeFromRecords(state, records([{ employee: '9000000001', start: T0 + 300, talkMs: 60_000 }]), 10_000)!;
    expect(done.legs.c1).toMatchObject({ released: true, releaseTime: T0 + 300 + 60_000, answerTime: T0 + 4_000 });
    expect(done.recovered).toBe(true);
    expect(done.seenEventIds).toEqual(['e1', 'e2']);
    expect(summarise(done)).toMatchObject({ allLegsEnded: true, fresh: 'answered', operatorPhone: '9000000001', clientPhone: CLIENT });
  });

  it('an unanswered leg whose release was lost ends missed', () => {
    const state = live([leg('c1', { operatorPhone: '9000000001', startTime: T0 })]);
    const done = completeFromRecords(state, records([{ employee: '9000000001', start: T0, talkMs: 0 }]), 10_000)!;
    expect(summarise(done)).toMatchObject({ allLegsEnded: true, fresh: 'missed' });
  });

  it('a call still talking on a leg the PBX has not finished is left open', () => {
    // Hunt group: the first employee's leg ended (recorded), the second is talking (no record yet).
    const state = live([
      leg('c1', { operatorPhone: '9000000001', startTime: T0, released: true, releaseTime: T0 + 15_000 }),
      leg('c2', { operatorPhone: '9000000002', startTime: T0 + 15_000, answerTime: T0 + 18_000 }),
    ]);
    expect(completeFromRecords(state, records([{ employee: '9000000001', start: T0, talkMs: 0 }]), 10_000)).toBeUndefined();
  });

  it('a record of the same employee that started much earlier or later is another call', () => {
    const state = live([leg('c1', { operatorPhone: '9000000001', startTime: T0 })]);
    expect(completeFromRecords(state, records([{ employee: '9000000001', start: T0 - 60_000, talkMs: 30_000 }]), 10_000)).toBeUndefined();
  });

  it('an open leg with no employee to match, a call already final, or one with nothing open: unchanged', () => {
    const noEmployee = live([leg('c1', { startTime: T0 })]);
    expect(completeFromRecords(noEmployee, records([{ employee: '9000000001', start: T0, talkMs: 10_000 }]), 10_000)).toBeUndefined();
    const final = live([leg('c1', { operatorPhone: '9000000001', startTime: T0 })], { finalized: { outcome: 'missed', finalizedAt: T0 } });
    expect(completeFromRecords(final, records([{ employee: '9000000001', start: T0, talkMs: 10_000 }]), 10_000)).toBeUndefined();
    const ended = live([leg('c1', { operatorPhone: '9000000001', startTime: T0, released: true, releaseTime: T0 + 9_000 })]);
    expect(completeFromRecords(ended, records([{ employee: '9000000001', start: T0, talkMs: 0 }]), 10_000)).toBeUndefined();
  });

  it('a recorded leg no webhook told of is added: the employee who answered decides the outcome', () => {
    const state = live([leg('c1', { operatorPhone: '9000000001', startTime: T0 })]);
    const done = completeFromRecords(
      state,
      records([
        { employee: '9000000001', start: T0, talkMs: 0 },
        { employee: '9000000002', start: T0 + 12_000, talkMs: 45_000 },
      ]),
      10_000,
    )!;
    expect(Object.keys(done.legs)).toHaveLength(2);
    expect(summarise(done)).toMatchObject({ allLegsEnded: true, fresh: 'answered', operatorPhone: '9000000002' });
  });
});

describe('rebuildCalls: statistics rows as the real PBX writes them', () => {
  const row = (fields: Record<string, unknown>) => ({
    startDate: T0,
    abonent: { userId: '9000000001@mpbx.sip.beeline.ru', phone: '9000000001' },
    direction: 'INBOUND',
    phone_from: CLIENT,
    phone_to: '9000000001',
    ...fields,
  });

  it('a missed row with ringing time is missed (answered is RECIEVED, not a duration)', () => {
    const [call] = rebuildCalls('p', [row({ status: 'MISSED', duration: 25_000 })], []);
    expect(summarise(call!)).toMatchObject({ fresh: 'missed', operatorPhone: '9000000001' });
  });

  it('a REDIRECTED row is not an answer; the leg that took the call is', () => {
    const rows = [
      row({ status: 'REDIRECTED', duration: 12_000, externalTrackingId: 'ext-r' }),
      row({ startDate: T0 + 12_000, status: 'RECIEVED', duration: 60_000, externalTrackingId: 'ext-r', abonent: { userId: '9000000002@mpbx.sip.beeline.ru', phone: '9000000002' } }),
    ];
    const calls = rebuildCalls('p', rows, []);
    expect(calls).toHaveLength(1);
    expect(summarise(calls[0]!)).toMatchObject({ fresh: 'answered', operatorPhone: '9000000002' });
    const [redirectedOnly] = rebuildCalls('p', [rows[0]!], []);
    expect(summarise(redirectedOnly!).fresh).toBe('missed');
  });

  it('rows carrying externalTrackingId are grouped by it and keep it as the call id, however close two calls are', () => {
    const calls = rebuildCalls(
      'p',
      [row({ status: 'RECIEVED', duration: 5_000, externalTrackingId: 'ext-a' }), row({ startDate: T0 + 6_000, status: 'MISSED', duration: 3_000, externalTrackingId: 'ext-b' })],
      [],
    );
    expect(calls.map((c) => [c.extTrackingId, summarise(c).fresh])).toEqual([
      ['ext-a', 'answered'],
      ['ext-b', 'missed'],
    ]);
    // Without it, the same rows read as one call by number and time (the fallback).
    const fallback = rebuildCalls('p', [row({ status: 'RECIEVED', duration: 5_000 }), row({ startDate: T0 + 6_000, status: 'MISSED', duration: 3_000 })], []);
    expect(fallback).toHaveLength(1);
  });

  it("a SIP account's row (no number) has its extension as operator", () => {
    const [call] = rebuildCalls('p', [row({ status: 'RECIEVED', duration: 5_000, abonent: { userId: 'SIP0A1B2C3D4E5@ip.beeline.ru', extension: '205' } })], []);
    expect(summarise(call!)).toMatchObject({ fresh: 'answered', operatorPhone: '205', operatorTargetId: 'SIP0A1B2C3D4E5@ip.beeline.ru' });
  });

  it('an unanswered outgoing row (PLACED, nothing talked) is missed', () => {
    const [call] = rebuildCalls('p', [row({ direction: 'OUTBOUND', status: 'PLACED', duration: 0, phone_from: '9000000001', phone_to: CLIENT })], []);
    expect(summarise(call!)).toMatchObject({ direction: 'Outgoing', fresh: 'missed' });
  });
});
