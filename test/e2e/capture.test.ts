/**
 * Capture mode on the local stack: while on, the project's webhook bodies and the PBX's answers
 * are kept (redacted) and export as fixtures that parse; off, nothing more is kept.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSecret } from '../../functions/commons/domain/webhook-secret';
import { parseXsiEvent } from '../../functions/commons/domain/xsi-parser';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { fetchCaptured, writeFixtures, type CapturedItem } from '../../scripts/capture-export';
import { ADMIN_TOKEN, eventually, startTestStack, WEBHOOK_KEY, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
const projectId = `p-${randomUUID().slice(0, 8)}`;
const token = 'capture-pbx-token';
const employee = '9000000091';
const out = mkdtempSync(join(tmpdir(), 'captured-'));

beforeAll(async () => {
  stack = await startTestStack({ captureCheckSeconds: 0 });
  sim = stack.simulator!;
  sim.addPbx({ token, abonents: [{ phone: employee, recording: false }] });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(out, { recursive: true, force: true });
});

const items = () => fetchCaptured(stack.apiUrl, projectId, ADMIN_TOKEN);

describe('capture mode', () => {
  it('refuses a capture of no time or of more than a day', async () => {
    for (const minutes of [0, 1441, 1.5, '30']) expect((await stack.api('PUT', `/projects/${projectId}/beeline/capture`, { minutes })).status).toBe(400);
    expect((await stack.api('GET', `/projects/${projectId}/beeline/capture/items?after=../../x`)).status).toBe(400);
    expect((await stack.api('GET', `/projects/${projectId}/beeline/capture`)).body).toMatchObject({ capturing: false, captured: 0 });
  });

  let captured: CapturedItem[];
  it("while on, keeps the webhooks and the PBX's answers of a subscription, a call and a click-to-call, secrets redacted", async () => {
    const started = await stack.api('PUT', `/projects/${projectId}/beeline/capture`, { minutes: 30 });
    expect(started).toMatchObject({ status: 200, body: { capturing: true, captured: 0, limit: 2000, retentionDays: 7 } });
    expect((await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: token })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${projectId}/employees/e`, { callMethod: 'beeline_api', beelineNumber: employee })).status).toBe(200);
    await eventually(async () => ((await stack.api('GET', `/projects/${projectId}/employees/e`)).body.subscription.status === 'active' ? true : undefined));
    const ext = sim.playCall({ token, direction: 'incoming', client: '+79167300001', legs: [{ abonent: employee, answer: true, talkMs: 100 }] });
    await sim.waitForCall(ext);
    expect((await stack.api('POST', `/projects/${projectId}/beeline/call`, { client_phone: '79167300002', user: employee })).body.status).toBe('1');

    captured = await eventually(async () => {
      const all = await items();
      const webhooks = all.filter((item) => item.kind === 'webhook').map((item) => item.body);
      return webhooks.some((body) => body.includes('CallReleasedEvent') && body.includes(ext)) && webhooks.some((body) => body.includes('CallSubscriptionEvent')) ? all : undefined;
    });
    const pbx = captured.filter((item) => item.kind === 'pbx');
    expect(pbx.map((item) => `${item.method} ${item.path?.replace(/\?.*/, '')}`)).toEqual(
      expect.arrayContaining(['GET abonents', 'PUT subscription', `POST abonents/${employee}%40mpbx.sip.beeline.ru/call`]),
    );
    expect(pbx.find((item) => item.method === 'POST')).toMatchObject({ status: 200, body: '' });
    // What the PBX was sent and what it echoes carry the webhook URL: its secret is never kept.
    const subscribe = pbx.find((item) => item.method === 'PUT')!;
    expect(subscribe.requestBody).toContain(`/webhooks/beeline/${projectId}/REDACTED`);
    const all = JSON.stringify(captured);
    expect(all).not.toContain(webhookSecret(WEBHOOK_KEY, projectId));
    expect(all).not.toContain(token);
    expect(captured.filter((item) => item.kind === 'webhook').every((item) => item.body.includes(`/webhooks/beeline/${projectId}/REDACTED`))).toBe(true);
    // The count is kept where the items are (calls still under way may add more).
    expect((await stack.api('GET', `/projects/${projectId}/beeline/capture`)).body.captured).toBeGreaterThanOrEqual(captured.length);
  });

  it('exports as fixtures: every webhook file parses as the PBX sent it', () => {
    const files = writeFixtures(captured, out);
    expect(readdirSync(out).sort()).toEqual([...files, 'index.json'].sort());
    const xml = files.filter((file) => file.endsWith('.xml'));
    expect(xml.some((file) => /-webhook-CallReceivedEvent\.xml$/.test(file))).toBe(true);
    for (const file of xml) expect(parseXsiEvent(readFileSync(join(out, file), 'utf8')).ok, file).toBe(true);
    const call = files.find((file) => file.includes('-pbx-POST-abonents'))!;
    expect(JSON.parse(readFileSync(join(out, call), 'utf8'))).toMatchObject({ method: 'POST', status: 200, body: '' });
  });

  it('off: nothing more is kept, and both switches are in the audit log', async () => {
    expect((await stack.api('DELETE', `/projects/${projectId}/beeline/capture`)).body).toMatchObject({ capturing: false });
    const before = (await items()).length;
    const ext = sim.playCall({ token, direction: 'incoming', client: '+79167300003', legs: [{ abonent: employee, answer: true, talkMs: 50 }] });
    await sim.waitForCall(ext);
    await eventually(async () => ((await stack.api('GET', `/projects/${projectId}/calls/${ext}`)).body?.outcome === 'answered' ? true : undefined));
    expect(await items()).toHaveLength(before);
    const actions = (await stack.api('GET', `/projects/${projectId}/audit`)).body.entries.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['capture.started', 'capture.stopped']));
  });
});
