/** Capture mode's rules: what is redacted, how much is kept, when it runs, and that it never fails its caller. */
import { describe, expect, it } from 'vitest';
import { captureRecorder } from '../../functions/commons/app/capture-recorder';
import { CAPTURE_MAX_BODY_CHARS, CAPTURE_MAX_ITEMS, captureUntil, isCapturing, redacted, type CapturedExchange, type CaptureSetting } from '../../functions/commons/domain/capture';
import type { CaptureStore } from '../../functions/commons/ports';
import { loadEvent } from '../fixtures/events';

describe('redaction', () => {
  it('the webhook secret of a URL, link query strings and named secrets never survive', () => {
    const body = loadEvent('incoming-answered-1-received').replace(
      'https://hooks.example.test/beeline/p-42/hook-token',
      'https://api.example.test/webhooks/beeline/p-42/Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4',
    );
    const { body: kept } = redacted(body);
    expect(kept).toContain('https://api.example.test/webhooks/beeline/p-42/REDACTED');
    expect(kept).not.toContain('Zm9vYmFyYmF6');
    expect(redacted('{"url":"https://pbx.example.test/records/1.mp3?sig=abc&exp=1"}').body).toBe('{"url":"https://pbx.example.test/records/1.mp3?REDACTED"}');
    expect(redacted('token is pbx-secret-token-1234 twice: pbx-secret-token-1234', ['pbx-secret-token-1234']).body).toBe('token is REDACTED twice: REDACTED');
    // A short "secret" would redact ordinary text: never used.
    expect(redacted('a 7 b', ['7']).body).toBe('a 7 b');
  });

  it('bodies are cut to their bound and say so', () => {
    expect(redacted('x'.repeat(CAPTURE_MAX_BODY_CHARS + 10))).toEqual({ body: 'x'.repeat(CAPTURE_MAX_BODY_CHARS), truncated: true });
    expect(redacted('short')).toEqual({ body: 'short', truncated: false });
  });
});

describe('the capture window', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  it('runs until its end and below its limit; a start asks 1 minute to a day', () => {
    expect(isCapturing({ until: captureUntil(now, 30), captured: 0 }, now)).toBe(true);
    expect(isCapturing({ until: captureUntil(now, 30), captured: 0 }, now + 30 * 60_000)).toBe(false);
    expect(isCapturing({ until: captureUntil(now, 30), captured: CAPTURE_MAX_ITEMS }, now)).toBe(false);
    expect(isCapturing({ captured: 0 }, now)).toBe(false);
    expect(captureUntil(now, 100_000)).toBe('2026-12-03T10:00:00.000Z');
  });
});

/** An in-memory capture store: the recorder's rules without DynamoDB. */
function memoryStore(setting: CaptureSetting, failing = false) {
  const kept: CapturedExchange[] = [];
  let reads = 0;
  const store: CaptureStore = {
    setting: async () => {
      reads++;
      if (failing) throw new Error('table unavailable');
      return setting;
    },
    start: async () => undefined,
    stop: async () => undefined,
    keep: async (_projectId, exchange) => {
      kept.push(exchange);
      return true;
    },
    list: async () => ({ items: [] }),
  };
  return { store, kept, reads: () => reads };
}

describe('the recorder', () => {
  const clock = Date.parse('2026-12-02T10:00:00Z');
  it("reads a project's setting at most once per check period, and keeps redacted bodies only while capturing", async () => {
    const { store, kept, reads } = memoryStore({ until: captureUntil(clock, 10), captured: 0 });
    const recorder = captureRecorder(store, { checkMs: 30_000, now: () => clock });
    for (let i = 0; i < 5; i++) await recorder.webhook('p1', '<xsi:uri>https://x.test/webhooks/beeline/p1/secretsecretsecret</xsi:uri>', 'application/xml', ['secretsecretsecret']);
    await recorder.pbx(
      'p1',
      { method: 'PUT', path: 'subscription', status: 200, requestBody: '{"url":"https://x.test/webhooks/beeline/p1/secretsecretsecret"}', body: '{"subscriptionId":"s1"}', durationMs: 12 },
      ['the-pbx-token'],
    );
    expect(reads()).toBe(1);
    expect(kept).toHaveLength(6);
    expect(JSON.stringify(kept)).not.toContain('secretsecretsecret');
    expect(kept[5]).toMatchObject({ kind: 'pbx', method: 'PUT', status: 200, requestBody: '{"url":"https://x.test/webhooks/beeline/p1/REDACTED"}' });
  });

  it('keeps nothing when no capture runs, and a failing store never fails the caller', async () => {
    const idle = memoryStore({ captured: 0 });
    await captureRecorder(idle.store).webhook('p1', '<x/>', undefined, []);
    expect(idle.kept).toEqual([]);
    const errors: unknown[] = [];
    const broken = memoryStore({ captured: 0 }, true);
    await expect(captureRecorder(broken.store, { onError: (error) => errors.push(error) }).webhook('p1', '<x/>', undefined, [])).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
