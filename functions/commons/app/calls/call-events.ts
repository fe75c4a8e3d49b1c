/**
 * An event into its call: merged (duplicates and reordering are the domain's), a pickup or
 * transfer under a tracking id of its own joined into the call it continues, and the settle
 * timer set once the call has ended.
 */
import { applyEvent, callOf, joinContinuation, newCall, seeksContinued, startsNow, summarise, type CallState, type CallSummary } from '../../domain/call';
import { newClientIdForPhone } from '../../domain/clients';
import { callStartedEventOf, type OutboundEvent } from '../../domain/outbound-events';
import type { XsiEvent } from '../../domain/xsi-event';
import type { CallStore, ClientDirectory, StoredCall } from '../../ports';
import type { RecentCalls } from './recent-calls';
import { backOff, ContentionError, MAX_ATTEMPTS, MAX_EVENT_ATTEMPTS } from './concurrency';
import type { SettleTimer } from './settle-timer';

/**
 * The call a pickup or transfer continues started at most this long before it (a transfer
 * can follow a long talk), and is still open or ended at most `CONTINUED_RECENT_MS` before.
 */
const CONTINUED_LOOKBACK_MS = 4 * 3600_000;
const CONTINUED_RECENT_MS = 120_000;
/** Clocks of the PBX's nodes may differ this much. */
const CONTINUED_CLOCK_SLACK_MS = 5_000;

export type EventOutcome = 'applied' | 'duplicate' | 'not-a-call';

export interface EventDelivery {
  /** The PBX number of the employee whose subscription delivered the event. */
  number?: string;
  /** Delivered by the whole-PBX subscription. */
  wholePbx?: boolean;
}

export class CallEvents {
  constructor(
    private readonly calls: CallStore,
    private readonly clients: ClientDirectory,
    private readonly timer: SettleTimer,
    private readonly now: () => number,
    private readonly recent: RecentCalls,
  ) {}

  /** `delivered`: the subscription that delivered the event (an employee's, with its PBX number, or the whole PBX's). */
  async handle(projectId: string, event: XsiEvent, receivedAt: number, delivered: EventDelivery = {}): Promise<EventOutcome> {
    const call = callOf(event);
    if (!call) return 'not-a-call';
    /** The client matched for the start report, once per event whatever the retries. */
    const matched = new Map<string, string | undefined>();
    // One write per event when it can be: into the state this process saved last, or, for a call it
    // never saw, as a new call (most are). A stale guess is refused, and the refusal carries the call.
    let known: StoredCall | undefined = this.recent.get(projectId, call.extTrackingId);
    let guessNew = known === undefined;
    for (let attempt = 0; attempt < MAX_EVENT_ATTEMPTS; attempt++) {
      // The first refusal's call is current: merged into at once. Later ones are contention: wait, then read.
      if (attempt > 1) {
        known = undefined;
        await backOff(attempt - 1);
      }
      const stored = known ?? (guessNew ? undefined : await this.calls.load(projectId, call.extTrackingId));
      const current = stored?.state ?? newCall(projectId, call.extTrackingId, receivedAt);
      const result = applyEvent(current, { event, receivedAt, operatorNumber: delivered.number, wholePbx: delivered.wholePbx });
      if (result.kind === 'duplicate') {
        // A redelivery after a crash between saving and scheduling must still schedule.
        await this.afterChange(current);
        return 'duplicate';
      }
      const merged = seeksContinued(result.state) ? await this.withContinued(result.state) : result.state;
      const summary = summarise(merged);
      const started = startsNow(merged, summary) ? await this.startReport(merged, summary, matched) : undefined;
      const next = started?.state ?? merged;
      const version = stored?.version ?? 0;
      const saved = await this.calls.save(next, summary, version, started?.event);
      if (saved.saved) {
        this.recent.remember({ state: next, version: version + 1 });
        await this.afterChange(next);
        return 'applied';
      }
      this.recent.forget(projectId, call.extTrackingId);
      known = saved.current;
      guessNew = false;
    }
    throw new ContentionError(`call ${call.extTrackingId}: too many concurrent updates`);
  }

  /** Merges a continuation's legs into the call it continues, which settles for both. */
  async joinInto(rootId: string, continuation: CallState): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      await backOff(attempt);
      const root = await this.calls.load(continuation.projectId, rootId);
      if (!root) return;
      const joined = joinContinuation(root.state, continuation);
      if (!joined) {
        // Already joined (a redelivery): the settle may not have been scheduled before a crash.
        await this.timer.scheduleIfEnded(root.state);
        return;
      }
      if ((await this.calls.save(joined, summarise(joined), root.version)).saved) {
        await this.timer.scheduleIfEnded(joined);
        return;
      }
    }
    throw new ContentionError(`call ${rootId}: too many concurrent updates while joining ${continuation.extTrackingId}`);
  }

  /**
   * A pickup or transfer under a tracking id of its own: the call it continues is the latest
   * one with the same client still open (or just ended). Without a client number, or when no
   * such call exists, it stays a call of its own.
   */
  private async withContinued(state: CallState): Promise<CallState> {
    const { clientPhone, startedAt } = summarise(state);
    if (clientPhone === undefined) return state;
    const continued = await this.calls.findContinued(state.projectId, {
      clientPhone,
      at: startedAt + CONTINUED_CLOCK_SLACK_MS,
      lookbackMs: CONTINUED_LOOKBACK_MS,
      recentMs: CONTINUED_RECENT_MS,
      excluding: state.extTrackingId,
    });
    return continued === undefined ? state : { ...state, continues: continued };
  }

  /**
   * `beeline_call_started` and the state that records it. The call is the client's active call
   * while a leg is still up; a client that does not exist yet is the one the finalize will
   * create for the number.
   */
  private async startReport(state: CallState, summary: CallSummary, matched: Map<string, string | undefined>): Promise<{ state: CallState; event: OutboundEvent }> {
    const phone = summary.clientPhone!;
    if (!matched.has(phone)) matched.set(phone, (await this.clients.match(state.projectId, phone))?.clientId);
    const clientId = matched.get(phone);
    const at = this.now();
    const activeFor = summary.allLegsEnded ? undefined : (clientId ?? newClientIdForPhone(phone));
    return {
      state: { ...state, startReported: { reportedAt: at, ...(activeFor !== undefined && { activeFor }) } },
      event: callStartedEventOf(state, summary, clientId, new Date(at)),
    };
  }

  private async afterChange(state: CallState): Promise<void> {
    if (state.continues !== undefined) await this.joinInto(state.continues, state);
    else await this.timer.scheduleIfEnded(state);
  }
}
