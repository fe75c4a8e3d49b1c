/**
 * Tenant isolation and secrets: one project's webhook secret does not open another's URL; an
 * event carrying another project's (real) subscription id changes nothing anywhere; PBX tokens
 * are encrypted at rest and never appear in an answer or a log line; neither do the admin token,
 * the webhook key or the webhook secrets. Every stdout/stderr write and console call of the
 * process is captured while the stack runs with DEBUG logging.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { PurgeQueueCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClientFrom } from '../../functions/commons/adapters/sqs-queue';
import { webhookSecret } from '../../functions/commons/domain/webhook-secret';
import { createHandler as createProcessor } from '../../functions/processor';
import { QueuePoller } from '../../local/queue-poller';
import { ADMIN_TOKEN, eventually, startTestStack, WEBHOOK_KEY, type TestStack } from '../support/harness';
import { legEvents } from '../../drivers/xsi';
import { scanTable, type TableItem } from '../../drivers/table';

// ---------------------------------------------------------------- capturing every output

const captured: string[] = [];
const restore: (() => void)[] = [];

function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      callback?.();
      return true;
    }) as typeof stream.write;
    restore.push(() => (stream.write = original));
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      captured.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 20 }))).join(' '));
    };
    restore.push(() => (console[method] = original));
  }
}

// ---------------------------------------------------------------- the two tenants

const TOKEN_A = `pbx-a-${randomBytes(16).toString('hex')}`;
const TOKEN_B = `pbx-b-${randomBytes(16).toString('hex')}`;
const A = 'tenant-a';
const B = 'tenant-b';
const NUMBER_A = '9000000021';
const NUMBER_B = '9000000031';
const SECRET_A = webhookSecret(WEBHOOK_KEY, A);
const SECRET_B = webhookSecret(WEBHOOK_KEY, B);
const SECRETS: Record<string, string> = {
  'PBX token of A': TOKEN_A,
  'PBX token of B': TOKEN_B,
  'admin token': ADMIN_TOKEN,
  'webhook key': WEBHOOK_KEY,
  'webhook secret of A': SECRET_A,
  'webhook secret of B': SECRET_B,
};

let stack: TestStack;
let subscriptionB: string;
/** Every answer of this product's HTTP API seen in the test: status line, headers, body. */
const answers: string[] = [];
const pollers: QueuePoller[] = [];

async function queued() {
  const depth = await stack.queueDepth();
  return depth.visible + depth.inFlight + depth.delayed;
}

const tenantItems = async () =>
  (await scanTable(stack.env)).filter((item) => item.pk.startsWith(`P#${A}`) || item.pk.startsWith(`P#${B}`)).sort((x, y) => `${x.pk}|${x.sk}`.localeCompare(`${y.pk}|${y.sk}`));

function toRecord(message: Message, body = message.Body!): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
    awsRegion: 'us-east-1',
  };
}

beforeAll(async () => {
  captureOutput();
  // Every answer of our API through fetch is recorded (the harness's api() and postWebhook() use it).
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const response = await originalFetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    // Creating a key is the one answer that shows it, by design.
    const keyCreation = init?.method === 'POST' && url.endsWith('/keys');
    if (stack && url.startsWith(stack.apiUrl) && !keyCreation) {
      const text = await response.clone().text();
      answers.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
    }
    return response;
  }) as typeof fetch;
  restore.push(() => (globalThis.fetch = originalFetch));

  // No queue consumer at first (what is queued can be counted); DEBUG logging everywhere.
  stack = await startTestStack({ pollerConcurrency: 0, logLevel: 'DEBUG', renewSweepSeconds: 3600, recordFirstDelaySeconds: 1, recordGiveUpSeconds: 20 });
  const sim = stack.simulator!;
  sim.addPbx({ token: TOKEN_A, abonents: [{ phone: NUMBER_A, recording: true }] });
  sim.addPbx({ token: TOKEN_B, abonents: [{ phone: NUMBER_B, recording: true }] });
  sim.setFaults({ recordDelayMs: 200 });
  for (const [projectId, token, number] of [
    [A, TOKEN_A, NUMBER_A],
    [B, TOKEN_B, NUMBER_B],
  ] as const) {
    expect((await stack.api('PUT', `/projects/${projectId}`, { name: projectId })).status).toBe(200);
    const connected = await stack.api('PUT', `/projects/${projectId}/beeline`, { apiToken: token });
    expect(connected).toMatchObject({ status: 200, body: { connected: true, tokenHint: `…${token.slice(-4)}` } });
    expect((await stack.api('PUT', `/projects/${projectId}/employees/e1`, { callMethod: 'beeline_api', beelineNumber: number })).status).toBe(200);
  }
  subscriptionB = await eventually(async () => {
    const { body } = await stack.api('GET', `/projects/${B}/employees/e1`);
    return body.subscription.status === 'active' ? (body.subscription.subscriptionId as string) : undefined;
  });
  await eventually(async () => ((await stack.api('GET', `/projects/${A}/employees/e1`)).body.subscription.status === 'active' ? true : undefined));
}, 60_000);

afterAll(async () => {
  await Promise.all(pollers.map((poller) => poller.stop()));
  await stack?.stop();
  for (const undo of restore.reverse()) undo();
});

describe('isolation between projects', () => {
  it("project A's webhook secret cannot post to project B: 403, nothing queued", async () => {
    const event = legEvents(randomUUID(), { abonent: NUMBER_B, remote: { address: 'tel:+79165550201' }, startTime: Date.now(), releaseTime: Date.now() })[0]!.replace(
      /<xsi:subscriptionId>[^<]*</,
      `<xsi:subscriptionId>${subscriptionB}<`,
    );
    const before = await queued();
    expect(await stack.postWebhook(B, event, SECRET_A)).toEqual({ status: 403, body: { error: 'forbidden' } });
    expect(await stack.postWebhook(A, event, SECRET_B)).toEqual({ status: 403, body: { error: 'forbidden' } });
    expect(await queued()).toBe(before);
  });

  it("a webhook posted to A's URL carrying B's real subscription id changes nothing in A or B", async () => {
    const before = await tenantItems();
    const phone = '79165550202';
    const ext = randomUUID();
    const now = Date.now();
    const events = legEvents(ext, { abonent: NUMBER_B, remote: { address: `tel:+${phone}` }, startTime: now - 60_000, answerTime: now - 50_000, releaseTime: now }).map((xml) =>
      xml.replace(/<xsi:subscriptionId>[^<]*</, `<xsi:subscriptionId>${subscriptionB}<`),
    );
    // The ingest cannot know the subscription: it queues the events for A (the URL's project).
    for (const xml of events) expect((await stack.postWebhook(A, xml)).status).toBe(200);
    const sqs = sqsClientFrom(stack.env);
    const messages: Message[] = [];
    // Only these events: the subscriptions' initial states may be queued too.
    const ours = events.map((xml) => /<xsi:eventID>([^<]+)</.exec(xml)![1]!);
    const isOurs = (message: Message) => ours.some((eventId) => message.Body!.includes(eventId));
    await eventually(async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
      messages.push(...Messages.filter(isOurs));
      return messages.length >= events.length ? true : undefined;
    });
    expect(messages).toHaveLength(events.length);
    for (const message of messages) expect(JSON.parse(message.Body!)).toMatchObject({ kind: 'event', projectId: A, event: { envelope: { subscriptionId: subscriptionB } } });

    // The processor (the same handler the stack runs) judges them: not A's subscription. At first
    // it is given the benefit of the doubt (a subscription created a moment ago) and looked at
    // again later; once the patience has run out (the retries carry the original receivedAt), it
    // is ignored for good.
    const processor = createProcessor(stack.env, { logger: new Logger({ serviceName: 'isolation-processor', logLevel: 'DEBUG' }) });
    expect((await processor({ Records: messages.map((m) => toRecord(m)) })).batchItemFailures).toEqual([]);
    expect(await tenantItems()).toEqual(before);
    const aged = messages.map((m) => toRecord(m, JSON.stringify({ ...JSON.parse(m.Body!), receivedAt: now - 61_000 })));
    expect((await processor({ Records: aged })).batchItemFailures).toEqual([]);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: stack.queueUrl }));

    expect(await tenantItems()).toEqual(before);
    for (const project of [A, B]) {
      expect((await stack.api('GET', `/projects/${project}/calls`)).body.calls).toEqual([]);
      expect((await stack.api('GET', `/projects/${project}/clients?phone=${phone}`)).body.clients).toEqual([]);
    }
    expect(captured.join('\n')).toContain('event from a subscription this project does not have: ignored');
  });

  it("B's own events through that subscription do reach B, and only B", async () => {
    const sqs = sqsClientFrom(stack.env);
    const processor = createProcessor(stack.env, { logger: new Logger({ serviceName: 'isolation-processor', logLevel: 'DEBUG' }) });
    for (const queueUrl of [stack.queueUrl, stack.workQueueUrl]) {
      const poller = new QueuePoller({ sqs, queueUrl, handler: (event) => processor(event), concurrency: 2, onError: (error) => console.error('poller', error) });
      poller.start();
      pollers.push(poller);
    }
    const sim = stack.simulator!;
    const ext = sim.playCall({ token: TOKEN_B, direction: 'incoming', client: '+79165550203', legs: [{ abonent: NUMBER_B, answer: true }] });
    const call = await eventually(async () => {
      const found = ((await stack.api('GET', `/projects/${B}/calls`)).body.calls as any[]).find((c) => c.extTrackingId === ext);
      return found?.outcome === 'answered' && found.recordLink ? found : undefined;
    });
    expect(call).toMatchObject({ clientPhone: '79165550203', operatorPhone: NUMBER_B });
    expect((await stack.api('GET', `/projects/${A}/calls`)).body.calls).toEqual([]);
    expect((await stack.api('GET', `/projects/${A}/clients?phone=79165550203`)).body.clients).toEqual([]);
  }, 30_000);
});

describe('secrets', () => {
  it('the PBX token is encrypted at rest: it occurs in no attribute of any item', async () => {
    const items = await scanTable(stack.env);
    const connection = items.find((item) => item.pk === `P#${A}` && item.sk === 'BEELINE') as TableItem;
    expect(connection.encryptedToken).toMatch(/^local:v1:[A-Za-z0-9+/=]+$/);
    for (const [name, value] of Object.entries(connection)) expect(String(value), name).not.toContain(TOKEN_A);
    const everything = JSON.stringify(items);
    for (const token of [TOKEN_A, TOKEN_B, TOKEN_A.slice(6), TOKEN_B.slice(6)]) expect(everything).not.toContain(token);
    // The token as base64 (a plain encoding is not encryption) is not there either.
    for (const token of [TOKEN_A, TOKEN_B]) expect(everything).not.toContain(Buffer.from(token).toString('base64').slice(0, 24));
  });

  it('exercises every path that uses a PBX token (click-to-call, failures, recordings, abonents, disconnect)', async () => {
    const sim = stack.simulator!;
    // Project keys are used (and refused) along the way: they must not show anywhere either.
    const callKey = (await stack.createKey(A, 'call')).key;
    const adminKey = (await stack.createKey(A, 'admin')).key;
    Object.assign(SECRETS, { 'call key of A': callKey, 'admin key of A': adminKey });
    // Click-to-call, successful and refused by the PBX.
    const started = await stack.api('POST', `/projects/${A}/beeline/call`, { client_phone: '79165550204', user: NUMBER_A }, callKey);
    expect(started.body.status).toBe('1');
    sim.setFaults({ recordDelayMs: 200, failApiNext: 1 });
    expect((await stack.api('POST', `/projects/${A}/beeline/call`, { client_phone: '79165550205', user: NUMBER_A }, callKey)).body.status).toBe('0');
    expect((await stack.api('POST', `/projects/${B}/beeline/call`, { client_phone: '79165550205', user: NUMBER_B }, callKey)).status).toBe(403);
    // Abonents, live and with the PBX failing.
    expect((await stack.api('GET', `/projects/${A}/beeline/abonents`, undefined, adminKey)).status).toBe(200);
    expect((await stack.api('GET', `/projects/${B}/beeline/abonents`, undefined, adminKey)).status).toBe(403);
    sim.setFaults({ recordDelayMs: 200, failApiNext: 3 });
    expect((await stack.api('GET', `/projects/${A}/beeline/abonents`)).status).toBe(502);
    sim.setFaults({ recordDelayMs: 200 });
    // A refused token, a token that cannot be sent, a variable name the marshaller once choked on.
    expect((await stack.api('PUT', `/projects/${B}/beeline`, { apiToken: `${TOKEN_A}-x` })).status).toBe(422);
    await stack.api('PUT', `/projects/${B}/beeline`, { apiToken: `${TOKEN_B}\r\n` });
    await stack.api('PUT', `/projects/${A}/clients/odd`, { channel: 'whatsapp', variables: { constructor: TOKEN_A.slice(0, 3) } });
    // The click-to-call's call flows through the pipeline, recording look-up included.
    const callId = sim.clickToCalls().find((c) => c.clientAddress === 'tel:+79165550204')!.extTrackingId;
    await eventually(async () => {
      const found = ((await stack.api('GET', `/projects/${A}/calls`)).body.calls as any[]).find((c) => c.extTrackingId === callId);
      return found?.recordLink ? found : undefined;
    });
    // Re-subscribing after a termination, then disconnecting (unsubscribes with the token).
    const { body } = await stack.api('GET', `/projects/${A}/employees/e1`);
    await sim.terminateSubscription(body.subscription.subscriptionId);
    await eventually(async () => {
      const { body: now } = await stack.api('GET', `/projects/${A}/employees/e1`);
      return now.subscription.status === 'active' && now.subscription.subscriptionId !== body.subscription.subscriptionId ? true : undefined;
    });
    expect((await stack.api('DELETE', `/projects/${B}/beeline`)).body).toEqual({ connected: false });
    expect((await stack.api('GET', `/projects/${A}/beeline`)).body).toEqual({ connected: true, tokenHint: `…${TOKEN_A.slice(-4)}` });
    // A's webhook secret rotated: its employees subscribe again with the new URL, which stays secret too.
    SECRETS['rotated webhook secret of A'] = webhookSecret(WEBHOOK_KEY, A, 1);
    expect((await stack.api('POST', `/projects/${A}/beeline/webhook-secret`, undefined, adminKey)).status).toBe(200);
    await eventually(async () => (sim.subscriptions().some((s) => s.url.endsWith(SECRETS['rotated webhook secret of A']!)) ? true : undefined));
    const afterRotation = sim.playCall({ token: TOKEN_A, direction: 'incoming', client: '+79165550206', legs: [{ abonent: NUMBER_A, answer: true, talkMs: 200 }] });
    await eventually(async () => {
      const found = ((await stack.api('GET', `/projects/${A}/calls`)).body.calls as any[]).find((c) => c.extTrackingId === afterRotation);
      return found?.outcome === 'answered' ? found : undefined;
    });
  }, 40_000);

  it('no answer of the API ever contained a PBX token, the admin token, the webhook key or a webhook secret', () => {
    expect(answers.length).toBeGreaterThan(30);
    const all = answers.join('\n');
    for (const [name, value] of Object.entries(SECRETS)) expect(all.includes(value), name).toBe(false);
  });

  it('no log line ever contained them either (stdout, stderr and console, DEBUG level, captured for the whole test)', () => {
    const log = captured.join('\n');
    // The capture did see the product's logs, down to DEBUG.
    expect(log).toContain('"level":"DEBUG"');
    expect(log).toContain('event processed');
    expect(log).toContain('beeline call');
    for (const [name, value] of Object.entries(SECRETS)) expect(log.includes(value), name).toBe(false);
    // Nor their halves (a token cut into two log fields is still leaked).
    for (const token of [TOKEN_A, TOKEN_B, WEBHOOK_KEY, ADMIN_TOKEN]) expect(log).not.toContain(token.slice(Math.floor(token.length / 2)));
    // Clients' phone numbers are personal data: never whole in a log line (at most their last digits).
    for (const phone of ['79165550203', '79165550204', '79165550205', '79165550206', '9165550204']) expect(log, phone).not.toContain(phone);
  });
});
