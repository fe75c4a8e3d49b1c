/** Recording links: looked up after the call, stable, signed, and only for employees who record. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { legacyRecordLinkPath, recordLink } from '../../functions/commons/domain/record-links';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, WEBHOOK_KEY, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
beforeAll(async () => {
  stack = await startTestStack({ recordFirstDelaySeconds: 1, recordGiveUpSeconds: 4 });
  sim = stack.simulator!;
  // A second PBX whose only abonent does not record calls.
  sim.addPbx({ token: 'no-recording-token', abonents: [{ phone: '9000000009', recording: false }] });
});
afterAll(() => stack?.stop());
beforeEach(() => {
  sim.setFaults({ recordDelayMs: 1500 });
});

async function projectWithEmployee(token: string, number: string): Promise<string> {
  const projectId = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: token })).status).toBe(200);
  await stack.api('PUT', `/projects/${projectId}/employees/e`, { callMethod: 'beeline_api', beelineNumber: number });
  await eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${projectId}/employees/e`);
    return body.subscription.status === 'active' ? true : undefined;
  });
  return projectId;
}

async function finishedCall(projectId: string, extTrackingId: string, withRecord = false) {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${projectId}/calls?limit=200`);
    const call = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === extTrackingId);
    return call && call.outcome !== 'in_progress' && (!withRecord || call.recordLink) ? call : undefined;
  });
}

const recordRequests = (extTrackingId: string) => sim.requests().filter((r) => r.path.includes('records/') && r.path.includes(extTrackingId));

describe('an answered call of an employee who records calls', () => {
  let projectId: string;
  let call: { extTrackingId: string; clientId: string; recordLink: string };
  beforeAll(async () => {
    projectId = await projectWithEmployee('sim-token', '9000000001');
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79168000001', legs: [{ abonent: '9000000001', answer: true }] });
    call = await finishedCall(projectId, ext, true);
  });

  it('gets a stable link of this product in the call log and in beeline_record_link', async () => {
    expect(call.recordLink.startsWith(`${stack.apiUrl}/records/${projectId}/`)).toBe(true);
    const client = (await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}`)).body;
    expect(client.dealVariables.beeline_record_link).toBe(call.recordLink);
  });

  it('redirects to a freshly requested PBX link each time it is opened', async () => {
    const first = await fetch(call.recordLink, { redirect: 'manual' });
    const second = await fetch(call.recordLink, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(second.status).toBe(302);
    const [a, b] = [first.headers.get('location')!, second.headers.get('location')!];
    expect(a.startsWith(sim.url)).toBe(true);
    expect(a).not.toBe(b);
    const audio = await fetch(call.recordLink);
    expect(audio.status).toBe(200);
    expect(
      Buffer.from(await audio.arrayBuffer())
        .subarray(0, 3)
        .toString(),
    ).toBe('ID3');
  });

  it('a tampered link is refused with 403, and a call without a recording is 404', async () => {
    const tampered = call.recordLink.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(tampered, { redirect: 'manual' })).status).toBe(403);
    const otherCall = call.recordLink.replace(call.extTrackingId, randomUUID());
    expect((await fetch(otherCall, { redirect: 'manual' })).status).toBe(403);
    const unknown = `${stack.apiUrl}${recordLink(WEBHOOK_KEY, projectId, randomUUID(), 0, Date.now(), 30).path}`;
    expect((await fetch(unknown, { redirect: 'manual' })).status).toBe(404);
  });

  it("works for 30 days: an expired link answers 410, and a fresh one from the API works and is the client's link again", async () => {
    const expiresAt = Number(/[?&]exp=(\d+)/.exec(call.recordLink)![1]);
    expect(expiresAt * 1000 - Date.now()).toBeGreaterThan(29.9 * 86_400_000);
    expect(expiresAt * 1000 - Date.now()).toBeLessThanOrEqual(30 * 86_400_000);
    const expired = `${stack.apiUrl}${recordLink(WEBHOOK_KEY, projectId, call.extTrackingId, 0, Date.now() - 31 * 86_400_000, 30).path}`;
    const gone = await fetch(expired, { redirect: 'manual' });
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: string }).error).toContain('ask for a fresh one');

    const fresh = await stack.api('POST', `/projects/${projectId}/calls/${call.extTrackingId}/record-link`);
    expect(fresh.status).toBe(200);
    expect(Date.parse(fresh.body.expiresAt) - Date.now()).toBeGreaterThan(29.9 * 86_400_000);
    expect((await fetch(fresh.body.recordLink, { redirect: 'manual' })).status).toBe(302);
    const client = (await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}`)).body;
    expect(client.dealVariables.beeline_record_link).toBe(fresh.body.recordLink);
    expect((await stack.api('GET', `/projects/${projectId}/calls/${call.extTrackingId}`)).body.recordLink).toBe(fresh.body.recordLink);
    call = { ...call, recordLink: fresh.body.recordLink };
    // A call without a recording has no fresh link either.
    expect((await stack.api('POST', `/projects/${projectId}/calls/${randomUUID()}/record-link`)).status).toBe(404);
  });

  it('a link made before links expired (no expiry in it) works for 30 days after its call', async () => {
    const legacy = `${stack.apiUrl}${legacyRecordLinkPath(WEBHOOK_KEY, projectId, call.extTrackingId)}`;
    expect((await fetch(legacy, { redirect: 'manual' })).status).toBe(302);
  });

  it("revoking the project's links stops every earlier link, keeps the webhooks working, and fresh links work", async () => {
    const legacy = `${stack.apiUrl}${legacyRecordLinkPath(WEBHOOK_KEY, projectId, call.extTrackingId)}`;
    const revoked = await stack.api('POST', `/projects/${projectId}/beeline/record-links/revoke`);
    expect(revoked).toMatchObject({ status: 200, body: { generation: 1 } });
    expect((await fetch(call.recordLink, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(legacy, { redirect: 'manual' })).status).toBe(403);
    const audit = (await stack.api('GET', `/projects/${projectId}/audit`)).body.entries as { action: string }[];
    expect(audit.map((entry) => entry.action)).toContain('record-links.revoked');

    // Webhooks are untouched: the next call arrives, and its recording gets a working link.
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79168000011', legs: [{ abonent: '9000000001', answer: true }] });
    const next = await finishedCall(projectId, ext, true);
    expect((await fetch(next.recordLink, { redirect: 'manual' })).status).toBe(302);
    const fresh = await stack.api('POST', `/projects/${projectId}/calls/${call.extTrackingId}/record-link`);
    expect((await fetch(fresh.body.recordLink, { redirect: 'manual' })).status).toBe(302);
  });
});

describe('calls without a recording', () => {
  it('an employee who does not record calls: no look-up at the PBX, and an empty link', async () => {
    const projectId = await projectWithEmployee('no-recording-token', '9000000009');
    const ext = sim.playCall({ token: 'no-recording-token', direction: 'incoming', client: '+79168000002', legs: [{ abonent: '9000000009', answer: true }] });
    const call = await finishedCall(projectId, ext);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the first look-up delay
    expect(recordRequests(ext)).toEqual([]);
    expect(sim.requests().some((r) => r.path.includes('records/'))).toBe(true); // the filter does see look-ups of other calls
    const client = (await stack.api('GET', `/projects/${projectId}/clients/${call.clientId}`)).body;
    expect(client.dealVariables.beeline_record_link).toBe('');
    expect(call.recordLink).toBeUndefined();
  });

  it('a recording that never appears: look-ups stop at the limit', async () => {
    const projectId = await projectWithEmployee('sim-token', '9000000002');
    sim.setFaults({ recordDelayMs: 3_600_000 });
    const ext = sim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79168000003', legs: [{ abonent: '9000000002', answer: true }] });
    await finishedCall(projectId, ext);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // give-up is 4 s after the call ended
    const made = recordRequests(ext).length;
    expect(made).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(recordRequests(ext).length).toBe(made);
  });
});

describe('a slow PBX', () => {
  it('background reads wait longer than interactive ones: a recording is found while every PBX answer takes 6 s', async () => {
    const slow = await startTestStack({ recordFirstDelaySeconds: 1, recordGiveUpSeconds: 120, visibilityTimeoutSeconds: 60 });
    try {
      const slowSim = slow.simulator!;
      slowSim.setFaults({ recordDelayMs: 200 });
      const projectId = 'slow-pbx';
      expect((await slow.api('PUT', `/projects/${projectId}/beeline`, { apiToken: 'sim-token' })).status).toBe(200);
      expect((await slow.api('PUT', `/projects/${projectId}/employees/e`, { callMethod: 'beeline_api', beelineNumber: '9000000001' })).status).toBe(200);
      await eventually(async () => ((await slow.api('GET', `/projects/${projectId}/employees/e`)).body.subscription.status === 'active' ? true : undefined));
      const ext = slowSim.playCall({ token: 'sim-token', direction: 'incoming', client: '+79165550401', legs: [{ abonent: '9000000001', answer: true, talkMs: 200 }] });
      await slowSim.waitForCall(ext);
      slowSim.setFaults({ recordDelayMs: 200, apiLatencyMs: 6000 });
      // An interactive read gives up after 5 s per attempt…
      expect((await slow.api('GET', `/projects/${projectId}/beeline/abonents`)).status).toBe(502);
      // …the recording look-up (recording setting, then the reference) waits up to 12 s per attempt.
      const call = await eventually(
        async () => {
          const { body } = await slow.api('GET', `/projects/${projectId}/calls`);
          const found = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === ext);
          return found?.recordLink ? found : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 500 },
      );
      expect(call).toMatchObject({ outcome: 'answered', recordLink: expect.stringContaining(`/records/${projectId}/`) });
    } finally {
      await slow.stop();
    }
  }, 90_000);
});

describe.each(['never', 'always'] as const)('a PBX whose released events carry <recorded/>: %s', (recordedElement) => {
  it('the recording of an employee who records calls is found either way; the abonent setting is asked only without the element', async () => {
    const token = `recorded-${recordedElement}`;
    const number = recordedElement === 'never' ? '9000000041' : '9000000042';
    sim.addPbx({ token, abonents: [{ phone: number, recording: true }], behaviour: { recordedElement } });
    const projectId = await projectWithEmployee(token, number);
    const ext = sim.playCall({ token, direction: 'incoming', client: `+7916810000${recordedElement === 'never' ? 1 : 2}`, legs: [{ abonent: number, answer: true }] });
    const view = await sim.waitForCall(ext);
    expect(view.events.at(-1)!.xml.includes('<xsi:recorded/>')).toBe(recordedElement === 'always');
    const call = await finishedCall(projectId, ext, true);
    expect(call.recordLink).toContain(`/records/${projectId}/${ext}`);
    const askedSetting = sim.requests().some((r) => r.path.includes(`abonents/${number}`) && r.path.endsWith('/recording'));
    expect(askedSetting).toBe(recordedElement === 'never');
  });
});
