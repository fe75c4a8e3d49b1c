/** The settle timer of a call: a delayed `settle` message for when its settle period ends. */
import { MAX_SQS_DELAY_SECONDS } from '../../contracts/sqs';
import { needsAmend, settleDeadline, type CallState } from '../../domain/call';
import type { MessageQueue } from '../../ports';

export class SettleTimer {
  constructor(
    private readonly queue: MessageQueue,
    private readonly settleSeconds: number,
    private readonly now: () => number,
  ) {}

  /** When the call's settle period ends (undefined while it is still active). */
  deadlineOf(state: CallState): number | undefined {
    return settleDeadline(state, this.settleSeconds * 1000);
  }

  /** Schedules the settle of an ended call that is not final (or needs an amendment). */
  async scheduleIfEnded(state: CallState): Promise<void> {
    if (state.finalized && !needsAmend(state)) return;
    const deadline = this.deadlineOf(state);
    if (deadline === undefined) return;
    await this.schedule(state.projectId, state.extTrackingId, deadline - this.now());
  }

  schedule(projectId: string, extTrackingId: string, delayMs: number): Promise<void> {
    const delaySeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000)));
    return this.queue.send({ v: 1, kind: 'settle', projectId, extTrackingId }, delaySeconds);
  }
}
