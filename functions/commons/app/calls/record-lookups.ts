/**
 * The recording of an answered call: looked up at the PBX after a delay, then with back-off
 * until the give-up time; when the PBX has it, the call and the client get this product's
 * stable link.
 */
import { MAX_SQS_DELAY_SECONDS } from '../../contracts/sqs';
import { summarise, type CallState, type CallSummary } from '../../domain/call';
import { recordLinkEventOf } from '../../domain/outbound-events';
import type { CallStore, MessageQueue, RecordingSource } from '../../ports';
import { ContentionError, MAX_ATTEMPTS } from './concurrency';

/** Look-ups failing because the PBX fails go on this long after the call (see handle). */
const RECORD_OUTAGE_LIMIT_MS = 86_400_000;

/** A settle of a finalized call this long after its finalize is a retry after a crash (see resume). */
const RESUME_LOOKUP_AFTER_MS = 10_000;

export type RecordOutcome = 'found' | 'retry-scheduled' | 'gave-up' | 'not-needed';

export interface RecordingSettings {
  source: RecordingSource;
  /** This product's stable link for a call's recording. */
  linkFor: (projectId: string, extTrackingId: string) => Promise<string>;
  firstDelaySeconds: number;
  giveUpSeconds: number;
}

export class RecordLookups {
  constructor(
    private readonly calls: CallStore,
    private readonly queue: MessageQueue,
    private readonly recordings: RecordingSettings | undefined,
    private readonly now: () => number,
  ) {}

  async handle(projectId: string, extTrackingId: string, attempt: number): Promise<RecordOutcome> {
    const recordings = this.recordings;
    if (!recordings) return 'not-needed';
    for (let write = 0; write < MAX_ATTEMPTS; write++) {
      const stored = await this.calls.load(projectId, extTrackingId);
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
        await this.schedule(state, summary, attempt + 1);
        return 'retry-scheduled';
      }
      const link = await recordings.linkFor(projectId, extTrackingId);
      const clientId = state.finalized.clientId;
      const event = clientId === undefined ? undefined : recordLinkEventOf(projectId, clientId, extTrackingId, link, new Date(this.now()));
      if (await this.calls.setRecordLink(stored, link, clientId, summary.startedAt, event)) return 'found';
    }
    throw new ContentionError(`call ${extTrackingId}: too many concurrent updates while setting the record link`);
  }

  /**
   * An answered call with a client and no link yet, before the give-up time, gets a look-up
   * again: its settle was retried after a crash between the finalize commit and the look-up's
   * scheduling (a retry comes after the visibility timeout). Settles of the other legs arrive
   * within seconds of the finalize: those schedule nothing.
   */
  async resume(state: CallState): Promise<void> {
    const recordings = this.recordings;
    const final = state.finalized;
    if (!recordings || !final || final.outcome !== 'answered' || !final.clientId || state.recordLink) return;
    const sinceFinal = this.now() - final.finalizedAt;
    if (sinceFinal < RESUME_LOOKUP_AFTER_MS || sinceFinal >= recordings.giveUpSeconds * 1000) return;
    await this.schedule(state, summarise(state), 0);
  }

  /** Queues the look-up (attempt 0 first checks whether the employee records calls at all: see handle). */
  async schedule(state: CallState, summary: CallSummary, attempt: number): Promise<void> {
    const recordings = this.recordings;
    if (!recordings || !summary.operatorTargetId || !state.finalized) return;
    const backoff = Math.min(MAX_SQS_DELAY_SECONDS, recordings.firstDelaySeconds * 2 ** attempt);
    // The last attempt falls on the give-up time; past it (a PBX outage) the back-off goes on.
    const remaining = Math.ceil((state.finalized.finalizedAt + recordings.giveUpSeconds * 1000 - this.now()) / 1000);
    const delaySeconds = remaining > 0 ? Math.min(backoff, remaining) : backoff;
    await this.queue.send({ v: 1, kind: 'record', projectId: state.projectId, extTrackingId: state.extTrackingId, attempt }, delaySeconds);
  }
}
