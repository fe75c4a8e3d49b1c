/**
 * The subscription use cases on in-memory adapters (the fast tier): saving an employee
 * subscribes it, renewals replace the subscription before it lapses, failures are retried with
 * the PBX's reason shown, a terminated subscription is replaced, a removed employee is
 * unsubscribed. test/e2e/subscriptions.test.ts runs the same through the simulator.
 */
import { describe, expect, it } from 'vitest';
import { memoryApp, PUBLIC_URL } from '../support/memory/app';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const PROJECT = 'fast-subs';
const NUMBER = '9001234567';
const USER_ID = `${NUMBER}@mpbx.sip.beeline.ru`;

async function connectedApp() {
  const app = memoryApp({ startAt: T0 });
  await app.connect(PROJECT);
  app.pbx.addAbonent({ userId: USER_ID, phone: NUMBER, firstName: 'Анна' });
  return app;
}

const anna = { employeeId: 'anna', name: 'Анна', callMethod: 'beeline_api' as const, beelineNumber: NUMBER };

describe('saving an employee with «Звонки по API Beeline»', () => {
  it('subscribes the employee at the PBX to this project’s webhook URL and shows the subscription active', async () => {
    const app = await connectedApp();
    const state = await app.saveEmployee(PROJECT, anna);
    const [subscription, ...others] = app.pbx.subscriptionsOf(NUMBER);
    expect(others).toEqual([]);
    expect(subscription!.url).toMatch(new RegExp(`^${PUBLIC_URL}/webhooks/beeline/${PROJECT}/[A-Za-z0-9_-]{20,}$`));
    expect(state).toMatchObject({ status: 'active', subscriptionId: subscription!.subscriptionId, number: NUMBER, expiresAt: new Date(T0 + 3600_000).toISOString() });
    expect(Date.parse(state.renewAt!)).toBeLessThan(Date.parse(state.expiresAt!));
    // The new subscription's events are accepted at once.
    expect(await app.subscriptions.judgeEvent(PROJECT, subscription!.subscriptionId, T0 + 1000)).toBe('accepted');
  });

  it('saving it again (the seed’s cure: «Готово» once more) leaves exactly one live subscription', async () => {
    const app = await connectedApp();
    await app.saveEmployee(PROJECT, anna);
    await app.saveEmployee(PROJECT, anna);
    await app.saveEmployee(PROJECT, anna);
    expect(app.pbx.subscriptionsOf(NUMBER)).toHaveLength(1);
  });
});

describe('renewals', () => {
  it('replace the subscription before it expires (a short grant included), and the old one goes', async () => {
    const app = await connectedApp();
    app.pbx.grantSeconds = 600;
    const first = await app.saveEmployee(PROJECT, anna);
    app.clock.now = Date.parse(first.renewAt!);
    const due = await app.pbxStore.dueRenewals(new Date(app.clock.now).toISOString());
    expect(due).toEqual([{ projectId: PROJECT, employeeId: 'anna' }]);
    const renewed = await app.subscriptions.reconcile(PROJECT, 'anna', 'renewal');
    expect(renewed.subscriptionId).not.toBe(first.subscriptionId);
    expect(app.pbx.subscriptionsOf(NUMBER).map((s) => s.subscriptionId)).toEqual([renewed.subscriptionId]);
    expect(Date.parse(renewed.expiresAt!)).toBeGreaterThan(Date.parse(first.expiresAt!));
    // Events of the replaced subscription still in flight are accepted for a grace period.
    expect(await app.subscriptions.judgeEvent(PROJECT, first.subscriptionId, app.clock.now)).toBe('accepted');
  });

  it('a renewal delivered twice renews once', async () => {
    const app = await connectedApp();
    const first = await app.saveEmployee(PROJECT, anna);
    app.clock.now = Date.parse(first.renewAt!);
    const renewed = await app.subscriptions.reconcile(PROJECT, 'anna', 'renewal');
    const again = await app.subscriptions.reconcile(PROJECT, 'anna', 'renewal');
    expect(again.subscriptionId).toBe(renewed.subscriptionId);
    expect(app.pbx.subscriptions.size).toBe(1);
  });
});

describe('failures', () => {
  it('a number that is not an abonent: failed with the PBX’s reason, retried with back-off, active once the abonent exists', async () => {
    const app = memoryApp({ startAt: T0 });
    await app.connect(PROJECT);
    const state = await app.saveEmployee(PROJECT, anna);
    expect(state).toMatchObject({ status: 'failed', failures: 1, lastError: `Abonent ${NUMBER} not found` });
    const retry = app.queue.sent.find((m) => m.message.kind === 'subscription');
    expect(retry).toMatchObject({ message: { reason: 'retry', employeeId: 'anna' }, delaySeconds: 5 });

    await app.drain(T0 + 10_000); // the first retry fails too: the next waits longer
    expect((await app.pbxStore.getState(PROJECT, 'anna')).state).toMatchObject({ status: 'failed', failures: 2 });
    expect(app.queue.sent.filter((m) => m.message.kind === 'subscription').map((m) => m.delaySeconds)).toEqual([5, 10]);

    app.pbx.addAbonent({ userId: USER_ID, phone: NUMBER });
    await app.drain();
    expect((await app.pbxStore.getState(PROJECT, 'anna')).state.status).toBe('active');
    expect(app.pbx.subscriptionsOf(NUMBER)).toHaveLength(1);
  });

  it('a token the PBX refuses shows its reason and subscribes nothing', async () => {
    const app = memoryApp({ startAt: T0 });
    await app.connect(PROJECT, 'revoked-token');
    app.pbx.addAbonent({ userId: USER_ID, phone: NUMBER });
    const state = await app.saveEmployee(PROJECT, anna);
    expect(state).toMatchObject({ status: 'failed', lastError: 'Invalid API token' });
    expect(app.pbx.subscriptions.size).toBe(0);
  });

  it('a project without a PBX connection: failed, saying so', async () => {
    const app = memoryApp({ startAt: T0 });
    const state = await app.saveEmployee(PROJECT, anna);
    expect(state).toMatchObject({ status: 'failed', lastError: 'the PBX is not connected for this project' });
  });
});

describe('the PBX ends a subscription', () => {
  it('the employee whose current subscription it was is subscribed again; a replaced one is ignored', async () => {
    const app = await connectedApp();
    const first = await app.saveEmployee(PROJECT, anna);
    expect(await app.subscriptions.terminatedEmployee(PROJECT, first.subscriptionId)).toBe('anna');
    app.pbx.subscriptions.delete(first.subscriptionId!);
    const again = await app.subscriptions.reconcile(PROJECT, 'anna', 'terminated');
    expect(again.status).toBe('active');
    expect(app.pbx.subscriptionsOf(NUMBER).map((s) => s.subscriptionId)).toEqual([again.subscriptionId]);
    // The old subscription's termination arriving again changes nothing.
    expect(await app.subscriptions.terminatedEmployee(PROJECT, first.subscriptionId)).toBeUndefined();
  });
});

describe('an employee who no longer takes calls through the PBX API', () => {
  it('is unsubscribed at the PBX and shows no subscription', async () => {
    const app = await connectedApp();
    await app.saveEmployee(PROJECT, anna);
    const state = await app.saveEmployee(PROJECT, { ...anna, callMethod: 'none' });
    expect(state.status).toBe('none');
    expect(app.pbx.subscriptions.size).toBe(0);
  });
});
