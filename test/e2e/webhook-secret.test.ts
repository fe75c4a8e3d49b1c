/**
 * Rotating a project's webhook secret (POST /projects/{projectId}/beeline/webhook-secret): the
 * employees are subscribed again with the new URL, the old secret keeps working for the grace
 * period and other projects are untouched; calls keep flowing through the rotation; the
 * rotation is in the audit log. The echoed URL (with its secret) is never queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREVIOUS_WEBHOOK_SECRET_GRACE_MS, webhookSecret } from '../../functions/commons/domain/webhook-secret';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, WEBHOOK_KEY, type TestStack } from '../support/harness';
import { xsiEvent } from '../../drivers/xsi';

const TOKEN = 'rotation-pbx-token';
const NUMBER = '9000000051';
const P = 'rotating';
const OTHER = 'bystander';
let stack: TestStack;
let sim: PbxSimulator;

const subscriptionOf = (secret: string) => sim.subscriptions().find((s) => s.url.endsWith(`/webhooks/beeline/${P}/${secret}`));

beforeAll(async () => {
  stack = await startTestStack();
  sim = stack.simulator!;
  sim.addPbx({
    token: TOKEN,
    abonents: [
      { phone: NUMBER, firstName: 'Rita' },
      { phone: '9000000052', firstName: 'Other' },
    ],
  });
  for (const [project, number] of [
    [P, NUMBER],
    [OTHER, '9000000052'],
  ] as const) {
    expect((await stack.api('PUT', `/projects/${project}`, { name: project })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/beeline`, { apiToken: TOKEN })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/employees/e1`, { callMethod: 'beeline_api', beelineNumber: number })).status).toBe(200);
  }
  await eventually(async () => (subscriptionOf(webhookSecret(WEBHOOK_KEY, P)) ? true : undefined));
  await eventually(async () => (sim.subscriptions().some((s) => s.url.endsWith(`/${OTHER}/${webhookSecret(WEBHOOK_KEY, OTHER)}`)) ? true : undefined));
});
afterAll(() => stack?.stop());

describe('rotating the webhook secret', () => {
  it('re-subscribes the employees with the new URL, keeps the old secret for the grace period, touches no other project', async () => {
    const oldSecret = webhookSecret(WEBHOOK_KEY, P);
    const oldSubscription = subscriptionOf(oldSecret)!;
    const bystander = sim.subscriptions().find((s) => s.url.includes(`/${OTHER}/`));
    expect(bystander).toBeDefined();

    const started = Date.now();
    const answer = await stack.api('POST', `/projects/${P}/beeline/webhook-secret`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ rotatedAt: expect.any(String), previousValidUntil: expect.any(String), resubscribing: 1 });
    expect(Date.parse(answer.body.previousValidUntil) - Date.parse(answer.body.rotatedAt)).toBeGreaterThanOrEqual(PREVIOUS_WEBHOOK_SECRET_GRACE_MS);
    expect(PREVIOUS_WEBHOOK_SECRET_GRACE_MS).toBeGreaterThanOrEqual(60 * 60_000);

    const newSecret = webhookSecret(WEBHOOK_KEY, P, 1);
    expect(newSecret).not.toBe(oldSecret);
    const renewed = await eventually(async () => subscriptionOf(newSecret));
    await eventually(async () => (sim.subscriptions().some((s) => s.subscriptionId === oldSubscription.subscriptionId) ? undefined : true));
    console.log(`webhook secret rotation: employee subscribed with the new URL ${Date.now() - started} ms after the request`);
    expect(renewed.subscriptionId).not.toBe(oldSubscription.subscriptionId);
    expect(sim.subscriptions().find((s) => s.url.includes(`/${OTHER}/`))).toEqual(bystander);

    // Both secrets are accepted now; a guess is not, nor is the new secret of one project on another.
    const event = xsiEvent({ eventId: `rot-${Date.now()}`, type: 'SubscriptionTerminatedEvent', subscriptionId: 'not-ours' });
    expect((await stack.postWebhook(P, event, oldSecret)).status).toBe(200);
    expect((await stack.postWebhook(P, event, newSecret)).status).toBe(200);
    expect((await stack.postWebhook(P, event, webhookSecret(WEBHOOK_KEY, P, 2))).status).toBe(403);
    expect((await stack.postWebhook(OTHER, event, newSecret)).status).toBe(403);

    // A call after the rotation arrives through the new subscription.
    const ext = sim.playCall({ token: TOKEN, direction: 'incoming', client: '+79165550101', legs: [{ abonent: NUMBER, answer: true, talkMs: 300 }] });
    const view = await sim.waitForCall(ext);
    expect(view.events.length).toBeGreaterThan(0);
    expect(view.events.every((e) => e.url.endsWith(newSecret) && e.status === 200)).toBe(true);
    const call = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${P}/calls`);
      const found = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === ext);
      return found?.outcome === 'answered' ? found : undefined;
    });
    expect(call.clientPhone).toBe('79165550101');

    const audit = (await stack.api('GET', `/projects/${P}/audit`)).body.entries;
    expect(audit[0]).toMatchObject({ action: 'webhook-secret.rotated', credential: 'platform', details: { generation: '1' } });
    expect(JSON.stringify(audit)).not.toContain(newSecret);
  });

  it('a call key may not rotate it', async () => {
    const { key } = await stack.createKey(P, 'call');
    expect((await stack.api('POST', `/projects/${P}/beeline/webhook-secret`, undefined, key)).status).toBe(403);
  });
});
