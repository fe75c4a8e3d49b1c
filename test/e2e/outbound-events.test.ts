/**
 * The event feed on the local stack: every notification of a client has exactly one
 * `beeline_call_event` (with the seven variables), whatever is redelivered, a call with a
 * client number one `beeline_call_started` when it rings, and the feed hands
 * each event over once across pages, with a cursor that always says where to go on.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callEvents, type LegSpec } from '../../drivers/xsi';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);
const OPERATOR = '9001234567';

async function newProject() {
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${projectId}`, { name: 'Events' })).status).toBe(200);
  await stack.registerSubscription(projectId);
  return projectId;
}

const answered = (phone: string, startTime = T0): LegSpec[] => [{ abonent: OPERATOR, remote: { address: `tel:+${phone}` }, startTime, answerTime: startTime + 7000, releaseTime: startTime + 125_000 }];

async function play(projectId: string, bodies: string[]) {
  for (const body of bodies) expect((await stack.postWebhook(projectId, body)).status).toBe(200);
}

/** The whole feed, page by page. */
async function feed(projectId: string, limit = 100) {
  const events: { eventId: string; type: string; clientId?: string; data: any }[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const { status, body } = await stack.api('GET', `/projects/${projectId}/events?limit=${limit}${after ? `&after=${after}` : ''}`);
    expect(status).toBe(200);
    expect(typeof body.next).toBe('string');
    events.push(...body.events);
    if (body.events.length === 0) return events;
    after = body.next;
  }
  throw new Error('the feed did not end');
}

type FeedEvent = Awaited<ReturnType<typeof feed>>[number];
const ofType = (events: FeedEvent[], type: string) => events.filter((e) => e.type === type);

describe('the event feed', () => {
  it('a ringing call: beeline_call_started at once, and the client shows activeCall until the call ends', async () => {
    const projectId = await newProject();
    const phone = '79161110021';
    const clientId = 'crm-client-21';
    expect((await stack.api('PUT', `/projects/${projectId}/clients/${clientId}`, { channel: 'telephony', phone })).status).toBe(200);
    const ext = randomUUID();
    const [ringing, ...rest] = callEvents(ext, answered(phone, Date.now() - 60_000));
    await play(projectId, [ringing!]);
    const [started] = await eventually(async () => {
      const events = ofType(await feed(projectId), 'beeline_call_started');
      return events.length > 0 ? events : undefined;
    });
    expect(started).toMatchObject({ type: 'beeline_call_started', clientId, data: { extTrackingId: ext, direction: 'Incoming', clientPhone: phone, operatorPhone: OPERATOR } });
    const { body: during } = await stack.api('GET', `/projects/${projectId}/clients/${clientId}`);
    expect(during.activeCall).toEqual({ extTrackingId: ext, startedAt: expect.any(String) });

    await play(projectId, rest);
    const after = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/clients/${clientId}`);
      return body.dealVariables.beeline_call_type === 'Incoming' ? body : undefined;
    });
    expect(after.activeCall).toBeUndefined();
    expect(ofType(await feed(projectId), 'beeline_call_started')).toHaveLength(1);
  });

  it('an answered call: exactly one beeline_call_event with the seven variables, also after the webhooks come again', async () => {
    const projectId = await newProject();
    const phone = '79161110001';
    const ext = randomUUID();
    const bodies = callEvents(ext, answered(phone));
    await play(projectId, bodies);
    const [event] = await eventually(async () => {
      const events = ofType(await feed(projectId), 'beeline_call_event');
      return events.length > 0 ? events : undefined;
    });
    await play(projectId, bodies);
    await new Promise((resolve) => setTimeout(resolve, 2500));

    const events = await feed(projectId);
    expect(events.map((e) => e.type).sort()).toEqual(['beeline_call_event', 'beeline_call_started']);
    const { body: client } = await stack.api('GET', `/projects/${projectId}/clients/${event!.clientId}`);
    expect(event).toMatchObject({
      eventId: expect.stringMatching(/^evt_[A-Za-z0-9_-]{26}$/),
      type: 'beeline_call_event',
      projectId,
      clientId: client.clientId,
      occurredAt: expect.any(String),
      data: { text: 'beeline_call_event Incoming', variables: client.dealVariables, call: { extTrackingId: ext, direction: 'Incoming', outcome: 'answered' } },
    });
    expect(Object.keys(event!.data.variables).sort()).toEqual([
      'beeline_call_description',
      'beeline_call_type',
      'beeline_client_phone',
      'beeline_operator_phone',
      'beeline_record_link',
      'beeline_release_time',
      'beeline_start_time',
    ]);
  });

  it('hands every event over once across pages, and the last cursor resumes where it ended', async () => {
    const projectId = await newProject();
    const exts = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, ext] of exts.entries()) await play(projectId, callEvents(ext, answered(`7916111100${i + 2}`, T0 + i * 600_000)));
    // Each call: beeline_call_started, then beeline_call_event.
    const all = await eventually(async () => {
      const events = await feed(projectId, 2);
      return events.length === 2 * exts.length ? events : undefined;
    });
    expect(new Set(all.map((e) => e.eventId)).size).toBe(2 * exts.length);
    expect(
      ofType(all, 'beeline_call_event')
        .map((e) => e.data.call.extTrackingId)
        .sort(),
    ).toEqual([...exts].sort());
    expect(
      ofType(all, 'beeline_call_started')
        .map((e) => e.data.extTrackingId)
        .sort(),
    ).toEqual([...exts].sort());

    const { body: first } = await stack.api('GET', `/projects/${projectId}/events?limit=100`);
    const { body: rest } = await stack.api('GET', `/projects/${projectId}/events?after=${first.next}`);
    expect(rest).toEqual({ events: [], next: first.next });
  });

  it('an unknown cursor is refused with the reason; a foreign project sees none of the events', async () => {
    const projectId = await newProject();
    const bad = await stack.api('GET', `/projects/${projectId}/events?after=not-a-cursor`);
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringContaining('after') } });
    expect((await stack.api('GET', `/projects/${projectId}/events?limit=0`)).status).toBe(400);
    const other = await newProject();
    expect((await stack.api('GET', `/projects/${other}/events`)).body.events).toEqual([]);
  });
});
