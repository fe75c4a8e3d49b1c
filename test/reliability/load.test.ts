/**
 * Webhook load, short form (the 60 s form is in `npm run soak`): 200 concurrent posts for 10 s
 * against the local gateway on 127.0.0.1, each a distinct call's single released event through
 * a registered subscription. No 5xx, and every accepted event reaches the call log; the
 * latency percentiles are printed (this machine is shared, so they are reported, not asserted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/harness';
import { formatLoad, missingFromCallLog, runWebhookLoad } from '../../drivers/webhook-load';

const projectId = 'load';
const subscriptionId = '7d2c9a4e-0b1f-4e6a-9c3d-5f8e1a2b3c4d';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  await stack.registerSubscription(projectId, subscriptionId);
});
afterAll(() => stack?.stop());

describe('200 concurrent webhook posts for 10 s', () => {
  it('answers no 5xx, and every accepted event is processed into the call log', async () => {
    const result = await runWebhookLoad({ webhookUrl: stack.webhookUrl(projectId), subscriptionId, connections: 200, durationMs: 10_000 });
    const drainStarted = Date.now();
    const missing = await eventually(
      async () => {
        const left = await missingFromCallLog(stack.env, projectId, result.acceptedCalls);
        return left.length === 0 ? left : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 1000 },
    ).catch(async () => missingFromCallLog(stack.env, projectId, result.acceptedCalls));
    console.log(`${formatLoad(result)}; all accepted calls in the call log ${((Date.now() - drainStarted) / 1000).toFixed(1)} s after the last post; missing ${missing.length}`);

    expect(result.fiveXx).toBe(0);
    expect(result.networkErrors).toBe(0);
    expect(result.statuses).toEqual({ 200: result.requests });
    expect(result.accepted).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect((await stack.queueDepth()).dead).toBe(0);
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
  }, 200_000);
});
