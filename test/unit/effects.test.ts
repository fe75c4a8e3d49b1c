import { describe, expect, it } from 'vitest';
import type { CallSummary } from '../../functions/commons/domain/call';
import { callVariables, formatCallTime, notificationText } from '../../functions/commons/domain/effects';

const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);
const summary: CallSummary = {
  direction: 'Incoming',
  outcome: 'answered',
  decided: 'answered',
  clientPhone: '79161234567',
  operatorPhone: '9001234567',
  operatorTrackingId: 'ext-1',
  startedAt: T0,
  endedAt: T0 + 125_000,
  allLegsEnded: true,
  recorded: false,
};

describe('call effects', () => {
  it('formats times as DD.MM.YYYY HH:mm:ss in the project time zone', () => {
    expect(formatCallTime(T0, 'Europe/Moscow')).toBe('29.11.2026 12:30:05');
    expect(formatCallTime(T0, 'Asia/Yekaterinburg')).toBe('29.11.2026 14:30:05');
    expect(formatCallTime(Date.UTC(2026, 11, 31, 21, 0, 0), 'Europe/Moscow')).toBe('01.01.2027 00:00:00');
  });

  it('writes the seven variables with the exact description sentence', () => {
    expect(callVariables(summary, 'Europe/Moscow')).toEqual({
      beeline_call_type: 'Incoming',
      beeline_client_phone: '79161234567',
      beeline_operator_phone: '9001234567',
      beeline_start_time: '29.11.2026 12:30:05',
      beeline_release_time: '29.11.2026 12:32:10',
      beeline_record_link: '',
      beeline_call_description: '29.11.2026 12:30:05 принят входящий. Абонент: 9001234567 Клиент: 79161234567',
    });
    const missedOutgoing = callVariables({ ...summary, direction: 'Outgoing', outcome: 'missed', decided: 'missed' }, 'Europe/Moscow');
    expect(missedOutgoing.beeline_call_description).toBe('29.11.2026 12:30:05 пропущен исходящий. Абонент: 9001234567 Клиент: 79161234567');
  });

  it('names the notification by direction', () => {
    expect(notificationText('Incoming')).toBe('beeline_call_event Incoming');
    expect(notificationText('Outgoing')).toBe('beeline_call_event Outgoing');
  });
});
