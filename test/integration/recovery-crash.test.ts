/**
 * A recovery that dies between saving a rebuilt call and settling it (a crash, a timeout): the
 * next recovery settles it rather than skipping it as known. DynamoDB Local and the SQS emulator;
 * the PBX's records come from a fixed history, and the crash is a finalize that fails once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallPipeline } from '../../functions/commons/call-pipeline';
import { processingStoresFrom, queueFrom } from '../../functions/commons/composition';
import type { CallHistorySource, CallStore } from '../../functions/commons/ports';
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
        { startDate: now - 600_000, abonent: { userId: '9001234567@mpbx.sip.beeline.ru', phone: '9001234567' }, direction: 'INBOUND', status: 'RECIEVED', duration: 60_000, phone_from: '79167400001', phone_to: '9001234567', externalTrackingId: ext },
      ],
      records: async () => [],
    };
    const stores = processingStoresFrom(stack.env);
    let crashes = 1;
    const crashingOnce: CallStore = Object.assign(Object.create(stores.calls) as CallStore, {
      finalize: (input: Parameters<CallStore['finalize']>[0]) => (crashes-- > 0 ? Promise.reject(new Error('the function died')) : stores.calls.finalize(input)),
    });
    const pipeline = (calls: CallStore) =>
      new CallPipeline({ calls, clients: stores.clients, projects: stores.projects, queue: queueFrom(stack.env), settleSeconds: 0, recovery: { history, windowSeconds: 3600, lagSeconds: 60 } });

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
