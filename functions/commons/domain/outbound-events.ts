/**
 * What the bot engine learns of a call: outbound events `{eventId, type, projectId, clientId?,
 * occurredAt, data}`, written in the same transaction as the effect they report (an event
 * exists if and only if its effect happened). Ids derive from what the event is about, so no
 * redelivery or retry can make a second one.
 */
import { createHash } from 'node:crypto';
import type { CallSummary } from './call';
import type { CallVariables } from './effects';

export const OUTBOUND_EVENT_TYPES = ['beeline_call_event', 'beeline_record_link', 'beeline_call_started', 'beeline_missed_unreturned'] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

/** The feed and deliveries keep an event this long. */
export const OUTBOUND_EVENT_KEPT_DAYS = 30;

export interface OutboundEvent {
  eventId: string;
  type: OutboundEventType;
  projectId: string;
  clientId?: string;
  /** ISO time of the effect. */
  occurredAt: string;
  data: Record<string, unknown>;
}

/** `evt_` + 26 base64url characters of SHA-256 over what the event is about. */
export function outboundEventId(projectId: string, type: OutboundEventType, subject: string): string {
  return `evt_${createHash('sha256').update(`${projectId}\u0000${type}\u0000${subject}`).digest('base64url').slice(0, 26)}`;
}

/** The client's dialog got the call's notification. */
export function callEventOf(call: { projectId: string; extTrackingId: string }, summary: CallSummary, clientId: string, text: string, variables: CallVariables, at: Date): OutboundEvent {
  const { projectId, extTrackingId } = call;
  return {
    eventId: outboundEventId(projectId, 'beeline_call_event', extTrackingId),
    type: 'beeline_call_event',
    projectId,
    clientId,
    occurredAt: at.toISOString(),
    data: { text, variables, call: { extTrackingId, direction: summary.direction, outcome: summary.outcome } },
  };
}

/** The first leg of a call with a client number started ringing (`clientId` when a client exists already). */
export function callStartedEventOf(call: { projectId: string; extTrackingId: string }, summary: CallSummary, clientId: string | undefined, at: Date): OutboundEvent {
  const { projectId, extTrackingId } = call;
  return {
    eventId: outboundEventId(projectId, 'beeline_call_started', extTrackingId),
    type: 'beeline_call_started',
    projectId,
    ...(clientId !== undefined && { clientId }),
    occurredAt: at.toISOString(),
    data: {
      extTrackingId,
      direction: summary.direction,
      clientPhone: summary.clientPhone,
      ...(summary.operatorPhone !== undefined && { operatorPhone: summary.operatorPhone }),
    },
  };
}

/** A missed incoming call got no answered call with the client within the project's return time. */
export function missedUnreturnedEventOf(projectId: string, clientId: string, extTrackingId: string, clientPhone: string, missedAt: number, reportedAt: number): OutboundEvent {
  return {
    eventId: outboundEventId(projectId, 'beeline_missed_unreturned', extTrackingId),
    type: 'beeline_missed_unreturned',
    projectId,
    clientId,
    // Fixed by the call (not by when the check ran), so a repeated check writes the same item.
    occurredAt: new Date(reportedAt).toISOString(),
    data: { extTrackingId, clientPhone, missedAt: new Date(missedAt).toISOString() },
  };
}

/** The client's `beeline_record_link` got its value (the link of that call: one event per link value). */
export function recordLinkEventOf(projectId: string, clientId: string, extTrackingId: string, link: string, at: Date): OutboundEvent {
  return {
    eventId: outboundEventId(projectId, 'beeline_record_link', `${extTrackingId}\u0000${link}`),
    type: 'beeline_record_link',
    projectId,
    clientId,
    occurredAt: at.toISOString(),
    data: { extTrackingId, beeline_record_link: link },
  };
}
