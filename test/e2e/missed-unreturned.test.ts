/**
 * `beeline_missed_unreturned` on the local stack: a missed incoming call nobody returned within
 * the project's `missedCallReturnMinutes` is reported once (whatever is redelivered); one the
 * employee called back (answered) in time is not. The calls ended a little over the return
 * time ago, as the PBX's release times say, so the check is due as soon as they settle.
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

const OPERATOR = '9001234567';

async function newProject(): Promise<string> {
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${projectId}`, { name: 'Missed', missedCallReturnMinutes: 1 })).status).toBe(200);
  await stack.registerSubscription(projectId);
  return projectId;
}

async function play(projectId: string, bodies: string[]): Promise<void> {
  for (const body of bodies) expect((await stack.postWebhook(projectId, body)).status).toBe(200);
}

async function unreturned(projectId: string): Promise<{ type: string; clientId?: string; data: any }[]> {
  const { body } = await stack.api('GET', `/projects/${projectId}/events?limit=500`);
  return body.events.filter((e: { type: string }) => e.type === 'beeline_missed_unreturned');
}

/** Rang 5 s and ended 65 s ago: past a 1-minute return time. */
const missed = (phone: string, now: number): LegSpec[] => [{ abonent: OPERATOR, remote: { address: `tel:+${phone}` }, startTime: now - 70_000, releaseTime: now - 65_000 }];

describe('a missed incoming call nobody returned', () => {
  it('is reported once after the return time; one called back in time is not', async () => {
    const [lonely, returned] = [await newProject(), await newProject()];
    const now = Date.now();
    const missedExt = randomUUID();
    const missedBodies = callEvents(missedExt, missed('79161230001', now));
    // The employee called the second client back 40 s ago, and the client answered.
    const callback: LegSpec[] = [
      { abonent: OPERATOR, personality: 'Originator', remote: { address: 'tel:+79161230002' }, startTime: now - 40_000, answerTime: now - 35_000, releaseTime: now - 20_000 },
    ];
    await play(returned, callEvents(randomUUID(), callback));
    await Promise.all([play(lonely, missedBodies), play(returned, callEvents(randomUUID(), missed('79161230002', now)))]);

    const [event] = await eventually(async () => {
      const events = await unreturned(lonely);
      return events.length > 0 ? events : undefined;
    });
    const { body: client } = await stack.api('GET', `/projects/${lonely}/clients/${event!.clientId}`);
    expect(client.phone).toBe('79161230001');
    expect(event!.data).toEqual({ extTrackingId: missedExt, clientPhone: '79161230001', missedAt: new Date(now - 65_000).toISOString() });

    // The webhooks again, and time for any second check: still one; the returned call none.
    await play(lonely, missedBodies);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await unreturned(lonely)).toHaveLength(1);
    const { body: log } = await stack.api('GET', `/projects/${returned}/calls`);
    expect(log.calls.map((c: { outcome: string }) => c.outcome).sort()).toEqual(['answered', 'missed']);
    expect(await unreturned(returned)).toEqual([]);
  });
});
