/**
 * The follow-up the best CRM connectors automate: a missed incoming call with no answered call
 * (either direction) with the same client within the project's `missedCallReturnMinutes` is
 * reported as `beeline_missed_unreturned`, once. The check is a delayed message (SQS delays end
 * at 15 minutes: a longer wait is several hops).
 */
import { MAX_SQS_DELAY_SECONDS } from '../../contracts/sqs';
import { summarise, type CallState, type CallSummary } from '../../domain/call';
import { defaultProject } from '../../domain/clients';
import { missedUnreturnedEventOf } from '../../domain/outbound-events';
import type { CallStore, MessageQueue, OutboundEventFeed, ProjectStore } from '../../ports';

export type MissedCheckOutcome = 'not-needed' | 'rescheduled' | 'returned' | 'reported' | 'already-reported';

/** A settle of a finalized call this long after its finalize is a retry after a crash (see resume). */
const RESUME_AFTER_MS = 10_000;

export class MissedCalls {
  constructor(
    private readonly calls: Pick<CallStore, 'load' | 'callsNear'>,
    private readonly projects: ProjectStore,
    private readonly events: Pick<OutboundEventFeed, 'append'>,
    private readonly queue: MessageQueue,
    private readonly now: () => number,
  ) {}

  /** After a call was finalized: a missed incoming call of a client gets its check. */
  async schedule(state: CallState, summary: CallSummary): Promise<void> {
    if (!isMissedIncomingOfClient(state, summary)) return;
    const deadline = await this.deadlineOf(state.projectId, summary);
    await this.send(state, deadline);
  }

  /** A settle retried after a crash between the finalize and the check's scheduling schedules it again (a duplicate check reports once). */
  async resume(state: CallState): Promise<void> {
    const summary = summarise(state);
    const final = state.finalized;
    if (!final || !isMissedIncomingOfClient(state, summary) || this.now() - final.finalizedAt < RESUME_AFTER_MS) return;
    const deadline = await this.deadlineOf(state.projectId, summary);
    if (this.now() < deadline) await this.send(state, deadline);
  }

  async check(projectId: string, extTrackingId: string): Promise<MissedCheckOutcome> {
    const stored = await this.calls.load(projectId, extTrackingId);
    const state = stored?.state;
    if (!state) return 'not-needed';
    const summary = summarise(state);
    if (!isMissedIncomingOfClient(state, summary)) return 'not-needed';
    const deadline = await this.deadlineOf(projectId, summary);
    if (this.now() < deadline) {
      await this.send(state, deadline);
      return 'rescheduled';
    }
    const window = { from: summary.startedAt, to: deadline };
    const others = await this.calls.callsNear(projectId, (window.from + window.to) / 2, summary.clientPhone!, (window.to - window.from) / 2);
    // A call still going on with the client counts as returned: nobody is to be chased while talking.
    if (others.some((call) => call.extTrackingId !== extTrackingId && (call.outcome === 'answered' || call.outcome === 'in_progress'))) return 'returned';
    const missedAt = summary.endedAt ?? summary.startedAt;
    const event = missedUnreturnedEventOf(projectId, state.finalized!.clientId!, extTrackingId, summary.clientPhone!, missedAt, deadline);
    return (await this.events.append(event)) ? 'reported' : 'already-reported';
  }

  private async deadlineOf(projectId: string, summary: CallSummary): Promise<number> {
    const project = (await this.projects.get(projectId)) ?? defaultProject(projectId);
    return (summary.endedAt ?? summary.startedAt) + project.missedCallReturnMinutes * 60_000;
  }

  private send(state: CallState, deadline: number): Promise<void> {
    const delaySeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil((deadline - this.now()) / 1000)));
    return this.queue.send({ v: 1, kind: 'missed', projectId: state.projectId, extTrackingId: state.extTrackingId }, delaySeconds);
  }
}

function isMissedIncomingOfClient(state: CallState, summary: CallSummary): boolean {
  return state.finalized?.outcome === 'missed' && summary.direction === 'Incoming' && state.finalized.clientId !== undefined && summary.clientPhone !== undefined;
}
