/**
 * Which client a call belongs to (product spec §4), as rules over plain data. The store
 * answers "what is indexed under this number" with one keyed read; these rules decide.
 */
import { DEFAULT_TIMEZONE } from './effects';
import { normaliseClientPhone } from './phone';

export const TELEPHONY_CHANNEL = 'telephony';
export const WHATSAPP_CHANNEL = 'whatsapp';

export interface Client {
  clientId: string;
  channel: string;
  phone?: string;
  variables: Record<string, string>;
  dealVariables: Record<string, string>;
  createdAt: string;
  /** A call with the client is ringing or talking now (`GET …/clients/{clientId}` only). */
  activeCall?: ActiveCall;
}

export interface ActiveCall {
  extTrackingId: string;
  /** When the call started, as the PBX tells it. */
  startedAt: string;
}

/** A call whose end was never seen stops being the client's active call this long after it was reported. */
export const ACTIVE_CALL_MAX_MS = 4 * 3600_000;

/** The client's active call: the latest reported of those not yet ended and not stale. */
export function activeCallOf(calls: (ActiveCall & { reportedAt: number })[], now: number): ActiveCall | undefined {
  const latest = calls.filter((call) => now - call.reportedAt < ACTIVE_CALL_MAX_MS).sort((a, b) => b.reportedAt - a.reportedAt)[0];
  return latest && { extTrackingId: latest.extTrackingId, startedAt: latest.startedAt };
}

export interface ProjectSettings {
  projectId: string;
  name?: string;
  timezone: string;
  messengers: string[];
  /** A missed incoming call with no answered call with the client within this is reported (`beeline_missed_unreturned`). */
  missedCallReturnMinutes: number;
}

export const DEFAULT_MISSED_CALL_RETURN_MINUTES = 30;
export const MAX_MISSED_CALL_RETURN_MINUTES = 1440;

/** What the phone index holds for one number, best match first. */
export type PhoneMatch = { clientId: string; via: 'telephony' | 'variable' };

/**
 * Numbers under which a client is found: a telephony client by its own number (rank 1), any
 * other client by its own number or by a variable holding a number (rank 2).
 */
const CANONICAL = /^[1-9][0-9]{10,14}$/;

export function phoneIndexEntries(client: Pick<Client, 'channel' | 'phone' | 'variables'>): {
  telephony?: string;
  variables: string[];
} {
  // The client's own number is stored canonical: taken as it is (normalised again, a `+81…`
  // number stored as `81…` would read as the Russian trunk form `8…`).
  const own = client.phone !== undefined && CANONICAL.test(client.phone) ? client.phone : normaliseClientPhone(client.phone);
  const telephony = client.channel === TELEPHONY_CHANNEL ? own : undefined;
  const values = new Set<string>();
  if (own !== undefined && telephony === undefined) values.add(own);
  for (const value of Object.values(client.variables)) {
    const phone = normaliseClientPhone(value);
    if (phone !== undefined && phone !== telephony) values.add(phone);
  }
  return { telephony, variables: [...values].sort() };
}

/**
 * The client created for a number nobody has yet. The id is derived from the number so two
 * simultaneous first calls collide on one key and create one client.
 */
export function newClientForPhone(phone: string, project: ProjectSettings, now: Date): Client {
  return {
    clientId: newClientIdForPhone(phone),
    channel: project.messengers.length > 0 ? WHATSAPP_CHANNEL : TELEPHONY_CHANNEL,
    phone,
    variables: {},
    dealVariables: {},
    createdAt: now.toISOString(),
  };
}

/** The id a client created for a call from this number gets. */
export function newClientIdForPhone(phone: string): string {
  return `bl-${phone}`;
}

export function defaultProject(projectId: string): ProjectSettings {
  return { projectId, timezone: DEFAULT_TIMEZONE, messengers: [], missedCallReturnMinutes: DEFAULT_MISSED_CALL_RETURN_MINUTES };
}
