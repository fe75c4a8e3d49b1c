/**
 * Dead letters you can act on: list what the events and work queues parked in their dead-letter
 * queue, and replay it (send back to the queue of its lane, then delete from the DLQ). Processing is
 * idempotent (events by eventID, settles and look-ups by the call's state), so a replay — even a
 * repeated one — never duplicates effects.
 *
 *   npm run dlq -- list   [--queue-url DLQ_URL] [--endpoint URL]
 *   npm run dlq -- replay [--queue-url EVENTS_URL] [--work-queue-url WORK_URL] [--dlq-url DLQ_URL] [--endpoint URL] [--max N] [--include-invalid]
 *   npm run dlq -- redrive --dlq-arn DLQ_ARN [--max-per-second N]      (AWS: SQS moves them back itself)
 *   npm run dlq -- redrive-status --dlq-arn DLQ_ARN
 *   npm run dlq -- --help
 *
 * `listDeadLetters` and `replayDeadLetters` are the tool; the CLI below is a thin shell.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { laneOf } from '../functions/commons/contracts/queues';
import { parseQueueMessage } from '../functions/commons/app/queue-message';
import type { QueueMessage } from '../functions/commons/ports';
import { readStackFile, stackFilePath } from '../local/stack-file';

export interface DeadLetter {
  messageId: string;
  /** Receives before this look (the events queue's attempts, plus earlier looks at the DLQ). */
  receiveCount: number;
  /** When it was first queued, and first received (SQS keeps both across the redrive). */
  sentAt?: string;
  firstReceivedAt?: string;
  /** The message's `kind` (`event`, `settle`, `record`, `recover`, `subscription`), or `-`. */
  kind: string;
  projectId?: string;
  /** True when the body is a message the processor understands: replaying it makes sense. */
  valid: boolean;
  /** Why it is here, as far as the message shows it. */
  reason: string;
}

export interface ReplayResult {
  replayed: DeadLetter[];
  /** Of those, how many went to the work queue. */
  toWorkQueue: number;
  /** Left in the DLQ: not messages the processor understands (see `includeInvalid`). */
  skipped: DeadLetter[];
}

/** How long messages being looked at stay hidden from others (they are made visible again after). */
const LOOK_VISIBILITY_SECONDS = 30;

/** What a dead-lettered message is, from its body and SQS attributes. Never throws. */
export function describeDeadLetter(message: Message): DeadLetter {
  const attributes = message.Attributes ?? {};
  const time = (ms: string | undefined) => (ms && Number.isFinite(Number(ms)) ? new Date(Number(ms)).toISOString() : undefined);
  const base = {
    messageId: message.MessageId ?? '?',
    // This look is a receive too; it is not counted.
    receiveCount: Math.max(0, Number(attributes.ApproximateReceiveCount ?? 1) - 1),
    sentAt: time(attributes.SentTimestamp),
    firstReceivedAt: time(attributes.ApproximateFirstReceiveTimestamp),
  };
  const body = message.Body ?? '';
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { ...base, kind: '-', valid: false, reason: 'not JSON' };
  }
  const record = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const kind = typeof record.kind === 'string' ? record.kind : '-';
  const projectId = typeof record.projectId === 'string' ? record.projectId : undefined;
  try {
    parseQueueMessage(body);
    return {
      ...base,
      kind,
      projectId,
      valid: true,
      reason: 'a valid message that failed every processing attempt (the processor log has each error): replay it once the cause is fixed',
    };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ...base, kind, projectId, valid: false, reason: text.replace(/\s+/g, ' ').slice(0, 300) };
  }
}

async function receive(sqs: SQSClient, queueUrl: string, max: number, visibilitySeconds: number): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      VisibilityTimeout: visibilitySeconds,
      // Long polling asks every SQS server: an empty answer means the queue is empty.
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

async function makeVisible(sqs: SQSClient, queueUrl: string, receiptHandles: string[]): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: receiptHandles.slice(i, i + 10).map((ReceiptHandle, j) => ({ Id: String(j), ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/** Every message in the dead-letter queue (up to `max`); they stay there, visible again afterwards. */
export async function listDeadLetters(sqs: SQSClient, deadLetterQueueUrl: string, { max = 1000 }: { max?: number } = {}): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  const handles: string[] = [];
  try {
    while (seen.size < max) {
      const messages = await receive(sqs, deadLetterQueueUrl, max - seen.size, LOOK_VISIBILITY_SECONDS);
      if (messages.length === 0) break;
      for (const message of messages) {
        handles.push(message.ReceiptHandle!);
        if (!seen.has(message.MessageId!)) seen.set(message.MessageId!, describeDeadLetter(message));
      }
    }
  } finally {
    await makeVisible(sqs, deadLetterQueueUrl, handles);
  }
  return [...seen.values()];
}

/**
 * Moves dead letters back to the queue of their lane (PBX work to `workQueueUrl` when given, the
 * rest to the events queue; the processor reads both, so either is safe): send, then delete from
 * the DLQ (a crash in between replays it twice, which idempotent processing absorbs). Messages
 * the processor cannot understand stay in the DLQ unless `includeInvalid`.
 */
export async function replayDeadLetters(
  sqs: SQSClient,
  {
    queueUrl,
    workQueueUrl,
    deadLetterQueueUrl,
    max = Number.POSITIVE_INFINITY,
    includeInvalid = false,
  }: { queueUrl: string; workQueueUrl?: string; deadLetterQueueUrl: string; max?: number; includeInvalid?: boolean },
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: [], toWorkQueue: 0, skipped: [] };
  const skippedHandles: string[] = [];
  const skippedIds = new Set<string>();
  try {
    while (result.replayed.length < max) {
      const messages = await receive(sqs, deadLetterQueueUrl, Math.min(10, max - result.replayed.length), LOOK_VISIBILITY_SECONDS);
      const fresh = messages.filter((message) => !skippedIds.has(message.MessageId!));
      if (fresh.length === 0) {
        skippedHandles.push(...messages.map((message) => message.ReceiptHandle!));
        break;
      }
      for (const message of messages) {
        const letter = describeDeadLetter(message);
        if (skippedIds.has(letter.messageId)) {
          skippedHandles.push(message.ReceiptHandle!);
          continue;
        }
        if (!letter.valid && !includeInvalid) {
          skippedIds.add(letter.messageId);
          skippedHandles.push(message.ReceiptHandle!);
          result.skipped.push(letter);
          continue;
        }
        if (result.replayed.length >= max) {
          skippedHandles.push(message.ReceiptHandle!);
          continue;
        }
        const toWork = workQueueUrl !== undefined && letter.valid && laneOf({ kind: letter.kind as QueueMessage['kind'] }) === 'work';
        await sqs.send(new SendMessageCommand({ QueueUrl: toWork ? workQueueUrl : queueUrl, MessageBody: message.Body ?? '', MessageAttributes: message.MessageAttributes }));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
        result.replayed.push(letter);
        if (toWork) result.toWorkQueue++;
      }
    }
  } finally {
    await makeVisible(sqs, deadLetterQueueUrl, skippedHandles);
  }
  return result;
}

// ---------------------------------------------------------------- re-drive on AWS

/** An SQS queue ARN, e.g. the stack output DeadLetterQueueArn. */
const QUEUE_ARN = /^arn:aws(?:-cn|-us-gov)?:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80})$/;
/** SQS's bounds of MaxNumberOfMessagesPerSecond. */
export const MAX_REDRIVE_RATE = 500;

export function regionOfQueueArn(arn: string): string {
  const match = QUEUE_ARN.exec(arn);
  if (!match) throw new Error(`--dlq-arn must be an SQS queue ARN such as arn:aws:sqs:eu-central-1:123456789012:name (the stack output DeadLetterQueueArn), got "${arn.slice(0, 200)}"`);
  return match[1]!;
}

export interface RedriveTask {
  status: string;
  moved?: number;
  toMove?: number;
  startedAt?: string;
  failureReason?: string;
}

/**
 * Starts SQS's own move task on AWS: every message goes back to the queue it came from (events or
 * work; a delivery to the delivery queue), at `maxPerSecond` or SQS's own pace. SQS runs one task
 * per queue at a time; starting a second one is refused with the running one's progress.
 */
export async function startRedrive(sqs: SQSClient, deadLetterQueueArn: string, maxPerSecond?: number): Promise<{ taskHandle: string }> {
  regionOfQueueArn(deadLetterQueueArn);
  if (maxPerSecond !== undefined && (!Number.isInteger(maxPerSecond) || maxPerSecond < 1 || maxPerSecond > MAX_REDRIVE_RATE)) {
    throw new Error(`--max-per-second must be a whole number from 1 to ${MAX_REDRIVE_RATE}`);
  }
  const running = (await redriveTasks(sqs, deadLetterQueueArn)).find((task) => task.status === 'RUNNING');
  if (running)
    throw new Error(`a re-drive of this queue is already running (${running.moved ?? 0} of ${running.toMove ?? '?'} moved, started ${running.startedAt ?? '?'}): wait for it (redrive-status)`);
  // No DestinationArn: SQS sends each message back to its own source queue.
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: deadLetterQueueArn, ...(maxPerSecond !== undefined && { MaxNumberOfMessagesPerSecond: maxPerSecond }) }));
  return { taskHandle: TaskHandle ?? '' };
}

/** The queue's recent move tasks, newest first. */
export async function redriveTasks(sqs: SQSClient, deadLetterQueueArn: string): Promise<RedriveTask[]> {
  regionOfQueueArn(deadLetterQueueArn);
  const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: deadLetterQueueArn, MaxResults: 10 }));
  return Results.map((task) => ({
    status: task.Status ?? '?',
    moved: task.ApproximateNumberOfMessagesMoved,
    toMove: task.ApproximateNumberOfMessagesToMove,
    startedAt: task.StartedTimestamp === undefined ? undefined : new Date(task.StartedTimestamp).toISOString(),
    ...(task.FailureReason !== undefined && { failureReason: task.FailureReason }),
  }));
}

// ---------------------------------------------------------------- where the queues are

export interface QueueTarget {
  queueUrl: string;
  workQueueUrl?: string;
  deadLetterQueueUrl: string;
  endpoint?: string;
  region: string;
}

/** Credentials the local SQS emulator accepts (it accepts any); AWS uses the normal chain. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function sqsClientFor(target: Pick<QueueTarget, 'endpoint' | 'region'>): SQSClient {
  const hasCredentials = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
  return new SQSClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint, ...(hasCredentials ? {} : { credentials: LOCAL_CREDENTIALS }) } : {}),
  });
}

/** The local stack's queues on an SQS endpoint: `events`, `work` and `events-dlq`. */
async function localQueuesAt(endpoint: string, timeoutMs = 1500): Promise<{ queueUrl: string; workQueueUrl?: string; deadLetterQueueUrl: string } | undefined> {
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) });
    const queueUrl = QueueUrls.find((url) => url.endsWith('/events'));
    const workQueueUrl = QueueUrls.find((url) => url.endsWith('/work'));
    const deadLetterQueueUrl = QueueUrls.find((url) => url.endsWith('/events-dlq'));
    return queueUrl && deadLetterQueueUrl ? { queueUrl, workQueueUrl, deadLetterQueueUrl } : undefined;
  } catch {
    return undefined;
  } finally {
    sqs.destroy();
  }
}

/** The queues of the running `npm start`, from the file it writes (local/stack-file.ts). */
export async function runningLocalQueues(path = stackFilePath()): Promise<(QueueTarget & { endpoint: string }) | undefined> {
  const file = readStackFile(path);
  if (!file) return undefined;
  return { queueUrl: file.queueUrl, workQueueUrl: file.workQueueUrl, deadLetterQueueUrl: file.deadLetterQueueUrl, endpoint: file.sqsEndpoint, region: 'us-east-1' };
}

function regionOf(queueUrl: string | undefined): string | undefined {
  return queueUrl && /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(queueUrl)?.[1];
}

export interface CliOptions {
  command?: string;
  queueUrl?: string;
  workQueueUrl?: string;
  dlqUrl?: string;
  dlqArn?: string;
  maxPerSecond?: number;
  endpoint?: string;
  region?: string;
  max?: number;
  includeInvalid: boolean;
  json: boolean;
  help: boolean;
}

export function parseArguments(argv: string[]): CliOptions {
  const options: CliOptions = { includeInvalid: false, json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--queue-url') options.queueUrl = value();
    else if (arg === '--dlq-url') options.dlqUrl = value();
    else if (arg === '--dlq-arn') options.dlqArn = value();
    else if (arg === '--max-per-second') options.maxPerSecond = Number(value());
    else if (arg === '--work-queue-url') options.workQueueUrl = value();
    else if (arg === '--endpoint') options.endpoint = value().replace(/\/$/, '');
    else if (arg === '--region') options.region = value();
    else if (arg === '--max') {
      const max = Number(value());
      if (!Number.isInteger(max) || max < 1) throw new Error('--max must be a whole number from 1');
      options.max = max;
    } else if (arg === '--include-invalid') options.includeInvalid = true;
    else if (arg === '--json') options.json = true;
    else if (!arg.startsWith('-') && options.command === undefined) options.command = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

/**
 * Which queues to use. `list`: `--queue-url` (or `--dlq-url`) is the DLQ. `replay`:
 * `--queue-url` is the events queue, `--dlq-url` the DLQ. Missing ones: the local stack's
 * `events`/`events-dlq` at `--endpoint`, `$AWS_ENDPOINT_URL_SQS`, or those of the running `npm start`.
 */
export async function resolveTarget(options: CliOptions): Promise<QueueTarget> {
  let queueUrl = options.command === 'replay' ? options.queueUrl : undefined;
  let workQueueUrl = options.command === 'replay' ? options.workQueueUrl : undefined;
  let deadLetterQueueUrl = options.command === 'replay' ? options.dlqUrl : (options.queueUrl ?? options.dlqUrl);
  let endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_SQS;
  const onAws = [queueUrl, deadLetterQueueUrl].some((url) => url?.startsWith('https://'));
  const needed = options.command === 'replay' ? !queueUrl || !deadLetterQueueUrl : !deadLetterQueueUrl;
  if (needed) {
    if (onAws) throw new Error('give both --queue-url (the events queue) and --dlq-url (its dead-letter queue) for AWS');
    let local: { queueUrl: string; workQueueUrl?: string; deadLetterQueueUrl: string } | undefined;
    if (endpoint) {
      local = await localQueuesAt(endpoint);
      if (!local) throw new Error(`no queues "events" and "events-dlq" at ${endpoint}`);
    } else {
      const running = await runningLocalQueues();
      if (!running) throw new Error(`no running local stack (${stackFilePath()} names none): start it (npm start), or pass --endpoint, or the queue URLs`);
      local = running;
      endpoint = running.endpoint;
    }
    queueUrl ??= local.queueUrl;
    workQueueUrl ??= local.workQueueUrl;
    deadLetterQueueUrl ??= local.deadLetterQueueUrl;
  }
  const region = options.region ?? regionOf(queueUrl) ?? regionOf(deadLetterQueueUrl) ?? process.env.AWS_REGION ?? 'us-east-1';
  // Real AWS queue URLs go to AWS (endpoint from the SDK), unless an endpoint was given explicitly.
  const useEndpoint = options.endpoint ?? (onAws ? undefined : endpoint);
  return { queueUrl: queueUrl ?? '', workQueueUrl, deadLetterQueueUrl: deadLetterQueueUrl!, endpoint: useEndpoint, region };
}

export const HELP = `Dead letters of the events and work queues: list them, replay them.

  npm run dlq -- list   [--queue-url DLQ_URL] [--endpoint URL] [--max N] [--json]
  npm run dlq -- replay [--queue-url EVENTS_URL] [--work-queue-url WORK_URL] [--dlq-url DLQ_URL] [--endpoint URL] [--max N] [--include-invalid]
  npm run dlq -- redrive --dlq-arn DLQ_ARN [--max-per-second N]
  npm run dlq -- redrive-status --dlq-arn DLQ_ARN

list     prints each message in the dead-letter queue: id, receives so far, when it was sent and
         first received (SQS records no time of the last receive), its kind and projectId, and
         why it is there as far as the message shows it ("not JSON", the schema error, or "a valid
         message that failed every processing attempt"). The messages stay in the DLQ.
replay   sends messages back to their queue (PBX work to the work queue when its URL is known,
         the rest to the events queue), then deletes them from the DLQ. Processing is
         idempotent, so replaying (even twice) never duplicates effects. Messages the processor
         cannot understand stay in the DLQ unless --include-invalid. --max N: at most N messages.
redrive  (AWS) has SQS move every message of the DLQ back to the queue it came from, itself
         (StartMessageMoveTask), at --max-per-second N (1-${MAX_REDRIVE_RATE}) or SQS's own pace; one
         task per queue at a time. The ARN is the stack output DeadLetterQueueArn (or
         DeliveryDeadLetterQueueArn). The SQS emulator of the local stack has no move tasks: use replay.
redrive-status  (AWS) the queue's recent move tasks: status, messages moved of those to move.

Local stack (npm start, npm test): the queues are "events", "work" and "events-dlq" on the SQS emulator,
whose port changes per run. Without --endpoint (or AWS_ENDPOINT_URL_SQS) the tool looks for it on
127.0.0.1; with several stacks running, pass --endpoint http://127.0.0.1:<port>.

AWS: pass the queue URLs from the stack outputs (EventsQueueUrl, WorkQueueUrl, DeadLetterQueueUrl) and have AWS
credentials in the environment (AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
[/AWS_SESSION_TOKEN]); the region is taken from the URL (or --region / AWS_REGION):

  npm run dlq -- list --queue-url https://sqs.eu-central-1.amazonaws.com/123456789012/beeline-telephony-prod-events-dlq
  npm run dlq -- replay --queue-url https://sqs.eu-central-1.amazonaws.com/123456789012/beeline-telephony-prod-events \\
                        --work-queue-url https://sqs.eu-central-1.amazonaws.com/123456789012/beeline-telephony-prod-work \\
                        --dlq-url https://sqs.eu-central-1.amazonaws.com/123456789012/beeline-telephony-prod-events-dlq
`;

export function formatDeadLetter(letter: DeadLetter): string {
  return (
    `${letter.messageId}  receives ${letter.receiveCount}  first received ${letter.firstReceivedAt ?? '-'}  sent ${letter.sentAt ?? '-'}  ` +
    `kind ${letter.kind}  project ${letter.projectId ?? '-'}  ${letter.valid ? 'VALID' : 'INVALID'}: ${letter.reason}`
  );
}

export async function main(argv: string[], print: (line: string) => void = (line) => console.log(line)): Promise<number> {
  const options = parseArguments(argv);
  if (options.help || !options.command) {
    print(HELP);
    return options.help ? 0 : 2;
  }
  if (options.command === 'redrive' || options.command === 'redrive-status') {
    if (!options.dlqArn) throw new Error(`${options.command} needs --dlq-arn (the stack output DeadLetterQueueArn)`);
    const sqs = sqsClientFor({ region: options.region ?? regionOfQueueArn(options.dlqArn), endpoint: options.endpoint });
    try {
      if (options.command === 'redrive') {
        const { taskHandle } = await startRedrive(sqs, options.dlqArn, options.maxPerSecond);
        print(`re-drive started (task ${taskHandle}): SQS moves each message back to its own queue; follow it with redrive-status`);
      } else {
        const tasks = await redriveTasks(sqs, options.dlqArn);
        if (tasks.length === 0) print('no re-drive of this queue yet');
        for (const task of tasks) {
          print(`${task.status}  moved ${task.moved ?? 0} of ${task.toMove ?? '?'}  started ${task.startedAt ?? '-'}${task.failureReason ? `  failed: ${task.failureReason}` : ''}`);
        }
      }
      return 0;
    } finally {
      sqs.destroy();
    }
  }
  if (options.command !== 'list' && options.command !== 'replay') throw new Error(`unknown command ${options.command} (list, replay, redrive or redrive-status)`);
  const target = await resolveTarget(options);
  const sqs = sqsClientFor(target);
  try {
    if (options.command === 'list') {
      const letters = await listDeadLetters(sqs, target.deadLetterQueueUrl, { max: options.max });
      if (options.json) print(JSON.stringify(letters, null, 2));
      else {
        print(`${letters.length} message(s) in ${target.deadLetterQueueUrl}`);
        for (const letter of letters) print(formatDeadLetter(letter));
      }
      return 0;
    }
    const result = await replayDeadLetters(sqs, {
      queueUrl: target.queueUrl,
      workQueueUrl: target.workQueueUrl,
      deadLetterQueueUrl: target.deadLetterQueueUrl,
      max: options.max,
      includeInvalid: options.includeInvalid,
    });
    for (const letter of result.replayed) print(`replayed ${formatDeadLetter(letter)}`);
    for (const letter of result.skipped) print(`left in the DLQ ${formatDeadLetter(letter)}`);
    print(
      `replayed ${result.replayed.length} message(s) to ${target.queueUrl}` +
        (result.toWorkQueue > 0 ? ` (${result.toWorkQueue} of them to ${target.workQueueUrl})` : '') +
        (result.skipped.length > 0 ? `; ${result.skipped.length} invalid message(s) left in the DLQ (--include-invalid replays them anyway)` : ''),
    );
    return 0;
  } finally {
    sqs.destroy();
  }
}

// The SDK's notice about future Node versions is noise on an operator's console.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
