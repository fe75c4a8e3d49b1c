/**
 * Recording look-ups survive what would lose them: a crash between the finalize commit and the
 * look-up's scheduling, and a PBX that fails for longer than the queue's retries last.
 * DynamoDB Local and the SQS emulator; the PBX's recording side is an in-memory source.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallPipeline } from '../../functions/commons/app/calls/call-pipeline';
import { processingStoresFrom, queueFrom, recordingSourceFrom } from '../../functions/commons/composition';
import { parseXsiEvent } from '../../functions/commons/domain/xsi-parser';
import type { MessageQueue, QueueMessage, RecordingSource } from '../../functions/commons/ports';
import { startTestStack, type TestStack } from '../support/harness';
import { callEvents } from '../../drivers/xsi';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ pollerConcurrency: 0 });
});
afterAll(() => stack?.stop());

function setUp(source: RecordingSource, queue: MessageQueue, clock: { now: number }) {
  const stores = processingStoresFrom(stack.env);
  return new CallPipeline({
    calls: stores.calls,
    clients: stores.clients,
    projects: stores.projects,
    events: stores.events,
    queue,
    settleSeconds: 0,
    now: () => clock.now,
    recordings: { source, linkFor: async (projectId, ext) => `https://example.test/records/${projectId}/${ext}`, firstDelaySeconds: 90, giveUpSeconds: 1200 },
  });
}

/** The real queue, with the messages sent noted (and, while `crash()` says so, look-ups refused as by a dying function). */
function notingQueue(crash: () => boolean = () => false) {
  const sent: QueueMessage[] = [];
  const real = queueFrom(stack.env);
  const queue: MessageQueue = {
    send: async (message, delay) => {
      if (crash() && message.kind === 'record') throw new Error('the function died');
      sent.push(message);
      await real.send(message, delay);
    },
  };
  return { queue, sent };
}

async function answeredCall(pipeline: CallPipeline, projectId: string, ext: string, at: number) {
  const xml = callEvents(ext, [
    { abonent: '9001234567', remote: { address: `tel:+7916750${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}` }, startTime: at - 60_000, answerTime: at - 50_000, releaseTime: at - 1000 },
  ]);
  for (const body of xml) {
    const parsed = parseXsiEvent(body);
    if (!parsed.ok) throw new Error(parsed.error);
    await pipeline.handleEvent(projectId, parsed.event, at, { number: '9001234567' });
  }
}

/** A PBX that cannot be reached until the test sets `up`; then it has the recording at `url`. */
function pbxDownUntilUp(url: string): { source: RecordingSource; up: boolean } {
  const pbx = {
    up: false,
    source: {
      reference: async () => {
        if (!pbx.up) throw new Error('the PBX could not be reached');
        return url;
      },
      recordsCalls: async () => true,
    } satisfies RecordingSource,
  };
  return pbx;
}

describe('recording look-ups that must not be lost', () => {
  it('a crash after the finalize commit, before the look-up was queued: the retried settle queues it', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const ext = randomUUID();
    const clock = { now: Date.now() };
    let crash = false;
    const { queue, sent } = notingQueue(() => crash);
    const source: RecordingSource = { reference: async () => undefined, recordsCalls: async () => true };
    const pipeline = setUp(source, queue, clock);
    await answeredCall(pipeline, projectId, ext, clock.now);
    crash = true;
    await expect(pipeline.handleSettle(projectId, ext)).rejects.toThrow('the function died');
    crash = false;
    // Another leg's settle a moment later schedules nothing; the retry after the visibility timeout does.
    clock.now += 2_000;
    expect(await pipeline.handleSettle(projectId, ext)).toEqual({ kind: 'already-final' });
    expect(sent.filter((m) => m.kind === 'record')).toEqual([]);
    clock.now += 180_000;
    expect(await pipeline.handleSettle(projectId, ext)).toEqual({ kind: 'already-final' });
    expect(sent.filter((m) => m.kind === 'record')).toEqual([{ v: 1, kind: 'record', projectId, extTrackingId: ext, attempt: 0 }]);
  });

  it("a PBX failing for ten minutes (longer than the queue's own retries last): every attempt is tried again later (never a failed message), until the link is found", async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const ext = randomUUID();
    const clock = { now: Date.now() };
    const { queue, sent } = notingQueue();
    const pbx = pbxDownUntilUp('https://pbx.example.test/records/1.mp3');
    const pipeline = setUp(pbx.source, queue, clock);
    await answeredCall(pipeline, projectId, ext, clock.now);
    await pipeline.handleSettle(projectId, ext);
    for (let attempt = 0; attempt < 5; attempt++) {
      clock.now += 120_000;
      expect(await pipeline.handleRecordLookup(projectId, ext, attempt)).toBe('retry-scheduled');
    }
    pbx.up = true;
    clock.now += 60_000;
    expect(await pipeline.handleRecordLookup(projectId, ext, 5)).toBe('found');
    expect(sent.filter((m) => m.kind === 'record').map((m) => (m as { attempt: number }).attempt)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a PBX outage longer than the give-up time: the look-ups go on (spaced at most 15 minutes) and the link is found after it', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const ext = randomUUID();
    const clock = { now: Date.now() };
    const { queue, sent } = notingQueue();
    const pbx = pbxDownUntilUp('https://pbx.example.test/records/2.mp3');
    const pipeline = setUp(pbx.source, queue, clock);
    await answeredCall(pipeline, projectId, ext, clock.now);
    await pipeline.handleSettle(projectId, ext);
    const start = clock.now;
    let attempt = 0;
    // 30 minutes of outage, the give-up time being 20.
    while (clock.now - start < 30 * 60_000) {
      clock.now += 300_000;
      expect(await pipeline.handleRecordLookup(projectId, ext, attempt)).toBe('retry-scheduled');
      attempt++;
    }
    pbx.up = true;
    clock.now += 60_000;
    expect(await pipeline.handleRecordLookup(projectId, ext, attempt)).toBe('found');
    const { state } = (await processingStoresFrom(stack.env).calls.load(projectId, ext))!;
    expect(state.recordLink).toBe(`https://example.test/records/${projectId}/${ext}`);
    expect(sent.filter((m) => m.kind === 'record')).toHaveLength(attempt + 1);
  });

  it('the PBX answering that it has no recording: the look-ups stop at the give-up time', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const ext = randomUUID();
    const clock = { now: Date.now() };
    const { queue } = notingQueue();
    const source: RecordingSource = { reference: async () => undefined, recordsCalls: async () => true };
    const pipeline = setUp(source, queue, clock);
    await answeredCall(pipeline, projectId, ext, clock.now);
    await pipeline.handleSettle(projectId, ext);
    clock.now += 1_199_000;
    expect(await pipeline.handleRecordLookup(projectId, ext, 4)).toBe('retry-scheduled');
    clock.now += 1_000;
    expect(await pipeline.handleRecordLookup(projectId, ext, 5)).toBe('gave-up');
  });

  it('a project without a PBX connection: no look-ups at all (not taken for a PBX outage)', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const ext = randomUUID();
    const clock = { now: Date.now() };
    const { queue } = notingQueue();
    // The product's own recording source, on a project that was never connected.
    const pipeline = setUp(recordingSourceFrom(stack.env, processingStoresFrom(stack.env)), queue, clock);
    await answeredCall(pipeline, projectId, ext, clock.now);
    await pipeline.handleSettle(projectId, ext);
    expect(await pipeline.handleRecordLookup(projectId, ext, 0)).toBe('not-needed');
  });
});
