/**
 * The webhook URL's secret across rotations: accepted generations, the grace period of the
 * previous one measured on the receive time, a rotation made by another process seen on the
 * first miss, and a flood of wrong secrets costing at most one read per 5 s per project.
 */
import { describe, expect, it } from 'vitest';
import { acceptedGenerations, INITIAL_WEBHOOK_SECRET, PREVIOUS_WEBHOOK_SECRET_GRACE_MS, rotated, webhookSecret, type WebhookSecretState } from '../../functions/commons/domain/webhook-secret';
import type { QueueMessage } from '../../functions/commons/ports';
import { acceptWebhook, cachedWebhookSecrets } from '../../functions/commons/webhook-intake';
import { loadEvent } from '../fixtures/events';

const KEY = 'unit-key';
const BODY = loadEvent('incoming-answered-1-received');

function setUp() {
  let clock = Date.parse('2026-12-01T10:00:00Z');
  let stored: WebhookSecretState = INITIAL_WEBHOOK_SECRET;
  let reads = 0;
  const queued: QueueMessage[] = [];
  const secrets = cachedWebhookSecrets(async () => {
    reads++;
    return stored;
  }, () => clock);
  const post = (secret: string) =>
    acceptWebhook(
      { projectId: 'p1', secret, bodyBytes: BODY.length, body: () => BODY },
      { webhookKey: KEY, secrets, queue: { send: async (message) => void queued.push(message) }, now: clock },
    );
  return {
    post,
    queued,
    reads: () => reads,
    rotate: () => (stored = rotated(stored, clock)),
    advance: (ms: number) => (clock += ms),
  };
}

describe('webhook secret generations', () => {
  it('the previous generation is accepted until the grace period ends, then only the current one', () => {
    const at = 1_000_000;
    const state = rotated(rotated(INITIAL_WEBHOOK_SECRET, at), at + 10);
    expect(acceptedGenerations(state, at + 10)).toEqual([2, 1]);
    expect(acceptedGenerations(state, at + 10 + PREVIOUS_WEBHOOK_SECRET_GRACE_MS)).toEqual([2]);
    expect(acceptedGenerations(INITIAL_WEBHOOK_SECRET, at)).toEqual([0]);
  });

  it("sees another process's rotation on the first miss; the old secret works for the grace period, then is refused", async () => {
    const t = setUp();
    expect((await t.post(webhookSecret(KEY, 'p1'))).status).toBe(200);
    t.advance(10_000);
    t.rotate(); // by the api function: this process still has generation 0 cached
    expect((await t.post(webhookSecret(KEY, 'p1', 1))).status).toBe(200);
    expect((await t.post(webhookSecret(KEY, 'p1', 0))).status).toBe(200);
    t.advance(PREVIOUS_WEBHOOK_SECRET_GRACE_MS);
    expect((await t.post(webhookSecret(KEY, 'p1', 0))).status).toBe(403);
    expect((await t.post(webhookSecret(KEY, 'p1', 1))).status).toBe(200);
    expect(t.queued).toHaveLength(4);
    expect(JSON.stringify(t.queued)).not.toContain('hook-token');
  });

  it('a flood of wrong secrets costs at most one read per 5 s', async () => {
    const t = setUp();
    for (let i = 0; i < 100; i++) {
      expect((await t.post(`wrong-secret-${i}`.padEnd(32, 'x'))).status).toBe(403);
      t.advance(100); // 100 posts over 10 s
    }
    expect(t.reads()).toBeLessThanOrEqual(3);
    expect((await t.post('x'.repeat(10_000))).status).toBe(403);
    expect(t.queued).toEqual([]);
  });
});
