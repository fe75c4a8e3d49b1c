/**
 * Rebuilding calls whose webhooks never arrived from what the PBX keeps: call statistics (one
 * row per leg, no call id) and recordings (with the call's extTrackingId). The rebuilt call
 * then goes through the same settle-and-finalize path as a live one.
 */
import type { CallState, Leg } from './call';
import { normaliseClientPhone, normaliseEmployeeNumber } from './phone';

export interface StatisticsRow {
  startDate: number;
  abonent?: { userId: string; phone?: string; extension?: string };
  direction?: string;
  /** `RECIEVED` (sic), `PLACED`, `MISSED`, `REDIRECTED`. */
  status?: string;
  /** ms: talk time of an answered leg, ringing time of a missed one. */
  duration?: number;
  phone_from?: string;
  phone_to?: string;
  /** The events' `extTrackingId`, on recent rows: the exact key of the call. */
  externalTrackingId?: string;
}

export interface RecordingRow {
  externalId?: string;
  phone?: string;
  date: number;
  abonent?: { userId: string; phone?: string };
}

/** Legs of one call follow each other closely (a hunt group rings the next right away). */
const SAME_CALL_GAP_MS = 15_000;
/** A recording's date and its leg's start differ by at most this. */
const RECORD_MATCH_MS = 5_000;

interface RowLeg {
  extTrackingId?: string;
  operatorPhone?: string;
  targetId?: string;
  incoming: boolean;
  clientPhone: string;
  start: number;
  end: number;
  answered: boolean;
  recordId?: string;
}

export function rebuildCalls(projectId: string, rows: StatisticsRow[], records: RecordingRow[]): CallState[] {
  const legs = rows
    .map(toRowLeg)
    .filter((leg): leg is RowLeg => leg !== undefined)
    .sort((a, b) => a.start - b.start);

  for (const leg of legs) {
    const record = records.find(
      (r) =>
        r.externalId &&
        Math.abs(r.date - leg.start) <= RECORD_MATCH_MS &&
        normaliseClientPhone(r.phone) === leg.clientPhone &&
        normaliseEmployeeNumber(r.abonent?.phone ?? r.abonent?.userId.split('@')[0]) === leg.operatorPhone,
    );
    leg.recordId = record?.externalId;
  }

  const groups: RowLeg[][] = [];
  const byTrackingId = new Map<string, RowLeg[]>();
  for (const leg of legs) {
    // Rows naming their call are grouped by it; the others by number and time.
    if (leg.extTrackingId) {
      const group = byTrackingId.get(leg.extTrackingId);
      if (group) group.push(leg);
      else {
        const created = [leg];
        byTrackingId.set(leg.extTrackingId, created);
        groups.push(created);
      }
      continue;
    }
    const group = groups.find((g) => {
      const last = g[g.length - 1]!;
      return !last.extTrackingId && last.clientPhone === leg.clientPhone && last.incoming === leg.incoming && leg.start <= Math.max(...g.map((l) => l.end)) + SAME_CALL_GAP_MS;
    });
    if (group) group.push(leg);
    else groups.push([leg]);
  }

  return groups.map((group) => {
    const first = group[0]!;
    const extTrackingId = first.extTrackingId ?? group.find((leg) => leg.recordId)?.recordId ?? `recovered-${first.operatorPhone ?? 'pbx'}-${first.start}`;
    const callLegs: Record<string, Leg> = {};
    group.forEach((leg, i) => {
      const callId = `recovered-${i}`;
      callLegs[callId] = {
        callId,
        targetId: leg.targetId,
        operatorPhone: leg.operatorPhone,
        personality: leg.incoming ? 'Terminator' : 'Originator',
        startTime: leg.start,
        answerTime: leg.answered ? leg.start : undefined,
        releaseTime: leg.end,
        released: true,
        remotePhone: leg.clientPhone,
        remoteInternal: false,
        remotePrivacy: false,
        recorded: leg.recordId !== undefined,
        firstSeenAt: leg.start,
      };
    });
    return { projectId, extTrackingId, legs: callLegs, seenEventIds: [], lastChangeAt: 0, otherEvents: [], recovered: true };
  });
}

function toRowLeg(row: StatisticsRow): RowLeg | undefined {
  const incoming = row.direction !== 'OUTBOUND';
  const clientPhone = normaliseClientPhone(incoming ? row.phone_from : row.phone_to);
  // Hidden numbers and calls between colleagues produce no client effects: nothing to recover.
  if (!clientPhone) return undefined;
  const duration = row.duration ?? 0;
  const status = row.status?.toUpperCase();
  return {
    extTrackingId: row.externalTrackingId || undefined,
    // A SIP account's row has no number: its extension is its PBX number.
    operatorPhone: normaliseEmployeeNumber(row.abonent?.phone ?? row.abonent?.userId.split('@')[0]) ?? row.abonent?.extension,
    targetId: row.abonent?.userId,
    incoming,
    clientPhone,
    start: row.startDate,
    end: row.startDate + duration,
    // A missed or redirected row's duration is ringing time, not an answer.
    answered: status === 'RECIEVED' || (status === 'PLACED' && duration > 0),
  };
}

/**
 * A live call whose last webhooks never arrived (typically its releases), completed from the
 * PBX's records of it: each leg still open takes the end (and answer) of the recorded leg of
 * the same employee that started within `toleranceMs`, and recorded legs no webhook told of
 * are added. Only when *every* open leg has such a finished record, so a call still ringing or
 * talking on some leg is never closed. Undefined when the call cannot be completed this way.
 */
export function completeFromRecords(live: CallState, recorded: CallState, toleranceMs: number): CallState | undefined {
  if (live.finalized) return undefined;
  const liveLegs = Object.values(live.legs);
  if (liveLegs.every((leg) => leg.released)) return undefined;
  const unused = Object.values(recorded.legs);
  const startOf = (leg: Leg) => leg.startTime ?? leg.firstSeenAt;
  const take = (leg: Leg): Leg | undefined => {
    if (leg.operatorPhone === undefined) return undefined;
    const at = unused.findIndex((r) => r.operatorPhone === leg.operatorPhone && Math.abs(startOf(r) - startOf(leg)) <= toleranceMs);
    return at === -1 ? undefined : unused.splice(at, 1)[0];
  };
  const legs: Record<string, Leg> = {};
  for (const leg of liveLegs) {
    if (leg.released) {
      legs[leg.callId] = leg;
      take(leg); // its record, if any, is this leg's: not a leg of its own
      continue;
    }
    const record = take(leg);
    if (!record) return undefined;
    legs[leg.callId] = {
      ...leg,
      released: true,
      releaseTime: record.releaseTime,
      answerTime: leg.answerTime ?? record.answerTime,
      recorded: leg.recorded || record.recorded,
    };
  }
  for (const record of unused) legs[record.callId] = record;
  return { ...live, legs, recovered: true };
}
