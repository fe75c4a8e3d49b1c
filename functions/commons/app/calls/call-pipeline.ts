/**
 * The processor's work, independent of AWS, as one object over the four use cases: an event
 * merged into its call (call-events.ts), a settled call's effects produced exactly once
 * (settlement.ts), its recording looked up (record-lookups.ts), and calls whose webhooks never
 * arrived recovered from the PBX's records (recovery.ts).
 */
import type { CallSummary } from '../../domain/call';
import type { XsiEvent } from '../../domain/xsi-event';
import type { CallStore, ClientDirectory, MessageQueue, OutboundEventFeed, ProjectStore, RecoveryPage } from '../../ports';
import { CallEvents, type EventDelivery, type EventOutcome } from './call-events';
import { MissedCalls, type MissedCheckOutcome } from './missed-calls';
import { RecordLookups, type RecordingSettings, type RecordOutcome } from './record-lookups';
import { CallRecovery, type RecoveryRun, type RecoverySettings } from './recovery';
import { RecentCalls } from './recent-calls';
import { CallSettlement, type SettleOutcome } from './settlement';
import { SettleTimer } from './settle-timer';

export { ContentionError } from './concurrency';
export type { EventDelivery, EventOutcome, MissedCheckOutcome, RecordOutcome, RecoveryRun, SettleOutcome };

export interface PipelineDeps {
  calls: CallStore;
  clients: ClientDirectory;
  projects: ProjectStore;
  queue: MessageQueue;
  /** Events that are their own effect (`beeline_missed_unreturned`). */
  events: Pick<OutboundEventFeed, 'append'>;
  settleSeconds: number;
  /** Recordings: where to look, how long to wait first and when to give up. */
  recordings?: RecordingSettings;
  /** Recovery of calls whose webhooks never arrived. */
  recovery?: RecoverySettings;
  now?: () => number;
}

export interface FinalizedCall {
  projectId: string;
  extTrackingId: string;
  summary: CallSummary;
  clientId?: string;
}

export class CallPipeline {
  private readonly events: CallEvents;
  private readonly settlement: CallSettlement;
  private readonly recordLookups: RecordLookups;
  private readonly recovery: CallRecovery;
  private readonly missedCalls: MissedCalls;

  constructor(deps: PipelineDeps) {
    const now = deps.now ?? Date.now;
    const timer = new SettleTimer(deps.queue, deps.settleSeconds, now);
    const recent = new RecentCalls();
    this.events = new CallEvents(deps.calls, deps.clients, timer, now, recent);
    this.recordLookups = new RecordLookups(deps.calls, deps.queue, deps.recordings, now);
    this.missedCalls = new MissedCalls(deps.calls, deps.projects, deps.events, deps.queue, now);
    this.settlement = new CallSettlement({
      calls: deps.calls,
      clients: deps.clients,
      projects: deps.projects,
      timer,
      events: this.events,
      recordLookups: this.recordLookups,
      missedCalls: this.missedCalls,
      recent,
      now,
    });
    this.recovery = new CallRecovery(deps.calls, deps.queue, this.settlement, deps.recovery, now);
  }

  handleEvent(projectId: string, event: XsiEvent, receivedAt: number, delivered?: EventDelivery): Promise<EventOutcome> {
    return this.events.handle(projectId, event, receivedAt, delivered);
  }

  handleSettle(projectId: string, extTrackingId: string): Promise<SettleOutcome> {
    return this.settlement.settle(projectId, extTrackingId);
  }

  handleRecordLookup(projectId: string, extTrackingId: string, attempt: number): Promise<RecordOutcome> {
    return this.recordLookups.handle(projectId, extTrackingId, attempt);
  }

  /** Whether a missed incoming call was returned in time; else it is reported once. */
  handleMissedCheck(projectId: string, extTrackingId: string): Promise<MissedCheckOutcome> {
    return this.missedCalls.check(projectId, extTrackingId);
  }

  recoverLostCalls(projectId: string, page?: RecoveryPage): Promise<RecoveryRun> {
    return this.recovery.recover(projectId, page);
  }
}
