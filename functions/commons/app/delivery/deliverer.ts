/**
 * Delivers outbound events to a project's receiver: signed (Standard Webhooks), retried with
 * back-off until the give-up time, each attempt recorded. A receiver that fails is paused as a
 * whole (the next attempt of any of its events waits for the pause), so a dead receiver costs a
 * probe per pause, not an attempt per event, and other projects' deliveries never queue behind it.
 */
import { retryDelaySeconds, webhookSignature } from '../../domain/delivery';
import type { DeliveryJob, DeliveryQueue, DeliveryRecord, DeliverySettings, DeliveryStore, TokenCipher, WebhookSender } from '../../ports';
import { MAX_SQS_DELAY_SECONDS } from '../../contracts/sqs';

export interface DelivererDeps {
  store: DeliveryStore;
  queue: DeliveryQueue;
  sender: WebhookSender;
  cipher: TokenCipher;
  /** Per attempt: no answer within this is a failure. */
  timeoutMs: number;
  /** The first retry's delay (4× per further failure, at most 2 h). */
  retryBaseSeconds: number;
  /** After this long since the event was handed over, a failing delivery is `failed`. */
  giveUpSeconds: number;
  now: () => number;
  random?: () => number;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; attempts: number; status: number }
  | { kind: 'retrying'; attempts: number; error: string; nextAt: number; pausedUntil: number }
  | { kind: 'failed'; attempts: number; error: string; pausedUntil?: number }
  /** Not yet due, or its receiver is paused: queued again, no attempt. */
  | { kind: 'waiting'; until: number }
  /** Nothing to do: no receiver any more, or already delivered or failed (a duplicate job). */
  | { kind: 'skipped'; reason: 'no-receiver' | 'done' };

export class Deliverer {
  private readonly random: () => number;

  constructor(private readonly deps: DelivererDeps) {
    this.random = deps.random ?? Math.random;
  }

  /**
   * A batch: per project, jobs are tried one by one until one reaches the receiver; if the
   * receiver answered, the rest go together; if it failed, the rest wait for its pause.
   */
  async deliverAll(jobs: readonly DeliveryJob[]): Promise<PromiseSettledResult<DeliveryOutcome>[]> {
    const results: PromiseSettledResult<DeliveryOutcome>[] = new Array(jobs.length);
    const byProject = new Map<string, number[]>();
    jobs.forEach((job, i) => {
      byProject.set(job.projectId, [...(byProject.get(job.projectId) ?? []), i]);
    });
    await Promise.all(
      [...byProject.values()].map(async (indices) => {
        let next = 0;
        let pausedUntil: number | undefined;
        while (next < indices.length) {
          const i = indices[next++]!;
          results[i] = await settled(this.deliver(jobs[i]!));
          const outcome = results[i].status === 'fulfilled' ? results[i].value : undefined;
          if (outcome?.kind === 'delivered') break;
          if (outcome?.kind === 'retrying' || (outcome?.kind === 'failed' && outcome.pausedUntil)) {
            pausedUntil = outcome.pausedUntil;
            break;
          }
        }
        await Promise.all(
          indices.slice(next).map(async (i) => {
            results[i] = await settled(pausedUntil === undefined ? this.deliver(jobs[i]!) : this.wait(jobs[i]!, pausedUntil));
          }),
        );
      }),
    );
    return results;
  }

  async deliver(job: DeliveryJob): Promise<DeliveryOutcome> {
    const now = this.deps.now();
    if (job.notBefore !== undefined && job.notBefore - now > 500) return this.requeue(job, job.notBefore);
    const { settings, record } = await this.deps.store.forAttempt(job.projectId, job);
    if (!settings) return { kind: 'skipped', reason: 'no-receiver' };
    if (record && (record.status !== 'retrying' || record.attempts > job.attempts)) return { kind: 'skipped', reason: 'done' };
    if (settings.pausedUntil !== undefined && settings.pausedUntil > now) return this.wait(job, settings.pausedUntil);
    return this.attempt(job, settings, now);
  }

  /** The receiver is paused: the job waits for it (spread a little, so the waiting jobs do not all probe at once), or fails once past its give-up time. */
  private async wait(job: DeliveryJob, until: number): Promise<DeliveryOutcome> {
    const now = this.deps.now();
    if (now - job.since >= this.deps.giveUpSeconds * 1000) {
      const error = 'the receiver kept failing until the give-up time';
      await this.record(job, 'failed', job.attempts, now, error);
      return { kind: 'failed', attempts: job.attempts, error };
    }
    const spread = Math.min(60_000, Math.max(1000, (until - now) / 5)) * this.random();
    return this.requeue(job, until + spread);
  }

  private async attempt(job: DeliveryJob, settings: DeliverySettings, now: number): Promise<DeliveryOutcome> {
    const { cipher, store } = this.deps;
    const secrets = [await cipher.decrypt(settings.secretCipher, job.projectId)];
    if (settings.previousSecretCipher && (settings.previousUntil ?? 0) > now) secrets.push(await cipher.decrypt(settings.previousSecretCipher, job.projectId));
    const timestamp = Math.floor(now / 1000);
    const headers = { 'webhook-id': job.eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': webhookSignature(secrets, job.eventId, timestamp, job.body) };
    const answer = await this.deps.sender.post(settings.url, headers, job.body, this.deps.timeoutMs);
    const attempts = job.attempts + 1;
    const at = this.deps.now();
    if (answer.ok) {
      await this.record(job, 'delivered', attempts, at);
      if (settings.failures) await store.setReceiverHealth(job.projectId, { failures: 0 });
      return { kind: 'delivered', attempts, status: answer.status };
    }
    const failures = (settings.failures ?? 0) + 1;
    const pausedUntil = at + retryDelaySeconds(failures, this.deps.retryBaseSeconds) * 1000;
    const nextAt = at + retryDelaySeconds(attempts, this.deps.retryBaseSeconds) * 1000;
    await store.setReceiverHealth(job.projectId, { failures, pausedUntil });
    if (nextAt - job.since > this.deps.giveUpSeconds * 1000) {
      await this.record(job, 'failed', attempts, at, answer.error);
      return { kind: 'failed', attempts, error: answer.error, pausedUntil };
    }
    // Queued before it is recorded: should the record fail, this message comes again and retries (at least once, never lost).
    await this.requeue({ ...job, attempts }, nextAt);
    await this.record(job, 'retrying', attempts, at, answer.error);
    return { kind: 'retrying', attempts, error: answer.error, nextAt, pausedUntil };
  }

  /** Queued again for `until`: an SQS delay at most, so a longer wait is made of hops. */
  private async requeue(job: DeliveryJob, until: number): Promise<DeliveryOutcome> {
    const delaySeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(1, Math.ceil((until - this.deps.now()) / 1000)));
    await this.deps.queue.send([{ ...job, notBefore: Math.round(until) }], delaySeconds);
    return { kind: 'waiting', until: Math.round(until) };
  }

  private record(job: DeliveryJob, status: DeliveryRecord['status'], attempts: number, at: number, lastError?: string): Promise<void> {
    return this.deps.store.saveRecord(job.projectId, {
      eventId: job.eventId,
      type: job.type,
      occurredAt: job.occurredAt,
      status,
      attempts,
      ...(lastError !== undefined && { lastError }),
      at: new Date(at).toISOString(),
    });
  }
}

function settled<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }) as const,
    (reason: unknown) => ({ status: 'rejected', reason }) as const,
  );
}

/** A delivery queue message back into a job; undefined when it is not one (it is dropped, not retried). */
export function parseDeliveryJob(body: string): DeliveryJob | undefined {
  try {
    const job = JSON.parse(body) as DeliveryJob;
    const valid =
      job.v === 1 &&
      typeof job.projectId === 'string' &&
      typeof job.eventId === 'string' &&
      typeof job.type === 'string' &&
      typeof job.body === 'string' &&
      typeof job.occurredAt === 'string' &&
      Number.isInteger(job.attempts) &&
      job.attempts >= 0 &&
      Number.isFinite(job.since) &&
      (job.notBefore === undefined || Number.isFinite(job.notBefore));
    return valid ? job : undefined;
  } catch {
    return undefined;
  }
}
