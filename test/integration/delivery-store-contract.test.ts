/**
 * The delivery store's contract, checked against the DynamoDB adapter (on DynamoDB Local) and
 * the in-memory one of the fast tier alike: settings with their audit, the one-read attempt,
 * records newest first, receiver health only while the settings exist.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { deliveryStoreFrom } from '../../functions/commons/composition/delivery';
import { storesFrom } from '../../functions/commons/composition';
import type { AuditEntry } from '../../functions/commons/domain/access';
import type { DeliveryRecord, DeliveryStore } from '../../functions/commons/ports';
import { ensureTable } from '../../local/dynamodb';
import { MemoryDeliveryStore } from '../support/memory/stores';

interface Subject {
  store: DeliveryStore;
  audited(projectId: string): Promise<string[]>;
}

const subjects: [string, () => Promise<Subject>][] = [
  [
    'in memory',
    async () => {
      const store = new MemoryDeliveryStore();
      return { store, audited: async () => store.audit.map((e) => e.action) };
    },
  ],
  [
    'on DynamoDB',
    async () => {
      const env = { TABLE_NAME: `delivery-contract-${randomUUID()}`, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'), AWS_REGION: 'us-east-1' };
      await ensureTable(env.AWS_ENDPOINT_URL_DYNAMODB, env.TABLE_NAME);
      const access = storesFrom(env).access;
      return { store: deliveryStoreFrom(env), audited: async (projectId) => (await access.listAudit(projectId, 50)).map((e) => e.action).reverse() };
    },
  ],
];

const audit = (action: AuditEntry['action']): AuditEntry => ({ at: new Date().toISOString(), action, credential: 'platform', details: { url: 'https://bots.example/hook' } });
const settings = { url: 'https://bots.example/hook', secretCipher: 'sealed', secretHint: 'whsec_…abcd', updatedAt: '2026-12-02T10:00:00.000Z' };
const record = (eventId: string, occurredAt: string, status: DeliveryRecord['status'] = 'delivered'): DeliveryRecord => ({
  eventId,
  type: 'beeline_call_event',
  occurredAt,
  status,
  attempts: 1,
  at: occurredAt,
});

describe.each(subjects)('the delivery store %s', (_name, make) => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await make();
  });
  const fresh = () => `p-${randomUUID().slice(0, 8)}`;

  it('keeps the settings with an audit entry per change; deleting what is not there is false and audits nothing', async () => {
    const projectId = fresh();
    const { store } = subject;
    expect(await store.getSettings(projectId)).toBeUndefined();
    expect(await store.deleteSettings(projectId, audit('delivery.removed'))).toBe(false);
    await store.putSettings(projectId, settings, audit('delivery.set'));
    expect(await store.getSettings(projectId)).toEqual(settings);
    expect(await store.deleteSettings(projectId, audit('delivery.removed'))).toBe(true);
    expect(await store.getSettings(projectId)).toBeUndefined();
    expect((await subject.audited(projectId)).slice(-2)).toEqual(['delivery.set', 'delivery.removed']);
  });

  it("reads the settings and an event's record in one attempt read; lists records newest event first", async () => {
    const projectId = fresh();
    const { store } = subject;
    await store.putSettings(projectId, settings, audit('delivery.set'));
    const event = { eventId: 'evt_2', occurredAt: '2026-12-02T10:05:00.000Z' };
    expect(await store.forAttempt(projectId, event)).toEqual({ settings, record: undefined });
    await store.saveRecord(projectId, record('evt_1', '2026-12-02T10:00:00.000Z'));
    await store.saveRecord(projectId, record('evt_2', '2026-12-02T10:05:00.000Z', 'retrying'));
    await store.saveRecord(projectId, record('evt_3', '2026-12-02T10:10:00.000Z'));
    expect((await store.forAttempt(projectId, event)).record).toEqual(record('evt_2', '2026-12-02T10:05:00.000Z', 'retrying'));
    // A record is replaced by the event's next attempt.
    await store.saveRecord(projectId, { ...record('evt_2', '2026-12-02T10:05:00.000Z'), attempts: 2, lastError: 'HTTP 500' });
    expect((await store.recent(projectId, 10)).map((r) => [r.eventId, r.status, r.attempts])).toEqual([
      ['evt_3', 'delivered', 1],
      ['evt_2', 'delivered', 2],
      ['evt_1', 'delivered', 1],
    ]);
    expect(await store.recent(projectId, 2)).toHaveLength(2);
    expect(await store.recent(fresh(), 10)).toEqual([]);
  });

  it("sets the receiver's health on its settings, clears the pause, and never brings removed settings back", async () => {
    const projectId = fresh();
    const { store } = subject;
    await store.putSettings(projectId, settings, audit('delivery.set'));
    await store.setReceiverHealth(projectId, { failures: 3, pausedUntil: 1_800_000_000_000 });
    expect(await store.getSettings(projectId)).toEqual({ ...settings, failures: 3, pausedUntil: 1_800_000_000_000 });
    await store.setReceiverHealth(projectId, { failures: 0 });
    expect(await store.getSettings(projectId)).toEqual({ ...settings, failures: 0 });
    await store.deleteSettings(projectId, audit('delivery.removed'));
    await store.setReceiverHealth(projectId, { failures: 1, pausedUntil: 1 });
    expect(await store.getSettings(projectId)).toBeUndefined();
  });
});
