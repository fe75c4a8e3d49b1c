/**
 * Keeps every `beeline_api` employee subscribed at the PBX: on save (stream), on renewal
 * (scheduled sweep), when the PBX ends a subscription (event), and on retries after failures.
 * One entry point, `reconcile`, makes the PBX match the employee: idempotent and safe to run
 * concurrently (the state item is versioned; a loser removes what it created).
 */
import { webhookSecret } from '../domain/webhook-secret';
import {
  DESIRED_LIFETIME_SECONDS,
  employeeWatch,
  judgeEventSource,
  renewalTime,
  retryDelaySeconds,
  webhookPath,
  WHOLE_PBX_WATCH,
  type EventSource,
  type SubscriptionState,
  type WatchTarget,
} from '../domain/subscriptions';
import { PbxError, type MessageQueue, type PbxClient, type PbxStore } from '../ports';
import { NotConnectedError, type ProjectPbx } from './project-pbx';

export interface SubscriptionServiceDeps {
  store: PbxStore;
  projectPbx: ProjectPbx;
  queue: MessageQueue;
  webhookKey: () => Promise<string>;
  /** Base of webhook URLs, e.g. `https://abc.execute-api.eu-central-1.amazonaws.com`. */
  publicUrl: string;
  now?: () => number;
  log?: (message: string, details: Record<string, unknown>) => void;
}

export type ReconcileReason = 'saved' | 'renewal' | 'terminated' | 'retry' | 'rotated' | 'removed' | 'disconnected';

/** Who delivered an event: an employee's subscription (with the employee's number) or the whole-PBX one. */
export interface EventSubscription {
  number?: string;
  wholePbx: boolean;
}

const LAST_EVENT_WRITE_INTERVAL_MS = 60_000;

export class SubscriptionService {
  private readonly now: () => number;
  private readonly lastEventWrites = new Map<string, number>();
  private readonly records = new Map<string, { value: Awaited<ReturnType<PbxStore['getSubscriptionRecord']>>; at: number }>();

  constructor(private readonly deps: SubscriptionServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The project's PBX client, or NotConnectedError. */
  clientFor(projectId: string): Promise<PbxClient> {
    return this.deps.projectPbx.client(projectId);
  }

  async webhookUrl(projectId: string): Promise<string> {
    const base = this.deps.publicUrl.replace(/\/$/, '');
    const [key, { generation }] = await Promise.all([this.deps.webhookKey(), this.deps.store.getWebhookSecret(projectId)]);
    return `${base}${webhookPath(projectId, webhookSecret(key, projectId, generation))}`;
  }

  /**
   * Makes the PBX match the employee: subscribed (anew) if it takes Beeline calls, else not.
   * `WHOLE_PBX_WATCH` in place of an employee: the whole-PBX subscription, if the project wants it.
   */
  async reconcile(projectId: string, employeeId: string, reason: ReconcileReason): Promise<SubscriptionState> {
    const { store } = this.deps;
    const [target, { state, version }] = await Promise.all([this.watchOf(projectId, employeeId), store.getState(projectId, employeeId)]);
    const now = this.now();
    // A backlog can deliver the same renewal or retry twice: the second finds the work done.
    if (!isDue(state, reason, now)) return state;

    if (!target || reason === 'disconnected') {
      await this.removeAtPbx(projectId, state.subscriptionId, reason);
      const next: SubscriptionState = { status: 'none', lastEventAt: state.lastEventAt };
      await store.putState(projectId, employeeId, next, version);
      return next;
    }

    let client: PbxClient;
    let created: Awaited<ReturnType<PbxClient['subscribe']>>;
    try {
      client = await this.clientFor(projectId);
      const pattern = 'pattern' in target ? target.pattern : undefined;
      created = await client.subscribe({ pattern, expires: DESIRED_LIFETIME_SECONDS, url: await this.webhookUrl(projectId) });
    } catch (error) {
      return this.recordFailure(projectId, employeeId, state, version, error, reason);
    }
    const number = 'number' in target ? target.number : undefined;
    // Recorded before anything else, so the new subscription's first events are accepted.
    await store.putSubscriptionRecord({ subscriptionId: created.subscriptionId, projectId, employeeId, ...(number !== undefined && { number }) });
    const next: SubscriptionState = {
      status: 'active',
      subscriptionId: created.subscriptionId,
      number,
      expiresAt: new Date(now + created.expires * 1000).toISOString(),
      renewAt: new Date(renewalTime(now, created.expires)).toISOString(),
      lastEventAt: state.lastEventAt,
      activeSince: state.status === 'active' && state.activeSince ? state.activeSince : new Date(now).toISOString(),
    };
    if (!(await store.putState(projectId, employeeId, next, version))) {
      // Someone reconciled this employee meanwhile: theirs stands, ours goes.
      await this.removeAtPbx(projectId, created.subscriptionId, reason, client);
      return (await store.getState(projectId, employeeId)).state;
    }
    if (state.subscriptionId && state.subscriptionId !== created.subscriptionId) {
      await this.removeAtPbx(projectId, state.subscriptionId, reason, client);
    }
    this.deps.log?.('subscribed', { projectId, employeeId, reason, subscriptionId: created.subscriptionId, grantedSeconds: created.expires });
    return next;
  }

  /** Judges the subscription id of an incoming event and notes that events arrive. */
  async judgeEvent(projectId: string, subscriptionId: string | undefined, receivedAt: number): Promise<EventSource> {
    const now = this.now();
    const record = subscriptionId ? await this.cachedRecord(projectId, subscriptionId, now) : undefined;
    const verdict = subscriptionId ? judgeEventSource(record, projectId, receivedAt, now) : 'foreign';
    if (verdict === 'accepted' && record) {
      const key = `${projectId}/${record.employeeId}`;
      if (now - (this.lastEventWrites.get(key) ?? 0) >= LAST_EVENT_WRITE_INTERVAL_MS) {
        this.lastEventWrites.set(key, now);
        await this.deps.store.touchLastEvent(projectId, record.employeeId, new Date(now).toISOString());
      }
    }
    return verdict;
  }

  /**
   * Who a subscription watches: an employee, with its PBX number (a SIP account's extension: its
   * events' targetId holds no number), or the whole PBX. Read from the record `judgeEvent` has just cached.
   */
  async subscriptionOf(projectId: string, subscriptionId: string | undefined): Promise<EventSubscription> {
    const record = subscriptionId ? await this.cachedRecord(projectId, subscriptionId, this.now()) : undefined;
    return { number: record?.number, wholePbx: record?.employeeId === WHOLE_PBX_WATCH };
  }

  private async watchOf(projectId: string, employeeId: string): Promise<WatchTarget | undefined> {
    if (employeeId !== WHOLE_PBX_WATCH) return employeeWatch(await this.deps.store.getEmployee(projectId, employeeId));
    return (await this.deps.store.getWatch(projectId)).wholePbx ? { wholePbx: true } : undefined;
  }

  /**
   * The employee whose current subscription the PBX ended, to subscribe again (through the work
   * queue: events never wait for the PBX); none when it was replaced or removed meanwhile.
   */
  async terminatedEmployee(projectId: string, subscriptionId: string | undefined): Promise<string | undefined> {
    if (!subscriptionId) return undefined;
    const record = await this.deps.store.getSubscriptionRecord(projectId, subscriptionId);
    if (!record || record.retiredAt !== undefined) return undefined;
    const { state } = await this.deps.store.getState(projectId, record.employeeId);
    return state.subscriptionId === subscriptionId ? record.employeeId : undefined;
  }

  private async cachedRecord(projectId: string, subscriptionId: string, now: number) {
    const key = `${projectId}/${subscriptionId}`;
    const cached = this.records.get(key);
    // Positive answers are stable for a while; a miss is asked again (it may be a moment old).
    if (cached?.value && now - cached.at < 60_000) return cached.value;
    const value = await this.deps.store.getSubscriptionRecord(projectId, subscriptionId);
    if (value) this.records.set(key, { value, at: now });
    return value;
  }

  private async removeAtPbx(projectId: string, subscriptionId: string | undefined, reason: ReconcileReason, client?: PbxClient): Promise<void> {
    if (!subscriptionId) return;
    await this.deps.store.retireSubscriptionRecord(projectId, subscriptionId, this.now());
    try {
      await (client ?? (await this.clientFor(projectId))).unsubscribe(subscriptionId);
    } catch (error) {
      // It lapses at the PBX by itself; its events are no longer accepted after the grace period.
      this.deps.log?.('unsubscribe failed', { projectId, subscriptionId, reason, error: describe(error) });
    }
  }

  private async recordFailure(projectId: string, employeeId: string, state: SubscriptionState, version: number, error: unknown, reason: ReconcileReason): Promise<SubscriptionState> {
    if (!(error instanceof PbxError) && !(error instanceof NotConnectedError)) throw error;
    const failures = (state.failures ?? 0) + 1;
    const delay = retryDelaySeconds(failures);
    const next: SubscriptionState = {
      ...state,
      status: 'failed',
      lastError: describe(error),
      failures,
      renewAt: new Date(this.now() + delay * 1000).toISOString(),
    };
    if (await this.deps.store.putState(projectId, employeeId, next, version)) {
      await this.deps.queue.send({ v: 1, kind: 'subscription', projectId, employeeId, reason: 'retry' }, delay);
    }
    this.deps.log?.('subscribe failed', { projectId, employeeId, reason, failures, error: next.lastError });
    return next;
  }
}

/** Renewals and retries act only when still due (a retry may come a little early: SQS delays are whole seconds). */
const EARLY_RETRY_MS = 5_000;
function isDue(state: SubscriptionState, reason: ReconcileReason, now: number): boolean {
  const renewAt = Date.parse(state.renewAt ?? '');
  if (reason === 'renewal') return !(state.status === 'active' && renewAt > now);
  if (reason === 'retry') return state.status === 'failed' && !(renewAt > now + EARLY_RETRY_MS);
  return true;
}

function describe(error: unknown): string {
  if (error instanceof PbxError) return error.userMessage;
  return error instanceof Error ? error.message : String(error);
}
