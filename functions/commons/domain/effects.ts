/**
 * What a finished call produces for its client: the seven `beeline_*` deal variables and the
 * dialog notification. The strings here are contract (product spec §5): byte for byte.
 */
import type { CallSummary, Direction } from './call';

export const DEFAULT_TIMEZONE = 'Europe/Moscow';

export const CALL_VARIABLES = [
  'beeline_call_type',
  'beeline_client_phone',
  'beeline_operator_phone',
  'beeline_start_time',
  'beeline_release_time',
  'beeline_record_link',
  'beeline_call_description',
] as const;
export type CallVariableName = (typeof CALL_VARIABLES)[number];
export type CallVariables = Record<CallVariableName, string>;

export function notificationText(direction: Direction): string {
  return `beeline_call_event ${direction}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `DD.MM.YYYY HH:mm:ss` in the given IANA time zone. */
export function formatCallTime(epochMs: number, timeZone: string): string {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  const part = Object.fromEntries(formatter.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  return `${part.day}.${part.month}.${part.year} ${part.hour}:${part.minute}:${part.second}`;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export function callDescription(summary: CallSummary, timeZone: string): string {
  const answered = summary.outcome === 'answered' ? 'принят' : 'пропущен';
  const direction = summary.direction === 'Incoming' ? 'входящий' : 'исходящий';
  return `${formatCallTime(summary.startedAt, timeZone)} ${answered} ${direction}. ` + `Абонент: ${summary.operatorPhone ?? ''} Клиент: ${summary.clientPhone ?? ''}`;
}

export function callVariables(summary: CallSummary, timeZone: string, recordLink = ''): CallVariables {
  return {
    beeline_call_type: summary.direction,
    beeline_client_phone: summary.clientPhone ?? '',
    beeline_operator_phone: summary.operatorPhone ?? '',
    beeline_start_time: formatCallTime(summary.startedAt, timeZone),
    beeline_release_time: formatCallTime(summary.endedAt ?? summary.startedAt, timeZone),
    beeline_record_link: recordLink,
    beeline_call_description: callDescription(summary, timeZone),
  };
}
