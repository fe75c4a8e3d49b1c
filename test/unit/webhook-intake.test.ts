/**
 * The webhook URL's secret across rotations: accepted generations, the grace period of the
 * previous one measured on the receive time, a rotation made by another process seen on the
 * first miss (even one made a moment after this process read them), and a flood of wrong secrets
 * costing at most one read per second per project.
 */
import { describe, expect, it } from 'vitest';
import { acceptedGenerations, INITIAL_WEBHOOK_SECRET, PREVIOUS_WEBHOOK_SECRET_GRACE_MS, rotated, webhookSecret, type WebhookSecretState } from '../../functions/commons/domain/webhook-secret';
import type { QueueMessage } from '../../functions/commons/ports';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsMessageQueue } from '../../functions/commons/adapters/sqs-queue';
import { acceptWebhook, cachedWebhookSecrets, MAX_WEBHOOK_BYTES, SECRETS_REFRESH_MS } from '../../functions/commons/app/webhook-intake';
import { loadEvent } from '../fixtures/events';

const KEY = 'unit-key';
const BODY = loadEvent('incoming-answered-1-received');

function setUp() {
  let clock = Date.parse('2026-12-01T10:00:00Z');
  let stored: WebhookSecretState = INITIAL_WEBHOOK_SECRET;
  let reads = 0;
  const queued: QueueMessage[] = [];
  const secrets = cachedWebhookSecrets(
    async () => {
      reads++;
      return stored;
    },
    () => clock,
    async (ms) => {
      clock += ms;
    },
  );
  const post = (secret: string) =>
    acceptWebhook({ projectId: 'p1', secret, bodyBytes: BODY.length, body: () => BODY }, { webhookKey: KEY, secrets, queue: { send: async (message) => void queued.push(message) }, now: clock });
  return {
    post,
    queued,
    reads: () => reads,
    rotate: () => (stored = rotated(stored, clock)),
    advance: (ms: number) => (clock += ms),
    clock: () => clock,
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

  it('a rotation a moment after this process read the secrets: the new secret is accepted at once (the first event of a new subscription)', async () => {
    const t = setUp();
    expect((await t.post(webhookSecret(KEY, 'p1'))).status).toBe(200);
    t.advance(200);
    t.rotate();
    expect((await t.post(webhookSecret(KEY, 'p1', 1))).status).toBe(200);
    expect(t.reads()).toBe(2);
  });

  it('every later rotation is seen too: each miss is judged on a read made after it arrived', async () => {
    const t = setUp();
    for (let generation = 1; generation <= 3; generation++) {
      t.advance(5_000);
      t.rotate();
      expect((await t.post(webhookSecret(KEY, 'p1', generation))).status).toBe(200);
    }
  });

  it('a flood of wrong secrets costs at most one read per second', async () => {
    const t = setUp();
    const started = t.clock();
    for (let i = 0; i < 100; i++) {
      expect((await t.post(`wrong-secret-${i}`.padEnd(32, 'x'))).status).toBe(403);
      t.advance(100);
    }
    expect(t.reads()).toBeLessThanOrEqual((t.clock() - started) / SECRETS_REFRESH_MS + 2);
    expect((await t.post('x'.repeat(10_000))).status).toBe(403);
    expect(t.queued).toEqual([]);
  });

  it('wrong secrets arriving together share one read', async () => {
    let reads = 0;
    const secrets = cachedWebhookSecrets(
      async () => {
        reads++;
        return INITIAL_WEBHOOK_SECRET;
      },
      () => 0,
      () => new Promise((resolve) => setTimeout(resolve, 20)),
    );
    await secrets.get('p1');
    await Promise.all(Array.from({ length: 50 }, () => secrets.refresh('p1')));
    expect(reads).toBe(2);
  });
});

describe('what is queued is bounded, not only what arrives', () => {
  it("a body under the webhook limit whose queued form would be over the queue's limit is refused with 413, nothing sent", async () => {
    // Quotes are one byte in XML and two once JSON-escaped: 256 redirections of 512 quotes each.
    const redirection = `<xsi:redirection><xsi:party><xsi:address>${'"'.repeat(512)}</xsi:address></xsi:party></xsi:redirection>`;
    const call = (i: number) =>
      `<xsi:call><xsi:callId>callhalf-${i}:0</xsi:callId><xsi:extTrackingId>ext-1</xsi:extTrackingId><xsi:redirections>${redirection.repeat(16)}</xsi:redirections></xsi:call>`;
    const body = loadEvent('call-redirected-list').replace(/<xsi:calls>[\s\S]*<\/xsi:calls>/, `<xsi:calls>${Array.from({ length: 16 }, (_, i) => call(i)).join('')}</xsi:calls>`);
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_WEBHOOK_BYTES);
    // The real adapter: it must refuse before it sends (this client could reach no queue).
    const queue = new SqsMessageQueue(new SQSClient({ region: 'eu-central-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }), { live: 'http://127.0.0.1:9/000000000000/events' });
    const secrets = cachedWebhookSecrets(async () => INITIAL_WEBHOOK_SECRET);
    const answer = await acceptWebhook(
      { projectId: 'p1', secret: webhookSecret(KEY, 'p1'), bodyBytes: Buffer.byteLength(body), body: () => body },
      { webhookKey: KEY, secrets, queue, now: Date.now() },
    );
    expect(answer).toEqual({ status: 413, error: 'the event is too large to queue' });
  });
});
