/** Connecting a project to another PBX token moves its subscriptions: none is left behind at the old PBX. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
beforeAll(async () => {
  stack = await startTestStack();
  sim = stack.simulator!;
});
afterAll(() => stack?.stop());

describe('re-connecting with another PBX token', () => {
  it('unsubscribes at the old PBX with the old token and subscribes again at the new one', async () => {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const employee = '9000000095';
    sim.addPbx({ token: 'old-pbx-token', abonents: [{ phone: employee }] });
    sim.addPbx({ token: 'new-pbx-token', abonents: [{ phone: employee }] });
    expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'old-pbx-token' })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${projectId}/employees/e`, { callMethod: 'beeline_api', beelineNumber: employee })).status).toBe(200);
    const liveAt = (token: string) => sim.subscriptions().filter((s) => s.token === token && s.url.includes(`/${projectId}/`));
    await eventually(async () => (liveAt('old-pbx-token').length === 1 ? true : undefined));
    // Connected after the subscription is in place (a subscribe still in flight meanwhile is a known race: see the README).
    await eventually(async () => ((await stack.api('GET', `/projects/${projectId}/employees/e`)).body.subscription.status === 'active' ? true : undefined));

    expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'new-pbx-token' })).status).toBe(200);
    expect(liveAt('old-pbx-token')).toEqual([]);
    await eventually(async () => (liveAt('new-pbx-token').length === 1 ? true : undefined));
    // The PBX holds the subscription a moment before the product has recorded its answer.
    const body = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/employees/e`);
      return body.subscription.status === 'active' ? body : undefined;
    });
    expect(body.subscription).toMatchObject({ status: 'active', subscriptionId: liveAt('new-pbx-token')[0]!.subscriptionId });
    // The same token again changes nothing.
    expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'new-pbx-token' })).status).toBe(200);
    expect(liveAt('new-pbx-token').map((s) => s.subscriptionId)).toEqual([body.subscription.subscriptionId]);
  });
});
