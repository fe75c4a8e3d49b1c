/**
 * The deliverer and the receiver settings over in-memory adapters: what a receiver gets (signed,
 * the same webhook-id on every attempt), back-off, the pause of a failing receiver, give-up,
 * duplicates, and projects that never wait for one another.
 */
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { Deliverer } from '../../functions/commons/app/delivery/deliverer';
import { DeliverySettingsService, type Audit } from '../../functions/commons/app/delivery/settings';
import { auditEntry } from '../../functions/commons/domain/access';
import type { DeliveryJob, ReceiverAnswer, WebhookSender } from '../../functions/commons/ports';
import { memoryCipher } from '../support/memory/pbx';
import { MemoryDeliveryQueue, MemoryDeliveryStore } from '../support/memory/stores';

// The verifier reads the real clock: T0 is an hour or two ago, outside its tolerance, and well inside the 24 h a rotated secret keeps signing.
const T0 = Math.floor(Date.now() / 3600_000) * 3600_000 - 3600_000;
const BASE = 5;
const GIVE_UP = 86_400;

/** Receivers by URL: each answers what its script says next (then the last answer again), and keeps what it got. */
class ScriptedReceivers implements WebhookSender {
  readonly received: { url: string; headers: Record<string, string>; body: string }[] = [];
  private readonly scripts = new Map<string, ReceiverAnswer[]>();

  answer(url: string, ...answers: ReceiverAnswer[]): void {
    this.scripts.set(url, answers);
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<ReceiverAnswer> {
    this.received.push({ url, headers, body });
    const script = this.scripts.get(url) ?? [{ ok: true, status: 200 }];
    return script.length > 1 ? script.shift()! : script[0]!;
  }

  to(url: string) {
    return this.received.filter((r) => r.url === url);
  }
}

const audit: Audit = (action, at, details) => auditEntry({ kind: 'platform' }, action, at, details);
const OK: ReceiverAnswer = { ok: true, status: 204 };
const DOWN: ReceiverAnswer = { ok: false, error: 'HTTP 503' };

let now: number;
let store: MemoryDeliveryStore;
let queue: MemoryDeliveryQueue;
let receivers: ScriptedReceivers;
let deliverer: Deliverer;
let settings: DeliverySettingsService;

beforeEach(() => {
  now = T0;
  store = new MemoryDeliveryStore();
  queue = new MemoryDeliveryQueue();
  receivers = new ScriptedReceivers();
  deliverer = new Deliverer({ store, queue, sender: receivers, cipher: memoryCipher, timeoutMs: 10_000, retryBaseSeconds: BASE, giveUpSeconds: GIVE_UP, now: () => now, random: () => 0 });
  settings = new DeliverySettingsService({ store, cipher: memoryCipher, policy: { allowLoopback: false }, now: () => new Date(now) });
});

let sequence = 0;
function job(projectId: string, overrides: Partial<DeliveryJob> = {}): DeliveryJob {
  const eventId = `evt_${String(++sequence).padStart(26, '0')}`;
  const body = JSON.stringify({ eventId, type: 'beeline_call_event', projectId, occurredAt: new Date(now).toISOString(), data: { text: 'beeline_call_event Incoming' } });
  return { v: 1, projectId, eventId, type: 'beeline_call_event', occurredAt: new Date(now).toISOString(), body, attempts: 0, since: now, ...overrides };
}

async function receiver(projectId: string, url = `https://${projectId}.example/hook`): Promise<{ url: string; secret: string }> {
  const put = await settings.put(projectId, { url }, audit);
  if (!put.ok || !put.secret) throw new Error('no secret');
  return { url, secret: put.secret };
}

const outcomes = async (jobs: DeliveryJob[]) => (await deliverer.deliverAll(jobs)).map((r) => (r.status === 'fulfilled' ? r.value : r));

describe('a receiver that answers', () => {
  it('gets the event signed with its secret (standardwebhooks verifies), recorded delivered after one attempt', async () => {
    const { url, secret } = await receiver('pa');
    const one = job('pa');
    expect(await outcomes([one])).toEqual([{ kind: 'delivered', attempts: 1, status: 200 }]);
    const [got] = receivers.to(url);
    expect(got!.headers['webhook-id']).toBe(one.eventId);
    expect(got!.body).toBe(one.body);
    // The verifier checks the timestamp against its own clock: the attempt's time is T0.
    const verifier = new Webhook(secret);
    expect(() => verifier.verify(got!.body, got!.headers)).toThrow(/timestamp/i);
    expect(Number(got!.headers['webhook-timestamp'])).toBe(T0 / 1000);
    now = Date.now();
    const fresh = job('pa');
    await outcomes([fresh]);
    const latest = receivers.to(url).at(-1)!;
    expect(verifier.verify(latest.body, latest.headers)).toEqual(JSON.parse(fresh.body));
    expect(await store.recent('pa', 10)).toEqual([
      expect.objectContaining({ eventId: fresh.eventId, status: 'delivered', attempts: 1 }),
      expect.objectContaining({ eventId: one.eventId, status: 'delivered', attempts: 1 }),
    ]);
  });

  it('gets a duplicate job (the relay queued it twice) once', async () => {
    const { url } = await receiver('pa');
    const one = job('pa');
    await outcomes([one]);
    expect(await outcomes([one])).toEqual([{ kind: 'skipped', reason: 'done' }]);
    expect(receivers.to(url)).toHaveLength(1);
  });
});

describe('a receiver that fails', () => {
  it('is retried with back-off (5 s, 20 s, …) with the same webhook-id and body, and delivered once it recovers', async () => {
    const { url } = await receiver('pa');
    receivers.answer(url, DOWN, DOWN, OK);
    const first = job('pa');
    expect(await outcomes([first])).toEqual([{ kind: 'retrying', attempts: 1, error: 'HTTP 503', nextAt: T0 + 5000, pausedUntil: T0 + 5000 }]);
    expect(await store.recent('pa', 1)).toEqual([expect.objectContaining({ status: 'retrying', attempts: 1, lastError: 'HTTP 503' })]);
    let [again] = queue.take();
    expect(again).toEqual({ job: { ...first, attempts: 1, notBefore: T0 + 5000 }, delaySeconds: 5 });

    now = T0 + 5000;
    expect(await outcomes([again!.job])).toEqual([{ kind: 'retrying', attempts: 2, error: 'HTTP 503', nextAt: now + 20_000, pausedUntil: now + 20_000 }]);
    [again] = queue.take();
    now += 20_000;
    expect(await outcomes([again!.job])).toEqual([{ kind: 'delivered', attempts: 3, status: 204 }]);

    const got = receivers.to(url);
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([first.eventId, first.eventId, first.eventId]);
    expect(new Set(got.map((r) => r.body))).toEqual(new Set([first.body]));
    expect(await store.recent('pa', 1)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 3 })]);
    // Recovered: its health is reset, nothing waits for a pause.
    expect(store.settings.get('pa')).toMatchObject({ failures: 0 });
    expect(store.settings.get('pa')!.pausedUntil).toBeUndefined();
  });

  it('is paused as a whole: the other events of the batch wait for the pause instead of each timing out', async () => {
    const { url } = await receiver('pa');
    receivers.answer(url, DOWN);
    const jobs = [job('pa'), job('pa'), job('pa'), job('pa')];
    const results = await outcomes(jobs);
    expect(results[0]).toMatchObject({ kind: 'retrying' });
    expect(results.slice(1)).toEqual([
      { kind: 'waiting', until: T0 + 5000 },
      { kind: 'waiting', until: T0 + 5000 },
      { kind: 'waiting', until: T0 + 5000 },
    ]);
    expect(receivers.to(url)).toHaveLength(1);
    // A later batch of the same project also waits (the pause is on the receiver's settings).
    expect(await outcomes([job('pa')])).toEqual([{ kind: 'waiting', until: T0 + 5000 }]);
    expect(receivers.to(url)).toHaveLength(1);
  });

  it('delays no other project: its events go out in the same batch', async () => {
    const a = await receiver('pa');
    const b = await receiver('pb');
    receivers.answer(a.url, DOWN);
    const results = await outcomes([job('pa'), job('pb'), job('pa'), job('pb')]);
    expect(results.map((r) => 'kind' in r && r.kind)).toEqual(['retrying', 'delivered', 'waiting', 'delivered']);
    expect(receivers.to(b.url)).toHaveLength(2);
  });

  it('is given up after 24 h: the event is failed (and stays in the feed), no further job', async () => {
    const { url } = await receiver('pa');
    receivers.answer(url, DOWN);
    const late = job('pa', { since: T0 - (GIVE_UP - 10) * 1000, attempts: 15 });
    expect(await outcomes([late])).toEqual([{ kind: 'failed', attempts: 16, error: 'HTTP 503', pausedUntil: T0 + 5000 }]);
    expect(queue.take()).toEqual([]);
    expect(await store.recent('pa', 1)).toEqual([expect.objectContaining({ status: 'failed', attempts: 16, lastError: 'HTTP 503' })]);
    // A job that only waited for the pause past the give-up time fails without an attempt.
    const waited = job('pa', { since: T0 - GIVE_UP * 1000 });
    expect(await outcomes([waited])).toEqual([{ kind: 'failed', attempts: 0, error: 'the receiver kept failing until the give-up time' }]);
    expect(receivers.to(url)).toHaveLength(1);
  });
});

describe('jobs that are not due or have nowhere to go', () => {
  it('a job not yet due goes back to the queue for the rest of its wait, hops of at most 15 min', async () => {
    await receiver('pa');
    const later = job('pa', { notBefore: T0 + 3600_000 });
    expect(await outcomes([later])).toEqual([{ kind: 'waiting', until: T0 + 3600_000 }]);
    expect(queue.take()).toEqual([{ job: later, delaySeconds: 900 }]);
    expect(receivers.received).toEqual([]);
  });

  it('a project without a receiver (never set, or removed) sends nothing', async () => {
    expect(await outcomes([job('px')])).toEqual([{ kind: 'skipped', reason: 'no-receiver' }]);
    await receiver('pa');
    expect(await settings.remove('pa', audit)).toBe(true);
    expect(await outcomes([job('pa')])).toEqual([{ kind: 'skipped', reason: 'no-receiver' }]);
    expect(receivers.received).toEqual([]);
    expect(await settings.remove('pa', audit)).toBe(false);
  });
});

describe('receiver settings', () => {
  it('show the secret once; a rotation makes a new one while the previous one signs for 24 h; each change audited', async () => {
    const first = await settings.put('pa', { url: 'https://bots.example/hook' }, audit);
    expect(first).toEqual({ ok: true, url: 'https://bots.example/hook', secretHint: expect.stringMatching(/^whsec_….{4}$/), secret: expect.stringMatching(/^whsec_/) });
    const moved = await settings.put('pa', { url: 'https://bots.example/v2' }, audit);
    expect(moved).toEqual({ ok: true, url: 'https://bots.example/v2', secretHint: first.ok && first.secretHint });
    const rotated = await settings.put('pa', { url: 'https://bots.example/v2', rotateSecret: true }, audit);
    expect(rotated.ok && rotated.secret).toMatch(/^whsec_/);
    expect(rotated.ok && rotated.secret).not.toBe(first.ok && first.secret);
    expect(await settings.get('pa')).toEqual({
      url: 'https://bots.example/v2',
      secretHint: rotated.ok && rotated.secretHint,
      previousSecretUntil: new Date(T0 + 24 * 3600_000).toISOString(),
      recent: [],
    });
    expect(store.audit.map((e) => e.action)).toEqual(['delivery.set', 'delivery.set', 'delivery.secret-rotated']);
    expect(JSON.stringify(store.audit)).not.toContain(first.ok && first.secret);

    // Both secrets verify the deliveries of the next 24 h; after that only the new one signs.
    now = Date.now();
    const sent = job('pa');
    await outcomes([sent]);
    const got = receivers.received.at(-1)!;
    expect(got.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [first.ok && first.secret, rotated.ok && rotated.secret]) expect(new Webhook(secret as string).verify(got.body, got.headers)).toBeTruthy();
  });

  it('refuse a URL the rules do not allow, and change nothing', async () => {
    await settings.put('pa', { url: 'https://bots.example/hook' }, audit);
    expect(await settings.put('pa', { url: 'https://169.254.169.254/latest' }, audit)).toEqual({ ok: false, reason: 'url: address 169.254.169.254 is private, loopback, link-local or reserved' });
    expect(await settings.put('pa', { url: 'http://bots.example/hook' }, audit)).toEqual({ ok: false, reason: 'url: must be https' });
    expect((await settings.get('pa')).url).toBe('https://bots.example/hook');
    expect(store.audit).toHaveLength(1);
  });
});
