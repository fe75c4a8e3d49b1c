/**
 * The storage contract the pipeline relies on, checked against the DynamoDB adapters (on
 * DynamoDB Local) and the in-memory adapters of the fast tier alike, so the fast tier's green
 * means what the real stores would do: versioned saves, the finalize transaction's outcomes,
 * variables never overwritten by an older call, record links only on the client's own call,
 * click-to-call ids claimed once, client matching by rank.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { storesFrom } from '../../functions/commons/composition';
import { applyEvent, newCall, summarise, type CallState } from '../../functions/commons/domain/call';
import { newClientForPhone, defaultProject, type ActiveCall, type Client } from '../../functions/commons/domain/clients';
import { callVariables } from '../../functions/commons/domain/effects';
import { callEventOf, callStartedEventOf, missedUnreturnedEventOf, recordLinkEventOf, type OutboundEvent } from '../../functions/commons/domain/outbound-events';
import { parseXsiEvent } from '../../functions/commons/domain/xsi-parser';
import type { CallStore, ClientDirectory, DialogMessage } from '../../functions/commons/ports';
import { ensureTable } from '../../local/dynamodb';
import { MemoryCallStore, MemoryClients, MemoryEventFeed } from '../support/memory/stores';
import { callEvents, type LegSpec } from '../../drivers/xsi';

interface Subject {
  calls: CallStore;
  clients: ClientDirectory;
  addClient(projectId: string, client: Client): Promise<void>;
  variables(projectId: string, clientId: string): Promise<Record<string, string> | undefined>;
  dialog(projectId: string, clientId: string): Promise<DialogMessage[]>;
  /** The outbound events written with the effects. */
  events(projectId: string): Promise<OutboundEvent[]>;
  append(event: OutboundEvent): Promise<boolean>;
  activeCall(projectId: string, clientId: string): Promise<ActiveCall | undefined>;
}

const subjects: [string, () => Promise<Subject>][] = [
  [
    'in memory',
    async () => {
      const clients = new MemoryClients();
      const calls = new MemoryCallStore(clients);
      return {
        calls,
        clients,
        addClient: async (projectId, client) => clients.add(projectId, client),
        variables: async (projectId, clientId) => clients.get(projectId, clientId)?.dealVariables,
        dialog: async (projectId, clientId) => clients.dialog(projectId, clientId),
        events: async (projectId) => calls.events.filter((event) => event.projectId === projectId),
        append: (event) => new MemoryEventFeed(calls).append(event),
        activeCall: async (projectId, clientId) => clients.get(projectId, clientId)?.activeCall,
      };
    },
  ],
  [
    'on DynamoDB',
    async () => {
      const env = { TABLE_NAME: `contract-${randomUUID()}`, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'), AWS_REGION: 'us-east-1' };
      await ensureTable(env.AWS_ENDPOINT_URL_DYNAMODB, env.TABLE_NAME);
      const stores = storesFrom(env);
      return {
        calls: stores.calls,
        clients: stores.clients,
        addClient: async (projectId, client) => {
          await stores.clients.put(projectId, client, new Date(client.createdAt));
        },
        variables: async (projectId, clientId) => (await stores.clients.get(projectId, clientId))?.dealVariables,
        dialog: async (projectId, clientId) => (await stores.clients.listMessages(projectId, clientId, 100)).items,
        append: (event) => stores.events.append(event),
        events: async (projectId) => (await stores.events.list(projectId, { limit: 500, until: new Date(Date.now() + 86_400_000 * 3650) })).items,
        activeCall: async (projectId, clientId) => (await stores.clients.get(projectId, clientId))?.activeCall,
      };
    },
  ],
];

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const OPERATOR = '9001234567';
const TIMEZONE = 'Europe/Moscow';
/** `beeline_start_time` of a call that started at `ms`. */
const startText = (ms: number) => callVariables(summarise(callState('x', 'x', answered('79160000000', ms))), TIMEZONE).beeline_start_time;

/** A call's state after all its events, as the pipeline builds it. */
function callState(projectId: string, extTrackingId: string, legs: LegSpec[]): CallState {
  let state = newCall(projectId, extTrackingId, legs[0]!.startTime);
  for (const body of callEvents(extTrackingId, legs)) {
    const parsed = parseXsiEvent(body);
    if (!parsed.ok) throw new Error(parsed.error);
    const result = applyEvent(state, { event: parsed.event, receivedAt: legs[0]!.releaseTime });
    if (result.kind !== 'duplicate') state = result.state;
  }
  return state;
}

const answered = (phone: string, startTime: number): LegSpec[] => [
  { abonent: OPERATOR, remote: { address: `tel:+${phone}` }, startTime, answerTime: startTime + 5000, releaseTime: startTime + 60_000 },
];

describe.each(subjects)('the call and client stores %s', (_name, make) => {
  let subject: Subject;
  let projectId: string;
  beforeAll(async () => {
    subject = await make();
  });
  const fresh = () => {
    projectId = `p-${randomUUID().slice(0, 8)}`;
    return projectId;
  };

  /** Saves the call and finalizes it for a client (created when `create`). */
  async function finalizeFor(state: CallState, clientId: string, create?: Client, storedVersion?: number) {
    const summary = summarise(state);
    if (storedVersion === undefined) expect((await subject.calls.save(state, summary, 0)).saved).toBe(true);
    const stored = (await subject.calls.load(state.projectId, state.extTrackingId))!;
    const finalState: CallState = { ...state, finalized: { outcome: 'answered', clientId, operatorPhone: OPERATOR, finalizedAt: T0 + 100_000 } };
    return subject.calls.finalize({
      stored: storedVersion === undefined ? stored : { ...stored, version: storedVersion },
      state: finalState,
      summary: summarise(finalState),
      client: {
        clientId,
        variables: callVariables(summary, TIMEZONE),
        notification: 'beeline_call_event Incoming',
        create,
        event: callEventOf(state, summary, clientId, 'beeline_call_event Incoming', callVariables(summary, TIMEZONE), new Date(T0 + 100_000)),
      },
      at: new Date(T0 + 100_000),
    });
  }

  it('saves a call only over the version it read (0: only if it does not exist)', async () => {
    const state = callState(fresh(), 'v', answered('79160000001', T0));
    const summary = summarise(state);
    expect((await subject.calls.save(state, summary, 0)).saved).toBe(true);
    expect((await subject.calls.save(state, summary, 0)).saved).toBe(false);
    expect((await subject.calls.save(state, summary, 1)).saved).toBe(true);
    expect((await subject.calls.save(state, summary, 1)).saved).toBe(false);
    expect((await subject.calls.load(projectId, 'v'))!.version).toBe(2);
  });

  it('a refused save answers the call as it is stored, plain or with a start (no read needed to merge again)', async () => {
    const p = fresh();
    const state = callState(p, 'refused', answered('79160000011', T0));
    const summary = summarise(state);
    expect((await subject.calls.save(state, summary, 0)).saved).toBe(true);
    const stored = await subject.calls.load(p, 'refused');
    expect(await subject.calls.save(state, summary, 0)).toEqual({ saved: false, current: stored });
    expect(await subject.calls.save(state, summary, 5)).toEqual({ saved: false, current: stored });
    const started: CallState = { ...state, startReported: { reportedAt: T0 } };
    expect(await subject.calls.save(started, summary, 0, callStartedEventOf(started, summary, undefined, new Date(T0)))).toEqual({ saved: false, current: stored });
    expect((await subject.events(p)).filter((e) => e.type === 'beeline_call_started')).toEqual([]);
  });

  it('finalize creates the client with the variables and one notification; a second creator is told the client exists', async () => {
    const phone = '79160000002';
    const client = newClientForPhone(phone, defaultProject(fresh()), new Date(T0));
    expect(await finalizeFor(callState(projectId, 'a', answered(phone, T0)), client.clientId, client)).toBe('committed');
    expect(await subject.variables(projectId, client.clientId)).toMatchObject({ beeline_start_time: startText(T0) });
    expect(await subject.dialog(projectId, client.clientId)).toEqual([expect.objectContaining({ text: 'beeline_call_event Incoming', kind: 'notification' })]);
    expect(await finalizeFor(callState(projectId, 'b', answered(phone, T0 + 1000)), client.clientId, client)).toBe('client-exists');
    expect(await subject.clients.match(projectId, phone)).toEqual({ clientId: client.clientId, via: 'telephony' });
    // The event reporting the notification was written with it, once.
    expect((await subject.events(projectId)).map((e) => [e.type, e.clientId, (e.data as { call: { extTrackingId: string } }).call.extTrackingId])).toEqual([
      ['beeline_call_event', client.clientId, 'a'],
    ]);
  });

  it('a start is saved with its event and the client’s active call, once; the finalize ends the active call', async () => {
    const p = fresh();
    const phone = '79161110001';
    await subject.addClient(p, { clientId: 'tel-a', channel: 'telephony', phone, variables: {}, dealVariables: {}, createdAt: new Date(T0 - 86_400_000).toISOString() });
    const state: CallState = { ...callState(p, 'ring-1', answered(phone, T0)), startReported: { reportedAt: Date.now(), activeFor: 'tel-a' } };
    const summary = summarise(state);
    const event = callStartedEventOf(state, summary, 'tel-a', new Date(T0));
    expect((await subject.calls.save(state, summary, 0, event)).saved).toBe(true);
    expect(await subject.activeCall(p, 'tel-a')).toEqual({ extTrackingId: 'ring-1', startedAt: new Date(T0).toISOString() });
    // The start lost a race (the call exists): nothing of it is written.
    expect((await subject.calls.save(state, summary, 0, event)).saved).toBe(false);
    expect((await subject.events(p)).filter((e) => e.type === 'beeline_call_started')).toEqual([event]);
    expect(await finalizeFor(state, 'tel-a', undefined, 1)).toBe('committed');
    expect(await subject.activeCall(p, 'tel-a')).toBeUndefined();
  });

  it('an active call reported 4 hours ago or more is not shown (its end was never seen)', async () => {
    const p = fresh();
    const phone = '79161110002';
    await subject.addClient(p, { clientId: 'tel-b', channel: 'telephony', phone, variables: {}, dealVariables: {}, createdAt: new Date(T0 - 86_400_000).toISOString() });
    const state: CallState = { ...callState(p, 'stale-1', answered(phone, T0)), startReported: { reportedAt: Date.now() - 4 * 3600_000 - 1000, activeFor: 'tel-b' } };
    const summary = summarise(state);
    expect((await subject.calls.save(state, summary, 0, callStartedEventOf(state, summary, 'tel-b', new Date(T0)))).saved).toBe(true);
    expect(await subject.activeCall(p, 'tel-b')).toBeUndefined();
  });

  it('finalize over a stale version writes nothing', async () => {
    const phone = '79160000003';
    const client = newClientForPhone(phone, defaultProject(fresh()), new Date(T0));
    const state = callState(projectId, 'stale', answered(phone, T0));
    expect((await subject.calls.save(state, summarise(state), 0)).saved).toBe(true);
    expect(await finalizeFor(state, client.clientId, client, 7)).toBe('call-changed');
    expect(await subject.variables(projectId, client.clientId)).toBeUndefined();
    expect((await subject.calls.load(projectId, 'stale'))!.state.finalized).toBeUndefined();
    expect(await subject.events(projectId)).toEqual([]);
  });

  it('an older call finalized later posts its notification but leaves the newer call’s variables', async () => {
    const phone = '79160000004';
    const client = newClientForPhone(phone, defaultProject(fresh()), new Date(T0));
    expect(await finalizeFor(callState(projectId, 'newer', answered(phone, T0 + 600_000)), client.clientId, client)).toBe('committed');
    expect(await finalizeFor(callState(projectId, 'older', answered(phone, T0)), client.clientId)).toBe('committed');
    expect((await subject.variables(projectId, client.clientId))!.beeline_start_time).toBe(startText(T0 + 600_000));
    expect(startText(T0 + 600_000)).not.toBe(startText(T0));
    expect(await subject.dialog(projectId, client.clientId)).toHaveLength(2);
  });

  it('a record link reaches the client only while the client holds that call', async () => {
    const phone = '79160000005';
    const client = newClientForPhone(phone, defaultProject(fresh()), new Date(T0));
    await finalizeFor(callState(projectId, 'first', answered(phone, T0)), client.clientId, client);
    const first = (await subject.calls.load(projectId, 'first'))!;
    expect(await subject.calls.setRecordLink(first, 'https://x/first', client.clientId, T0, recordLinkEventOf(projectId, client.clientId, 'first', 'https://x/first', new Date(T0 + 200_000)))).toBe(
      true,
    );
    expect((await subject.variables(projectId, client.clientId))!.beeline_record_link).toBe('https://x/first');

    await finalizeFor(callState(projectId, 'second', answered(phone, T0 + 600_000)), client.clientId);
    const again = (await subject.calls.load(projectId, 'first'))!;
    expect(
      await subject.calls.setRecordLink(again, 'https://x/first-2', client.clientId, T0, recordLinkEventOf(projectId, client.clientId, 'first', 'https://x/first-2', new Date(T0 + 300_000))),
    ).toBe(true);
    // The client now holds the second call (no recording yet): the first call's link stays off it.
    expect((await subject.variables(projectId, client.clientId))!.beeline_record_link).toBe('');
    expect((await subject.calls.load(projectId, 'first'))!.state.recordLink).toBe('https://x/first-2');
    // Over a stale version: nothing.
    expect(await subject.calls.setRecordLink(first, 'https://x/stale', client.clientId, T0, recordLinkEventOf(projectId, client.clientId, 'first', 'https://x/stale', new Date(T0 + 400_000)))).toBe(
      false,
    );
    // One event for the link the client got; none for the link it did not get, none for the refused write.
    expect((await subject.events(projectId)).filter((e) => e.type === 'beeline_record_link').map((e) => e.data)).toEqual([{ extTrackingId: 'first', beeline_record_link: 'https://x/first' }]);
  });

  it('a click-to-call id goes to the nearest call that claims it, once', async () => {
    fresh();
    await subject.calls.recordClickToCall(projectId, 'c2c-early', OPERATOR, T0);
    await subject.calls.recordClickToCall(projectId, 'c2c-late', OPERATOR, T0 + 30_000);
    expect(await subject.calls.linkClickToCall(projectId, 'ext-1', OPERATOR, T0 + 29_000, 60_000)).toBe('c2c-late');
    expect(await subject.calls.linkClickToCall(projectId, 'ext-1', OPERATOR, T0 + 29_000, 60_000)).toBe('c2c-late');
    expect(await subject.calls.linkClickToCall(projectId, 'ext-2', OPERATOR, T0 + 29_000, 60_000)).toBe('c2c-early');
    expect(await subject.calls.linkClickToCall(projectId, 'ext-3', OPERATOR, T0 + 29_000, 60_000)).toBeUndefined();
  });

  it('finds the open call a pickup continues, and the calls near a start time', async () => {
    const phone = '79160000006';
    const open = callState(fresh(), 'open', [{ abonent: OPERATOR, remote: { address: `tel:+${phone}` }, startTime: T0, releaseTime: T0 + 1000 }]);
    const { legs: _legs, ...rest } = open;
    const ringing: CallState = { ...rest, legs: Object.fromEntries(Object.entries(open.legs).map(([id, leg]) => [id, { ...leg, releasedAt: undefined }])) } as CallState;
    expect((await subject.calls.save(ringing, summarise(ringing), 0)).saved).toBe(true);
    const query = { clientPhone: phone, at: T0 + 20_000, lookbackMs: 3600_000, recentMs: 120_000, excluding: 'pickup' };
    expect(await subject.calls.findContinued(projectId, query)).toBe('open');
    expect(await subject.calls.findContinued(projectId, { ...query, clientPhone: '79160000099' })).toBeUndefined();
    expect(await subject.calls.findContinued(projectId, { ...query, excluding: 'open' })).toBeUndefined();
    expect((await subject.calls.callsNear(projectId, T0 + 5000, phone, 10_000)).map((c) => c.extTrackingId)).toEqual(['open']);
    expect(await subject.calls.callsNear(projectId, T0 + 60_000, phone, 10_000)).toEqual([]);
  });

  it('matches the telephony client before one holding the number in a variable', async () => {
    const phone = '79160000007';
    fresh();
    await subject.addClient(projectId, { clientId: 'chat', channel: 'telegram', variables: { phone: `+${phone}` }, dealVariables: {}, createdAt: new Date(T0).toISOString() });
    expect(await subject.clients.match(projectId, phone)).toEqual({ clientId: 'chat', via: 'variable' });
    await subject.addClient(projectId, { clientId: 'tel', channel: 'telephony', phone, variables: {}, dealVariables: {}, createdAt: new Date(T0 + 1000).toISOString() });
    expect(await subject.clients.match(projectId, phone)).toEqual({ clientId: 'tel', via: 'telephony' });
  });

  it('an event that is its own effect is appended once', async () => {
    fresh();
    const event = missedUnreturnedEventOf(projectId, 'client-1', 'missed', '79160000008', T0, T0 + 1800_000);
    expect(await subject.append(event)).toBe(true);
    expect(await subject.append(event)).toBe(false);
    expect((await subject.events(projectId)).map((e) => e.eventId)).toEqual([event.eventId]);
  });
});
