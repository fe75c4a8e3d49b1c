/**
 * Dead letters you can act on (scripts/dlq.ts): poison messages land in the DLQ and are listed
 * with their reason; a valid message parked there is replayed and processed; replaying the same
 * message again changes nothing.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClientFrom } from '../../functions/commons/adapters/sqs-queue';
import { parseXsiEvent } from '../../functions/commons/domain/xsi-parser';
import { listDeadLetters, main as dlqCli, replayDeadLetters } from '../../scripts/dlq';
import { eventually, startTestStack, type TestStack } from '../support/harness';
import { legEvents } from '../../drivers/xsi';

let stack: TestStack;
let sqs: SQSClient;
const projectId = 'dlq-project';
const phone = '79167770001';
const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);

/** An answered one-leg call in one queue message: its released event, as the ingest function queues it. */
function validEventMessage(extTrackingId: string): string {
  const released = legEvents(extTrackingId, { abonent: '9001234567', remote: { address: `tel:+${phone}` }, startTime: T0, answerTime: T0 + 5000, releaseTime: T0 + 65_000 }).at(-1)!;
  const parsed = parseXsiEvent(released);
  if (!parsed.ok) throw new Error(parsed.error);
  return JSON.stringify({ v: 1, kind: 'event', projectId, receivedAt: Date.now(), event: parsed.event });
}

const send = (queueUrl: string, body: string) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
const drained = () =>
  eventually(
    async () => {
      const depth = await stack.queueDepth();
      return depth.visible + depth.inFlight === 0 ? depth : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
const notifications = async (clientId: string) => (await stack.api('GET', `/projects/${projectId}/clients/${clientId}/messages`)).body.messages as unknown[];

beforeAll(async () => {
  stack = await startTestStack();
  sqs = sqsClientFrom(stack.env);
  await stack.registerSubscription(projectId);
});
afterAll(() => stack?.stop());

describe('npm run dlq', () => {
  const ext = '5c1f9e0a-1d2b-4c3d-8e4f-dead1e77e500';

  it('a poison message lands in the DLQ, and list shows it with its reason', async () => {
    await send(stack.queueUrl, '{"v":1,"kind":"nonsense","projectId":"dlq-project"}');
    await send(stack.queueUrl, '<xml>not json</xml>');
    await eventually(async () => ((await stack.queueDepth()).dead === 2 ? true : undefined), { timeoutMs: 40_000, intervalMs: 250 });

    const letters = await listDeadLetters(sqs, stack.deadLetterQueueUrl);
    expect(letters).toHaveLength(2);
    const byKind = Object.fromEntries(letters.map((letter) => [letter.kind, letter]));
    expect(byKind.nonsense).toMatchObject({ projectId, valid: false, reason: expect.stringContaining('schema') });
    expect(byKind['-']).toMatchObject({ valid: false, reason: 'not JSON' });
    for (const letter of letters) {
      // Five receives on the events queue (the redrive's maxReceiveCount), then parked.
      expect(letter.receiveCount).toBeGreaterThanOrEqual(5);
      expect(Date.parse(letter.firstReceivedAt!)).toBeGreaterThanOrEqual(Date.parse(letter.sentAt!));
      expect(letter.messageId).toMatch(/\S/);
    }
    // Listing leaves them where they are.
    expect((await stack.queueDepth()).dead).toBe(2);

    // The CLI prints one line per message.
    const lines: string[] = [];
    expect(await dlqCli(['list', '--endpoint', stack.env.AWS_ENDPOINT_URL_SQS!], (line) => lines.push(line))).toBe(0);
    expect(lines[0]).toBe(`2 message(s) in ${stack.deadLetterQueueUrl}`);
    expect(lines).toHaveLength(3);
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/receives \d+ .* kind - +project - +INVALID: not JSON$/),
        expect.stringMatching(/kind nonsense +project dlq-project +INVALID: message does not match the schema/),
      ]),
    );
  }, 60_000);

  it('a valid message parked in the DLQ is replayed and processed; poison stays parked', async () => {
    await send(stack.deadLetterQueueUrl, validEventMessage(ext));
    const listed = await listDeadLetters(sqs, stack.deadLetterQueueUrl);
    expect(listed.filter((letter) => letter.valid)).toEqual([expect.objectContaining({ kind: 'event', projectId, valid: true })]);

    const result = await replayDeadLetters(sqs, { queueUrl: stack.queueUrl, deadLetterQueueUrl: stack.deadLetterQueueUrl });
    expect(result.replayed).toEqual([expect.objectContaining({ kind: 'event', projectId })]);
    expect(result.skipped.map((letter) => letter.kind).sort()).toEqual(['-', 'nonsense']);
    expect((await stack.queueDepth()).dead).toBe(2);

    const call = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${projectId}/calls`);
      const found = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === ext);
      return found?.outcome === 'answered' ? found : undefined;
    });
    expect(call).toMatchObject({ clientPhone: phone, operatorPhone: '9001234567', clientId: `bl-${phone}` });
    expect(await notifications(call.clientId)).toHaveLength(1);
  });

  it('replaying the same message again (a second replay, or a crash between send and delete) duplicates nothing', async () => {
    const before = (await stack.api('GET', `/projects/${projectId}/clients/bl-${phone}`)).body;
    await send(stack.deadLetterQueueUrl, validEventMessage(ext));
    await send(stack.deadLetterQueueUrl, validEventMessage(ext));

    const lines: string[] = [];
    expect(await dlqCli(['replay', '--endpoint', stack.env.AWS_ENDPOINT_URL_SQS!], (line) => lines.push(line))).toBe(0);
    expect(lines.at(-1)).toBe(`replayed 2 message(s) to ${stack.queueUrl}; 2 invalid message(s) left in the DLQ (--include-invalid replays them anyway)`);
    await drained();

    expect(await notifications(`bl-${phone}`)).toHaveLength(1);
    expect((await stack.api('GET', `/projects/${projectId}/clients/bl-${phone}`)).body.dealVariables).toEqual(before.dealVariables);
    const { body } = await stack.api('GET', `/projects/${projectId}/calls`);
    expect(body.calls.filter((c: { extTrackingId: string }) => c.extTrackingId === ext)).toHaveLength(1);
    // Nothing else was parked meanwhile; --max bounds a replay; nothing valid is left to replay.
    expect((await stack.queueDepth()).dead).toBe(2);
    const again = await replayDeadLetters(sqs, { queueUrl: stack.queueUrl, deadLetterQueueUrl: stack.deadLetterQueueUrl, max: 1 });
    expect(again.replayed).toEqual([]);
  });
});
