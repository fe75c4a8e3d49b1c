/** What the project's call log (`GET /projects/{id}/calls`) shows of a call. */
import { isEmployeesCall, type CallState, type CallSummary, type Direction, type Outcome } from './call';

/** One entry of the project's call log (`GET /projects/{id}/calls`). */
export interface CallLogEntry {
  extTrackingId: string;
  direction: Direction;
  outcome: Outcome;
  clientPhone?: string;
  clientId?: string;
  operatorPhone?: string;
  startedAt: string;
  endedAt?: string;
  recordLink?: string;
  /** Rebuilt from the PBX's records because its webhooks never arrived. */
  recovered?: boolean;
}

/** A pickup or transfer joined into another call, and a call of no configured employee, are not listed. */
export function shownInCallLog(state: CallState): boolean {
  return state.continues === undefined && isEmployeesCall(state);
}

/** What the call log shows of a call. */
export function logEntryOf(state: CallState, summary: CallSummary): CallLogEntry {
  return {
    extTrackingId: state.extTrackingId,
    direction: summary.direction,
    outcome: summary.outcome,
    clientPhone: summary.clientPhone,
    clientId: state.finalized?.clientId,
    operatorPhone: summary.operatorPhone,
    startedAt: new Date(summary.startedAt).toISOString(),
    endedAt: summary.endedAt === undefined ? undefined : new Date(summary.endedAt).toISOString(),
    recordLink: state.recordLink,
    recovered: state.recovered,
  };
}
