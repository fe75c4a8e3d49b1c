/** Which events a subscription record lets through: judged by when the event arrived, not when it is processed. */
import { describe, expect, it } from 'vitest';
import { judgeEventSource, RETIRED_GRACE_MS, UNKNOWN_SUBSCRIPTION_PATIENCE_MS, type SubscriptionRecord } from '../../functions/commons/domain/subscriptions';

const T = Date.parse('2026-12-02T10:00:00Z');
const DAY = 86_400_000;
const record = (retiredAt?: number): SubscriptionRecord => ({ subscriptionId: 's1', projectId: 'p1', employeeId: 'e1', number: '9001234567', ...(retiredAt !== undefined && { retiredAt }) });

describe('judgeEventSource', () => {
  it('an event that arrived within the grace period of a replaced subscription is accepted, even replayed from the DLQ a day later', () => {
    expect(judgeEventSource(record(T), 'p1', T + RETIRED_GRACE_MS - 1, T + DAY)).toBe('accepted');
    expect(judgeEventSource(record(T), 'p1', T + RETIRED_GRACE_MS + 1, T + RETIRED_GRACE_MS + 2)).toBe('foreign');
  });

  it("another project's subscription is foreign; an unknown one is given a minute from its arrival", () => {
    expect(judgeEventSource(record(), 'p2', T, T)).toBe('foreign');
    expect(judgeEventSource(undefined, 'p1', T, T + UNKNOWN_SUBSCRIPTION_PATIENCE_MS)).toBe('maybe-new');
    expect(judgeEventSource(undefined, 'p1', T, T + UNKNOWN_SUBSCRIPTION_PATIENCE_MS + 1)).toBe('foreign');
  });
});
