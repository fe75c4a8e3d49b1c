/**
 * An event into its call: merged (duplicates and reordering are the domain's), a pickup or
 * transfer under a tracking id of its own joined into the call it continues, and the settle
 * timer set once the call has ended.
 */
import { applyEvent, callOf, joinContinuation, newCall, seeksContinued, summarise, type CallState } from '../../domain/call';
import type { XsiEvent } from '../../domain/xsi-event';
import type { CallStore } from '../../ports';
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
    private readonly timer: SettleTimer,
  ) {}

  /** `delivered`: the subscription that delivered the event (an employee's, with its PBX number, or the whole PBX's). */
  async handle(projectId: string, event: XsiEvent, receivedAt: number, delivered: EventDelivery = {}): Promise<EventOutcome> {
    const call = callOf(event);
    if (!call) return 'not-a-call';
    for (let attempt = 0; attempt < MAX_EVENT_ATTEMPTS; attempt++) {
      await backOff(attempt);
      const stored = await this.calls.load(projectId, call.extTrackingId);
      const current = stored?.state ?? newCall(projectId, call.extTrackingId, receivedAt);
      const result = applyEvent(current, { event, receivedAt, operatorNumber: delivered.number, wholePbx: delivered.wholePbx });
      if (result.kind === 'duplicate') {
        // A redelivery after a crash between saving and scheduling must still schedule.
        await this.afterChange(current);
        return 'duplicate';
      }
      const next = seeksContinued(result.state) ? await this.withContinued(result.state) : result.state;
      if (await this.calls.save(next, summarise(next), stored?.version ?? 0)) {
        await this.afterChange(next);
        return 'applied';
      }
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
      if (await this.calls.save(joined, summarise(joined), root.version)) {
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

  private async afterChange(state: CallState): Promise<void> {
    if (state.continues !== undefined) await this.joinInto(state.continues, state);
    else await this.timer.scheduleIfEnded(state);
  }
}
