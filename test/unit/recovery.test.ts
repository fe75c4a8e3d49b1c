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
    rows.map((r) => ({ startDate: r.start, abonent: { userId: `${r.employee}@mpbx.sip.beeline.ru`, phone: r.employee }, direction: 'INBOUND', status: r.talkMs > 0 ? 'RECIEVED' : 'MISSED', duration: r.talkMs, phone_from: CLIENT, phone_to: r.employee })),
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
