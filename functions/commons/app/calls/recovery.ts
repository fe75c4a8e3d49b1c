/**
 * Recovery of calls whose webhooks never arrived: the project's recent calls rebuilt from the
 * PBX's statistics and recordings, and the effects of those this product never saw produced
 * through the same settlement as live calls. A call it saw but whose last webhooks never came
 * (still open, quiet for longer than the lag, while the PBX has finished it) is completed from
 * the same records and settled. Idempotent: a call already known (by id, or by number and start
 * time) is never made twice. One message does a bounded page of calls (by count and time); the
 * rest of the window is queued as the next page, so a big tenant's recovery never outlasts the
 * function.
 */
import { summarise, type CallState, type CallSummary } from '../../domain/call';
import { completeFromRecords, rebuildCalls } from '../../domain/recovery';
import type { CallHistorySource, CallStore, MessageQueue, RecoveryPage } from '../../ports';
import type { CallSettlement } from './settlement';

/** A recovered call matches a seen one when both start within this of each other. */
const RECOVERY_MATCH_MS = 10_000;
/**
 * A recovery message does at most this many calls, and once it did the minimum, stops when the
 * budget (from its start, the PBX reads included) is spent: the reads alone can take two
 * background timeouts (26 s at most) of the function's 30 s.
 */
const RECOVERY_PAGE_MAX_CALLS = 100;
const RECOVERY_PAGE_MIN_CALLS = 10;
const RECOVERY_PAGE_BUDGET_MS = 20_000;

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface RecoverySettings {
  history: CallHistorySource;
  /** How far back to look. */
  windowSeconds: number;
  /** Calls younger than this are left to their webhooks. */
  lagSeconds: number;
}

export interface RecoveryRun {
  recovered: string[];
  completed: string[];
  known: number;
  next?: RecoveryPage;
}

export class CallRecovery {
  constructor(
    private readonly calls: CallStore,
    private readonly queue: MessageQueue,
    private readonly settlement: CallSettlement,
    private readonly recovery: RecoverySettings | undefined,
    private readonly now: () => number,
  ) {}

  async recover(projectId: string, page?: RecoveryPage): Promise<RecoveryRun> {
    const recovery = this.recovery;
    if (!recovery) return { recovered: [], completed: [], known: 0 };
    const startedAt = this.now();
    const lagMs = recovery.lagSeconds * 1000;
    const window = page ?? { from: startedAt - recovery.windowSeconds * 1000, to: startedAt - lagMs };
    const [rows, records] = await Promise.all([
      recovery.history.statistics(projectId, new Date(window.from), new Date(window.to)),
      recovery.history.records(projectId, new Date(window.from), new Date(window.to)),
    ]);
    const candidates = rebuildCalls(projectId, rows, records)
      .map((candidate) => ({ candidate, summary: summarise(candidate) }))
      .sort((a, b) => a.summary.startedAt - b.summary.startedAt || compareText(a.candidate.extTrackingId, b.candidate.extTrackingId))
      .filter(({ candidate, summary }) => !page || summary.startedAt > page.afterAt || (summary.startedAt === page.afterAt && compareText(candidate.extTrackingId, page.afterId) > 0));
    const recovered: string[] = [];
    const completed: string[] = [];
    let known = 0;
    let done = 0;
    for (const { candidate, summary } of candidates) {
      const elapsedMs = this.now() - startedAt;
      if (done >= RECOVERY_PAGE_MAX_CALLS || (done >= RECOVERY_PAGE_MIN_CALLS && elapsedMs >= RECOVERY_PAGE_BUDGET_MS)) {
        const last = candidates[done - 1]!;
        const next = { from: window.from, to: window.to, afterAt: last.summary.startedAt, afterId: last.candidate.extTrackingId };
        await this.queue.send({ v: 1, kind: 'recover', projectId, page: next });
        return { recovered, completed, known, next };
      }
      done++;
      const outcome = await this.recoverCall(projectId, candidate, summary, lagMs);
      if (outcome === 'recovered') recovered.push(candidate.extTrackingId);
      else {
        known++;
        completed.push(...outcome.completed);
      }
    }
    return { recovered, completed, known };
  }

  private async recoverCall(projectId: string, candidate: CallState, summary: CallSummary, lagMs: number): Promise<'recovered' | { completed: string[] }> {
    const byId = await this.calls.load(projectId, candidate.extTrackingId);
    const near = byId || summary.clientPhone === undefined ? [] : await this.calls.callsNear(projectId, summary.startedAt, summary.clientPhone, RECOVERY_MATCH_MS);
    // `save` with version 0 only creates: a concurrent run or a late live call wins the race.
    if (!byId && near.length === 0 && (await this.calls.save(candidate, summary, 0)).saved) {
      await this.settlement.settle(projectId, candidate.extTrackingId);
      return 'recovered';
    }
    // Saved by an earlier run that died before settling it: settled now (settling is idempotent).
    if (byId?.state.recovered && !byId.state.finalized) {
      await this.settlement.settle(projectId, candidate.extTrackingId);
      return 'recovered';
    }
    const completed: string[] = [];
    // Only calls still open are read again (most known calls ended long ago).
    const open = near.filter((call) => call.outcome === 'in_progress');
    const seen = byId ? [byId] : await Promise.all(open.map((call) => this.calls.load(projectId, call.extTrackingId)));
    for (const stored of seen) {
      // Still hearing from the PBX: its own webhooks will end it.
      if (!stored || stored.state.lastChangeAt > this.now() - lagMs) continue;
      const done = completeFromRecords(stored.state, candidate, RECOVERY_MATCH_MS);
      if (done && (await this.calls.save(done, summarise(done), stored.version)).saved) {
        await this.settlement.settle(projectId, done.extTrackingId);
        completed.push(done.extTrackingId);
      }
    }
    return { completed };
  }
}
