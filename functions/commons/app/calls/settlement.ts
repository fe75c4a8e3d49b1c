/**
 * A call whose settle period has ended: its outcome decided, its client matched (or created),
 * and its effects (deal variables, dialog notification, the call marked final) written in one
 * transaction, exactly once.
 */
import { needsAmend, startedByClickToCall, summarise, type CallState, type CallSummary } from '../../domain/call';
import { defaultProject, newClientForPhone, type Client, type ProjectSettings } from '../../domain/clients';
import { callVariables, notificationText } from '../../domain/effects';
import { callEventOf } from '../../domain/outbound-events';
import type { CallStore, ClientDirectory, ProjectStore } from '../../ports';
import type { CallEvents } from './call-events';
import { backOff, ContentionError, MAX_ATTEMPTS } from './concurrency';
import type { MissedCalls } from './missed-calls';
import type { RecordLookups } from './record-lookups';
import type { RecentCalls } from './recent-calls';
import type { SettleTimer } from './settle-timer';

/** A click-to-call start and the first event of its call are this close (the PBX starts ringing the employee at once). */
const CLICK_TO_CALL_LINK_MS = 60_000;

export type SettleOutcome =
  | { kind: 'finalized'; state: CallState; summary: CallSummary; clientId?: string; clientCreated: boolean }
  /** `joined`: a pickup or transfer joined into the call it continues, which settles instead. */
  | { kind: 'rescheduled' | 'still-active' | 'already-final' | 'unknown-call' | 'joined' };

export interface SettlementDeps {
  calls: CallStore;
  clients: ClientDirectory;
  projects: ProjectStore;
  timer: SettleTimer;
  events: CallEvents;
  recordLookups: RecordLookups;
  missedCalls: MissedCalls;
  /** A call this process saved last is committed from that state, the finalize's version condition guarding it. */
  recent: RecentCalls;
  now: () => number;
}

export class CallSettlement {
  constructor(private readonly deps: SettlementDeps) {}

  async settle(projectId: string, extTrackingId: string): Promise<SettleOutcome> {
    const { calls, timer, now: clock } = this.deps;
    /** A client id that turned out to exist already although no index entry leads to it. */
    let existingClientId: string | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      await backOff(attempt);
      const recent = attempt === 0 ? this.deps.recent.get(projectId, extTrackingId) : undefined;
      // Only to commit: a remembered state may be behind, so every decision that writes nothing is made on the stored call.
      const stored = recent && this.dueToFinalize(recent.state) ? recent : await calls.load(projectId, extTrackingId);
      if (!stored) return { kind: 'unknown-call' };
      const { state } = stored;
      if (state.continues !== undefined) {
        await this.deps.events.joinInto(state.continues, state);
        return { kind: 'joined' };
      }
      if (state.finalized && !needsAmend(state)) {
        // A settle retried after a crash between the finalize commit and the look-up's scheduling.
        await this.deps.recordLookups.resume(state);
        await this.deps.missedCalls.resume(state);
        return { kind: 'already-final' };
      }
      const deadline = timer.deadlineOf(state);
      if (deadline === undefined) return { kind: 'still-active' };
      const now = clock();
      if (now < deadline) {
        await timer.schedule(projectId, extTrackingId, deadline - now);
        return { kind: 'rescheduled' };
      }

      const decided = summarise(state);
      const outcome = decided.fresh;
      if (outcome === undefined) return { kind: 'still-active' };
      // A bot given this product's own Call ID (the PBX named none) finds the call by it.
      if (!state.finalized && decided.operatorPhone && startedByClickToCall(state)) {
        await calls.linkClickToCall(projectId, extTrackingId, decided.operatorPhone, decided.startedAt, CLICK_TO_CALL_LINK_MS);
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
      const at = new Date(Math.max(now, clock()));
      const finalState: CallState = { ...state, finalized: { outcome, clientId, operatorPhone: decided.operatorPhone, finalizedAt: at.getTime() } };
      const summary = summarise(finalState);
      const variables = callVariables(summary, project.timezone);
      const notification = alreadyNotified ? undefined : notificationText(summary.direction);
      const result = await calls.finalize({
        stored,
        state: finalState,
        summary,
        client: clientId
          ? {
              clientId,
              variables,
              notification,
              create: resolved?.create,
              event: notification === undefined ? undefined : callEventOf(state, summary, clientId, notification, variables, at),
            }
          : undefined,
        at,
      });
      // `client-exists`: another call created this number's client a moment ago; match again.
      if (result === 'client-exists') existingClientId = resolved?.clientId;
      if (result !== 'committed') this.deps.recent.forget(projectId, extTrackingId);
      if (result === 'committed') {
        this.deps.recent.remember({ state: finalState, version: stored.version + 1 });
        if (clientId && outcome === 'answered') await this.deps.recordLookups.schedule(finalState, summary, 0);
        await this.deps.missedCalls.schedule(finalState, summary);
        return { kind: 'finalized', state: finalState, summary, clientId, clientCreated: resolved?.create !== undefined };
      }
    }
    throw new ContentionError(`call ${extTrackingId}: too many concurrent updates while settling`);
  }

  /** A call to finalize now, as far as this state tells: ended, settled long enough, not joined into another, not final yet. */
  private dueToFinalize(state: CallState): boolean {
    const deadline = this.deps.timer.deadlineOf(state);
    return state.continues === undefined && state.finalized === undefined && deadline !== undefined && this.deps.now() >= deadline && summarise(state).fresh !== undefined;
  }

  /** §4: telephony client, else a client holding the number in a variable, else the one to create (its id derives from the number: concurrent creators collide). */
  private async resolveClient(project: ProjectSettings, phone: string, existingClientId?: string): Promise<{ clientId: string; create?: Client }> {
    const found = await this.deps.clients.match(project.projectId, phone);
    if (found) return { clientId: found.clientId };
    if (existingClientId) return { clientId: existingClientId };
    const client = newClientForPhone(phone, project, new Date(this.deps.now()));
    return { clientId: client.clientId, create: client };
  }
}
