/**
 * The PBX store's contract, checked against the DynamoDB adapter (on DynamoDB Local) and the
 * in-memory one of the fast tier alike: versioned subscription state, saving an employee marks
 * it pending, due renewals, retired subscription records, webhook secret rotation and record
 * link generations with their conditions.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { storesFrom } from '../../functions/commons/composition';
import type { AuditEntry } from '../../functions/commons/domain/access';
import { INITIAL_WEBHOOK_SECRET } from '../../functions/commons/domain/webhook-secret';
import type { PbxStore } from '../../functions/commons/ports';
import { ensureTable } from '../../local/dynamodb';
import { MemoryPbxStore } from '../support/memory/stores';

const subjects: [string, () => Promise<PbxStore>][] = [
  ['in memory', async () => new MemoryPbxStore()],
  [
    'on DynamoDB',
    async () => {
      const env = { TABLE_NAME: `pbx-contract-${randomUUID()}`, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'), AWS_REGION: 'us-east-1' };
      await ensureTable(env.AWS_ENDPOINT_URL_DYNAMODB, env.TABLE_NAME);
      return storesFrom(env).pbx;
    },
  ],
];

const audit = (action: AuditEntry['action']): AuditEntry => ({ at: '2026-12-02T10:00:00.000Z', action, credential: 'platform', details: {} });
const anna = { employeeId: 'anna', callMethod: 'beeline_api' as const, beelineNumber: '9001234567', savedAt: '2026-12-02T10:00:00.000Z' };

describe.each(subjects)('the PBX store %s', (_name, make) => {
  let store: PbxStore;
  let projectId: string;
  beforeAll(async () => {
    store = await make();
  });
  const fresh = () => {
    projectId = `p-${randomUUID().slice(0, 8)}`;
    return projectId;
  };

  it('keeps a connection until it is deleted, and lists connected projects', async () => {
    fresh();
    expect(await store.getConnection(projectId)).toBeUndefined();
    await store.putConnection(projectId, { encryptedToken: 'sealed', tokenHint: '…abcd', connectedAt: '2026-12-02T10:00:00.000Z' }, audit('pbx-token.set'));
    expect(await store.getConnection(projectId)).toEqual({ encryptedToken: 'sealed', tokenHint: '…abcd', connectedAt: '2026-12-02T10:00:00.000Z' });
    expect(await store.connectedProjects()).toContain(projectId);
    expect(await store.deleteConnection(projectId, audit('pbx-token.removed'))).toBe(true);
    expect(await store.deleteConnection(projectId, audit('pbx-token.removed'))).toBe(false);
    expect(await store.connectedProjects()).not.toContain(projectId);
  });

  it('saving an employee marks its subscription pending; state is replaced only over the version read', async () => {
    fresh();
    expect(await store.getState(projectId, 'anna')).toEqual({ state: { status: 'none' }, version: 0 });
    await store.saveEmployee(projectId, anna);
    expect(await store.getEmployee(projectId, 'anna')).toEqual(anna);
    const pending = await store.getState(projectId, 'anna');
    expect(pending.state.status).toBe('pending');
    const active = { status: 'active' as const, subscriptionId: 'sub-1', renewAt: '2026-12-02T11:00:00.000Z', expiresAt: '2026-12-02T12:00:00.000Z' };
    expect(await store.putState(projectId, 'anna', active, pending.version)).toBe(true);
    expect(await store.putState(projectId, 'anna', { ...active, subscriptionId: 'sub-2' }, pending.version)).toBe(false);
    expect((await store.getState(projectId, 'anna')).state).toMatchObject({ status: 'active', subscriptionId: 'sub-1' });
    expect([...(await store.listStates(projectId)).keys()]).toEqual(['anna']);
    await store.touchLastEvent(projectId, 'anna', '2026-12-02T10:30:00.000Z');
    expect((await store.getState(projectId, 'anna')).state.lastEventAt).toBe('2026-12-02T10:30:00.000Z');
  });

  it("a state decided before an event was seen keeps that event's lastEventAt (the PBX's first event arrives during the subscribe)", async () => {
    fresh();
    await store.saveEmployee(projectId, anna);
    const read = await store.getState(projectId, 'anna');
    await store.touchLastEvent(projectId, 'anna', '2026-12-02T10:30:00.000Z');
    const active = { status: 'active' as const, subscriptionId: 'sub-1', renewAt: '2026-12-02T11:00:00.000Z', expiresAt: '2026-12-02T12:00:00.000Z', lastError: 'old' };
    expect(await store.putState(projectId, 'anna', active, read.version)).toBe(true);
    expect((await store.getState(projectId, 'anna')).state).toMatchObject({ ...active, lastEventAt: '2026-12-02T10:30:00.000Z' });
    // Fields the new state lacks are gone, the renewal index entry too; lastEventAt still stays.
    const { version } = await store.getState(projectId, 'anna');
    expect(await store.putState(projectId, 'anna', { status: 'none' }, version)).toBe(true);
    expect((await store.getState(projectId, 'anna')).state).toEqual({ status: 'none', lastEventAt: '2026-12-02T10:30:00.000Z' });
    expect((await store.dueRenewals('2031-01-01T00:00:00.000Z')).filter((due) => due.projectId === projectId)).toEqual([]);
  });

  it('names a renewal once its time has come, not before', async () => {
    fresh();
    await store.saveEmployee(projectId, anna);
    const { version } = await store.getState(projectId, 'anna');
    await store.putState(projectId, 'anna', { status: 'active', subscriptionId: 'sub-1', renewAt: '2031-01-01T10:00:00.000Z' }, version);
    const mine = (due: { projectId: string }[]) => due.filter((d) => d.projectId === projectId);
    expect(mine(await store.dueRenewals('2031-01-01T09:59:59.000Z'))).toEqual([]);
    expect(mine(await store.dueRenewals('2031-01-01T10:00:00.000Z'))).toEqual([{ projectId, employeeId: 'anna' }]);
  });

  it('keeps a subscription record, and marks it retired', async () => {
    fresh();
    await store.putSubscriptionRecord({ subscriptionId: 'sub-9', projectId, employeeId: 'anna', number: '9001234567' });
    expect(await store.getSubscriptionRecord(projectId, 'sub-9')).toEqual({ subscriptionId: 'sub-9', projectId, employeeId: 'anna', number: '9001234567' });
    await store.retireSubscriptionRecord(projectId, 'sub-9', 1_796_000_000_000);
    expect((await store.getSubscriptionRecord(projectId, 'sub-9'))!.retiredAt).toBe(1_796_000_000_000);
    expect(await store.getSubscriptionRecord(projectId, 'sub-unknown')).toBeUndefined();
  });

  it('rotates the webhook secret only from the generation read; counts record link generations', async () => {
    fresh();
    const initial = await store.getWebhookSecret(projectId);
    expect(initial).toEqual(INITIAL_WEBHOOK_SECRET);
    const next = { ...initial, generation: initial.generation + 1, rotatedAt: '2026-12-02T10:00:00.000Z' };
    expect(await store.rotateWebhookSecret(projectId, initial, next, audit('webhook-secret.rotated'))).toBe(true);
    expect(await store.rotateWebhookSecret(projectId, initial, { ...next, generation: next.generation + 1 }, audit('webhook-secret.rotated'))).toBe(false);
    expect((await store.getWebhookSecret(projectId)).generation).toBe(next.generation);

    expect(await store.getRecordLinkGeneration(projectId)).toBe(0);
    expect(await store.revokeRecordLinks(projectId, new Date(), () => audit('record-links.revoked'))).toBe(1);
    expect(await store.revokeRecordLinks(projectId, new Date(), () => audit('record-links.revoked'))).toBe(2);
    expect(await store.getRecordLinkGeneration(projectId)).toBe(2);
  });

  it('keeps the whole-PBX watch setting (off by default)', async () => {
    fresh();
    expect(await store.getWatch(projectId)).toEqual({ wholePbx: false });
    await store.putWatch(projectId, { wholePbx: true, savedAt: '2026-12-02T10:00:00.000Z' }, audit('pbx-watch.set'));
    expect(await store.getWatch(projectId)).toEqual({ wholePbx: true, savedAt: '2026-12-02T10:00:00.000Z' });
  });
});
