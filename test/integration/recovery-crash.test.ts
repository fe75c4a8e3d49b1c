/**
 * A recovery that dies between saving a rebuilt call and settling it (a crash, a timeout): the
 * next recovery settles it rather than skipping it as known; and a recovery too big for one
 * message goes on page by page. DynamoDB Local and the SQS emulator; the PBX's records come from
 * a fixed history, and the crash is a finalize that fails once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallPipeline } from '../../functions/commons/app/calls/call-pipeline';
import { processingStoresFrom, queueFrom } from '../../functions/commons/composition';
import type { CallHistorySource, CallStore, MessageQueue, QueueMessage } from '../../functions/commons/ports';
import { startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('recovery interrupted after saving a rebuilt call', () => {
  it('the next run settles it: the client gets its variables and one notification', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const ext = randomUUID();
    const now = Date.now();
    const history: CallHistorySource = {
      statistics: async () => [
        {
          startDate: now - 600_000,
          abonent: { userId: '9001234567@mpbx.sip.beeline.ru', phone: '9001234567' },
          direction: 'INBOUND',
          status: 'RECIEVED',
          duration: 60_000,
          phone_from: '79167400001',
          phone_to: '9001234567',
          externalTrackingId: ext,
        },
      ],
      records: async () => [],
    };
    const stores = processingStoresFrom(stack.env);
    let crashes = 1;
    const crashingOnce: CallStore = Object.assign(Object.create(stores.calls) as CallStore, {
      finalize: (input: Parameters<CallStore['finalize']>[0]) => (crashes-- > 0 ? Promise.reject(new Error('the function died')) : stores.calls.finalize(input)),
    });
    const pipeline = (calls: CallStore) =>
      new CallPipeline({
        calls,
        clients: stores.clients,
        projects: stores.projects,
        events: stores.events,
        queue: queueFrom(stack.env),
        settleSeconds: 0,
        recovery: { history, windowSeconds: 3600, lagSeconds: 60 },
      });

    await expect(pipeline(crashingOnce).recoverLostCalls(projectId)).rejects.toThrow('the function died');
    expect((await stores.calls.load(projectId, ext))?.state.finalized).toBeUndefined();

    expect((await pipeline(stores.calls).recoverLostCalls(projectId)).recovered).toEqual([ext]);
    const { body } = await stack.api('GET', `/projects/${projectId}/calls/${ext}`);
    expect(body).toMatchObject({ outcome: 'answered', recovered: true, clientPhone: '79167400001' });
    const messages = (await stack.api('GET', `/projects/${projectId}/clients/${body.clientId}/messages`)).body.messages;
    expect(messages).toEqual([expect.objectContaining({ text: 'beeline_call_event Incoming' })]);
    // A third run changes nothing.
    expect((await pipeline(stores.calls).recoverLostCalls(projectId)).recovered).toEqual([]);
  });
});

describe('a recovery bigger than one message', () => {
  it('does at most 100 calls per message and queues the rest of the window as the next page: every call once', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const lost = Array.from({ length: 230 }, (_, i) => ({
      ext: randomUUID(),
      // Some share a start time: the cursor is the start and the id.
      startDate: now - 3_000_000 + Math.floor(i / 3) * 10_000,
      phone: `7916${String(7500000 + i)}`,
    }));
    const history: CallHistorySource = {
      statistics: async (_project, from, to) =>
        lost
          .filter((call) => call.startDate >= from.getTime() && call.startDate <= to.getTime())
          .map((call) => ({
            startDate: call.startDate,
            abonent: { userId: '9001234567@mpbx.sip.beeline.ru', phone: '9001234567' },
            direction: 'INBOUND',
            status: 'MISSED',
            duration: 0,
            phone_from: call.phone,
            phone_to: '9001234567',
            externalTrackingId: call.ext,
          })),
      records: async () => [],
    };
    const stores = processingStoresFrom(stack.env);
    const pages: QueueMessage[] = [];
    const real = queueFrom(stack.env);
    const queue: MessageQueue = { send: async (message, delay) => void (message.kind === 'recover' ? pages.push(message) : await real.send(message, delay)) };
    const pipeline = new CallPipeline({
      calls: stores.calls,
      clients: stores.clients,
      projects: stores.projects,
      events: stores.events,
      queue,
      settleSeconds: 0,
      recovery: { history, windowSeconds: 3600, lagSeconds: 60 },
      // A clock that stands still: the page ends at its 100 calls, never at its time budget (which a loaded machine reaches first).
      now: () => now,
    });

    const first = await pipeline.recoverLostCalls(projectId);
    expect(first.recovered).toHaveLength(100);
    expect(pages).toHaveLength(1);
    const recovered = [...first.recovered];
    for (let guard = 0; guard < 10; guard++) {
      const page = pages.shift();
      if (!page) break;
      if (page.kind !== 'recover') throw new Error('not a recovery page');
      const result = await pipeline.recoverLostCalls(projectId, page.page);
      recovered.push(...result.recovered);
    }
    expect(pages).toEqual([]);
    expect(recovered).toHaveLength(230);
    expect(new Set(recovered)).toEqual(new Set(lost.map((call) => call.ext)));
    // Run again from the start: every call is known, none made twice.
    let again = await pipeline.recoverLostCalls(projectId);
    let known = again.known;
    while (again.next) {
      pages.length = 0;
      again = await pipeline.recoverLostCalls(projectId, again.next);
      known += again.known;
      expect(again.recovered).toEqual([]);
    }
    expect(known).toBe(230);
  }, 120_000);
});
