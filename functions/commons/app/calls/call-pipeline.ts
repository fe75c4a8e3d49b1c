/**
 * The processor's work, independent of AWS: merge an event into its call, and once the call
 * has settled, decide its outcome and produce its effects exactly once.
 */
import { applyEvent, callOf, joinContinuation, needsAmend, newCall, seeksContinued, settleDeadline, startedByClickToCall, summarise, type CallState, type CallSummary } from '../../domain/call';
import { defaultProject, newClientForPhone, type Client, type ProjectSettings } from '../../domain/clients';
import { callVariables, notificationText } from '../../domain/effects';
import type { XsiEvent } from '../../domain/xsi-event';
import { completeFromRecords, rebuildCalls } from '../../domain/recovery';
import type { CallHistorySource, CallStore, ClientDirectory, MessageQueue, ProjectStore, RecordingSource, RecoveryPage } from '../../ports';
import { MAX_SQS_DELAY_SECONDS } from '../../contracts/sqs';

const MAX_ATTEMPTS = 8;
/** An event of a busy call (a ring-all group's legs all at once) may need more: with the capped back-off, 20 attempts stay within ~12 s. */
const MAX_EVENT_ATTEMPTS = 20;

export interface PipelineDeps {
  calls: CallStore;
  clients: ClientDirectory;
  projects: ProjectStore;
  queue: MessageQueue;
  settleSeconds: number;
  /** Recordings: where to look, how long to wait first and when to give up. */
  recordings?: {
    source: RecordingSource;
    /** This product's stable link for a call's recording. */
    linkFor: (projectId: string, extTrackingId: string) => Promise<string>;
    firstDelaySeconds: number;
    giveUpSeconds: number;
  };
  /** Recovery of calls whose webhooks never arrived. */
  recovery?: {
    history: CallHistorySource;
    /** How far back to look. */
    windowSeconds: number;
    /** Calls younger than this are left to their webhooks. */
    lagSeconds: number;
  };
  now?: () => number;
}

/** A click-to-call start and the first event of its call are this close (the PBX starts ringing the employee at once). */
const CLICK_TO_CALL_LINK_MS = 60_000;

/** Look-ups failing because the PBX fails go on this long after the call (see handleRecordLookup). */
const RECORD_OUTAGE_LIMIT_MS = 86_400_000;

/** A settle of a finalized call this long after its finalize is a retry after a crash (see resumeRecordLookup). */
const RESUME_LOOKUP_AFTER_MS = 10_000;

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

/**
 * The call a pickup or transfer continues started at most this long before it (a transfer
 * can follow a long talk), and is still open or ended at most `CONTINUED_RECENT_MS` before.
 */
const CONTINUED_LOOKBACK_MS = 4 * 3600_000;
const CONTINUED_RECENT_MS = 120_000;
/** Clocks of the PBX's nodes may differ this much. */
const CONTINUED_CLOCK_SLACK_MS = 5_000;

export type RecordOutcome = 'found' | 'retry-scheduled' | 'gave-up' | 'not-needed';

export type EventOutcome = 'applied' | 'duplicate' | 'not-a-call';

export interface EventDelivery {
  /** The PBX number of the employee whose subscription delivered the event. */
  number?: string;
  /** Delivered by the whole-PBX subscription. */
  wholePbx?: boolean;
}
export interface FinalizedCall {
  projectId: string;
  extTrackingId: string;
  summary: CallSummary;
  clientId?: string;
}

export type SettleOutcome =
  | { kind: 'finalized'; state: CallState; summary: CallSummary; clientId?: string; clientCreated: boolean }
  /** `joined`: a pickup or transfer joined into the call it continues, which settles instead. */
  | { kind: 'rescheduled' | 'still-active' | 'already-final' | 'unknown-call' | 'joined' };

export class ContentionError extends Error {}

/**
 * Before another optimistic-concurrency attempt: a random wait growing with the attempt, so the
 * writers of one busy call (a ring-all group's legs) spread out instead of colliding again.
 */
function backOff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  const ms = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 500;

export class CallPipeline {
  private readonly now: () => number;

  constructor(private readonly deps: PipelineDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** `delivered`: the subscription that delivered the event (an employee's, with its PBX number, or the whole PBX's). */
  async handleEvent(projectId: string, event: XsiEvent, receivedAt: number, delivered: EventDelivery = {}): Promise<EventOutcome> {
    const call = callOf(event);
    if (!call) return 'not-a-call';
    for (let attempt = 0; attempt < MAX_EVENT_ATTEMPTS; attempt++) {
      await backOff(attempt);
      const stored = await this.deps.calls.load(projectId, call.extTrackingId);
      const current = stored?.state ?? newCall(projectId, call.extTrackingId, receivedAt);
      const result = applyEvent(current, { event, receivedAt, operatorNumber: delivered.number, wholePbx: delivered.wholePbx });
      if (result.kind === 'duplicate') {
        // A redelivery after a crash between saving and scheduling must still schedule.
        await this.afterChange(current);
        return 'duplicate';
      }
      const next = seeksContinued(result.state) ? await this.withContinued(result.state) : result.state;
      if (await this.deps.calls.save(next, summarise(next), stored?.version ?? 0)) {
        await this.afterChange(next);
        return 'applied';
      }
    }
    throw new ContentionError(`call ${call.extTrackingId}: too many concurrent updates`);
  }

  async handleSettle(projectId: string, extTrackingId: string): Promise<SettleOutcome> {
    /** A client id that turned out to exist already although no index entry leads to it. */
    let existingClientId: string | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      await backOff(attempt);
      const stored = await this.deps.calls.load(projectId, extTrackingId);
      if (!stored) return { kind: 'unknown-call' };
      const { state } = stored;
      if (state.continues !== undefined) {
        await this.joinInto(state.continues, state);
        return { kind: 'joined' };
      }
      if (state.finalized && !needsAmend(state)) {
        // A settle retried after a crash between the finalize commit and the look-up's scheduling.
        await this.resumeRecordLookup(state);
        return { kind: 'already-final' };
      }
      const deadline = settleDeadline(state, this.deps.settleSeconds * 1000);
      if (deadline === undefined) return { kind: 'still-active' };
      const now = this.now();
      if (now < deadline) {
        await this.schedule(projectId, extTrackingId, deadline - now);
        return { kind: 'rescheduled' };
      }

      const decided = summarise(state);
      const outcome = decided.fresh;
      if (outcome === undefined) return { kind: 'still-active' };
      // A bot given this product's own Call ID (the PBX named none) finds the call by it.
      if (!state.finalized && decided.operatorPhone && startedByClickToCall(state)) {
        await this.deps.calls.linkClickToCall(projectId, extTrackingId, decided.operatorPhone, decided.startedAt, CLICK_TO_CALL_LINK_MS);
      }
      // Amending a finalized call: its client was already notified (if it had one).
      const alreadyNotified = state.finalized?.clientId !== undefined;
      const project = (await this.deps.projects.get(projectId)) ?? defaultProject(projectId);
      const clientPhone = decided.clientPhone;
      const hasClient = outcome === 'answered' || outcome === 'missed';
      const resolved = hasClient && clientPhone ? await this.resolveClient(project, clientPhone, existingClientId) : undefined;
      const clientId = resolved?.clientId;
      // A new client is created in the finalize transaction itself (one request fewer).
      // Posted after the client exists, so the dialog never shows a message older than its client.
      const at = new Date(Math.max(now, this.now()));
      const finalState: CallState = { ...state, finalized: { outcome, clientId, operatorPhone: decided.operatorPhone, finalizedAt: at.getTime() } };
      const summary = summarise(finalState);
      const result = await this.deps.calls.finalize({
        stored,
        state: finalState,
        summary,
        client: clientId
          ? {
              clientId,
              variables: callVariables(summary, project.timezone),
              notification: alreadyNotified ? undefined : notificationText(summary.direction),
              create: resolved?.create,
            }
          : undefined,
        at,
      });
      // `client-exists`: another call created this number's client a moment ago; match again.
      if (result === 'client-exists') existingClientId = resolved?.clientId;
      if (result === 'committed') {
        if (clientId && outcome === 'answered') await this.scheduleRecordLookup(finalState, summary, 0);
        return { kind: 'finalized', state: finalState, summary, clientId, clientCreated: resolved?.create !== undefined };
      }
    }
    throw new ContentionError(`call ${extTrackingId}: too many concurrent updates while settling`);
  }

  /**
   * Rebuilds the project's recent calls from the PBX's statistics and recordings, and produces
   * the effects of those this product never saw, through the same finalize path as live calls.
   * A call it saw but whose last webhooks never came (still open, quiet for longer than the lag,
   * while the PBX has finished it) is completed from the same records and settled.
   * Idempotent: a call already known (by id, or by number and start time) is never made twice.
   * One message does a bounded page of calls (by count and time); the rest of the window is
   * queued as the next page, so a big tenant's recovery never outlasts the function.
   */
  async recoverLostCalls(projectId: string, page?: RecoveryPage): Promise<{ recovered: string[]; completed: string[]; known: number; next?: RecoveryPage }> {
    const recovery = this.deps.recovery;
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
        await this.deps.queue.send({ v: 1, kind: 'recover', projectId, page: next });
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
    const byId = await this.deps.calls.load(projectId, candidate.extTrackingId);
    const near = byId || summary.clientPhone === undefined ? [] : await this.deps.calls.callsNear(projectId, summary.startedAt, summary.clientPhone, RECOVERY_MATCH_MS);
    // `save` with version 0 only creates: a concurrent run or a late live call wins the race.
    if (!byId && near.length === 0 && (await this.deps.calls.save(candidate, summary, 0))) {
      await this.handleSettle(projectId, candidate.extTrackingId);
      return 'recovered';
    }
    // Saved by an earlier run that died before settling it: settled now (settling is idempotent).
    if (byId?.state.recovered && !byId.state.finalized) {
      await this.handleSettle(projectId, candidate.extTrackingId);
      return 'recovered';
    }
    const completed: string[] = [];
    // Only calls still open are read again (most known calls ended long ago).
    const open = near.filter((call) => call.outcome === 'in_progress');
    const seen = byId ? [byId] : await Promise.all(open.map((call) => this.deps.calls.load(projectId, call.extTrackingId)));
    for (const stored of seen) {
      // Still hearing from the PBX: its own webhooks will end it.
      if (!stored || stored.state.lastChangeAt > this.now() - lagMs) continue;
      const done = completeFromRecords(stored.state, candidate, RECOVERY_MATCH_MS);
      if (done && (await this.deps.calls.save(done, summarise(done), stored.version))) {
        await this.handleSettle(projectId, done.extTrackingId);
        completed.push(done.extTrackingId);
      }
    }
    return { completed };
  }

  /**
   * Looks for the recording of an answered, recorded call; when the PBX has it, the call and
   * the client get this product's stable link. Otherwise tries again later, up to a limit.
   */
  async handleRecordLookup(projectId: string, extTrackingId: string, attempt: number): Promise<RecordOutcome> {
    const recordings = this.deps.recordings;
    if (!recordings) return 'not-needed';
    for (let write = 0; write < MAX_ATTEMPTS; write++) {
      const stored = await this.deps.calls.load(projectId, extTrackingId);
      const state = stored?.state;
      const summary = state && summarise(state);
      if (!stored || !state?.finalized || state.recordLink || !summary?.operatorTargetId) return 'not-needed';
      // Only answered calls of an employee who records calls are looked up: the event's
      // `<recorded/>` when it came, else the abonent's recording setting at the PBX (BASIC_CALL
      // events may never carry the element). If that setting cannot be read, the look-up is made
      // anyway: a call without a recording only costs look-ups until the give-up time.
      if (attempt === 0 && write === 0 && !summary.recorded && !(await recordings.source.recordsCalls(projectId, summary.operatorTargetId).catch(() => true))) return 'not-needed';
      // The PBX failing is "not there yet", tried again later; an outage does not count against
      // the give-up time (only the PBX saying it has no recording does), up to a day.
      let pbxFailed = false;
      const url = await recordings.source.reference(projectId, summary.operatorTrackingId, summary.operatorTargetId).catch(() => {
        pbxFailed = true;
        return undefined;
      });
      if (!url) {
        const elapsedMs = this.now() - state.finalized.finalizedAt;
        if (elapsedMs >= (pbxFailed ? RECORD_OUTAGE_LIMIT_MS : recordings.giveUpSeconds * 1000)) return 'gave-up';
        await this.scheduleRecordLookup(state, summary, attempt + 1);
        return 'retry-scheduled';
      }
      const link = await recordings.linkFor(projectId, extTrackingId);
      if (await this.deps.calls.setRecordLink(stored, link, state.finalized.clientId, summary.startedAt)) return 'found';
    }
    throw new ContentionError(`call ${extTrackingId}: too many concurrent updates while setting the record link`);
  }

  /**
   * An answered call with a client and no link yet, before the give-up time, gets a look-up
   * again: its settle was retried after a crash between the finalize commit and the look-up's
   * scheduling (a retry comes after the visibility timeout). Settles of the other legs arrive
   * within seconds of the finalize: those schedule nothing.
   */
  private async resumeRecordLookup(state: CallState): Promise<void> {
    const recordings = this.deps.recordings;
    const final = state.finalized;
    if (!recordings || !final || final.outcome !== 'answered' || !final.clientId || state.recordLink) return;
    const sinceFinal = this.now() - final.finalizedAt;
    if (sinceFinal < RESUME_LOOKUP_AFTER_MS || sinceFinal >= recordings.giveUpSeconds * 1000) return;
    await this.scheduleRecordLookup(state, summarise(state), 0);
  }

  /** Queues the look-up (attempt 0 first checks whether the employee records calls at all: see handleRecordLookup). */
  private async scheduleRecordLookup(state: CallState, summary: CallSummary, attempt: number): Promise<void> {
    const recordings = this.deps.recordings;
    if (!recordings || !summary.operatorTargetId || !state.finalized) return;
    const backoff = Math.min(MAX_SQS_DELAY_SECONDS, recordings.firstDelaySeconds * 2 ** attempt);
    // The last attempt falls on the give-up time; past it (a PBX outage) the back-off goes on.
    const remaining = Math.ceil((state.finalized.finalizedAt + recordings.giveUpSeconds * 1000 - this.now()) / 1000);
    const delaySeconds = remaining > 0 ? Math.min(backoff, remaining) : backoff;
    await this.deps.queue.send({ v: 1, kind: 'record', projectId: state.projectId, extTrackingId: state.extTrackingId, attempt }, delaySeconds);
  }

  /** §4: telephony client, else a client holding the number in a variable, else a new one. */
  /** The matched client, or the one to create (its id derives from the number: concurrent creators collide). */
  private async resolveClient(project: ProjectSettings, phone: string, existingClientId?: string): Promise<{ clientId: string; create?: Client }> {
    const found = await this.deps.clients.match(project.projectId, phone);
    if (found) return { clientId: found.clientId };
    if (existingClientId) return { clientId: existingClientId };
    const client = newClientForPhone(phone, project, new Date(this.now()));
    return { clientId: client.clientId, create: client };
  }

  /**
   * A pickup or transfer under a tracking id of its own: the call it continues is the latest
   * one with the same client still open (or just ended). Without a client number, or when no
   * such call exists, it stays a call of its own.
   */
  private async withContinued(state: CallState): Promise<CallState> {
    const { clientPhone, startedAt } = summarise(state);
    if (clientPhone === undefined) return state;
    const continued = await this.deps.calls.findContinued(state.projectId, {
      clientPhone,
      at: startedAt + CONTINUED_CLOCK_SLACK_MS,
      lookbackMs: CONTINUED_LOOKBACK_MS,
      recentMs: CONTINUED_RECENT_MS,
      excluding: state.extTrackingId,
    });
    return continued === undefined ? state : { ...state, continues: continued };
  }

  /** After a call changed: a continuation's legs go to the call it continues, which settles for both. */
  private async afterChange(state: CallState): Promise<void> {
    if (state.continues !== undefined) await this.joinInto(state.continues, state);
    else await this.scheduleSettleIfEnded(state);
  }

  private async joinInto(rootId: string, continuation: CallState): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      await backOff(attempt);
      const root = await this.deps.calls.load(continuation.projectId, rootId);
      if (!root) return;
      const joined = joinContinuation(root.state, continuation);
      if (!joined) {
        // Already joined (a redelivery): the settle may not have been scheduled before a crash.
        await this.scheduleSettleIfEnded(root.state);
        return;
      }
      if (await this.deps.calls.save(joined, summarise(joined), root.version)) {
        await this.scheduleSettleIfEnded(joined);
        return;
      }
    }
    throw new ContentionError(`call ${rootId}: too many concurrent updates while joining ${continuation.extTrackingId}`);
  }

  private async scheduleSettleIfEnded(state: CallState): Promise<void> {
    if (state.finalized && !needsAmend(state)) return;
    const deadline = settleDeadline(state, this.deps.settleSeconds * 1000);
    if (deadline === undefined) return;
    await this.schedule(state.projectId, state.extTrackingId, deadline - this.now());
  }

  private schedule(projectId: string, extTrackingId: string, delayMs: number): Promise<void> {
    const delaySeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000)));
    return this.deps.queue.send({ v: 1, kind: 'settle', projectId, extTrackingId }, delaySeconds);
  }
}
