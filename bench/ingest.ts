/**
 * Figure 1, `ingest_overhead_ratio`: the ingest handler per webhook ÷ parsing the same XML with
 * the same parser (`parseXsiEvent`), in this process, no network.
 *
 * The handler is the real one, `createHandler(env, { logger })` from functions/ingest.ts. It builds
 * its own SQS client and takes no queue, so its queue is made a no-op one level down: while this
 * figure runs, `SQSClient.prototype.send` resolves at once without a request (restored after).
 * Everything the handler does per webhook is therefore measured: reading the path parameters,
 * the secret (3 HMACs), the body size, parsing, building and JSON-serialising the queue message,
 * the SendMessageCommand object, the answer. `acceptWebhook` with a stub MessageQueue (what the
 * handler delegates to) is measured too, as `ingest_overhead_ratio_intake`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { XMLValidator } from 'fast-xml-parser';
import { INITIAL_WEBHOOK_SECRET, secretsEqual, webhookSecret } from '../functions/commons/domain/webhook-secret';
import { xsiEventSchema } from '../functions/commons/domain/xsi-event-schema';
import { parseXsiEvent } from '../functions/commons/domain/xsi-parser';
import type { MessageQueue, QueueMessage } from '../functions/commons/ports';
import { acceptWebhook, cachedWebhookSecrets } from '../functions/commons/app/webhook-intake';
import { createMetrics } from '../functions/commons/adapters/metrics';
import { createHandler } from '../functions/ingest';
import { answeredIncomingCall, elapsedMs, formatMs, log, median, now, phoneFor, type Report } from './support';

export interface IngestOptions {
  iterations: number;
  rounds: number;
  warmupIterations: number;
}

const KEY = 'bench-webhook-key';
const PROJECT = 'bench';

function webhookEvent(body: string): APIGatewayProxyEventV2 {
  // What local/gateway.ts (and API Gateway, payload 2.0) hands the function.
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/beeline/{projectId}/{secret}',
    rawPath: `/webhooks/beeline/${PROJECT}/x`,
    rawQueryString: '',
    headers: { 'content-type': 'application/xml; charset=UTF-8' },
    pathParameters: { projectId: PROJECT, secret: webhookSecret(KEY, PROJECT) },
    requestContext: { http: { method: 'POST', path: `/webhooks/beeline/${PROJECT}/x` } },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

export async function benchIngest(report: Report, options: IngestOptions): Promise<void> {
  // 32 distinct calls × 3 events: the same bodies for the handler and for the bare parser.
  const bodies = Array.from({ length: 32 }, (_, i) => answeredIncomingCall(`bench-ingest-${i}`, phoneFor(i))).flat();
  const events = bodies.map(webhookEvent);
  for (const body of bodies) if (!parseXsiEvent(body).ok) throw new Error('bench: a generated webhook body does not parse');

  let sent = 0;
  let settingReads = 0;
  const restoreSqs = answerEverySend(SQSClient.prototype, () => sent++);
  // The project's webhook secret state and its capture setting (each read once a minute): no items.
  const restoreDynamo = answerEverySend(DynamoDBDocumentClient.prototype, () => settingReads++);
  const secrets = cachedWebhookSecrets(async () => INITIAL_WEBHOOK_SECRET);
  try {
    const handler = createHandler(
      { QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/events', TABLE_NAME: 'bench', WEBHOOK_KEY: KEY, AWS_REGION: 'eu-central-1' },
      { logger: new Logger({ serviceName: 'beeline-ingest', logLevel: 'SILENT' }) },
    );
    const stubQueue: MessageQueue = { send: async (_message: QueueMessage) => undefined };

    const n = bodies.length;
    const parseOnly = (iterations: number) => {
      let ok = 0;
      const started = now();
      for (let i = 0; i < iterations; i++) if (parseXsiEvent(bodies[i % n]!).ok) ok++;
      const ms = elapsedMs(started);
      if (ok !== iterations) throw new Error('bench: parse failed');
      return ms;
    };
    const viaHandler = async (iterations: number) => {
      let ok = 0;
      const started = now();
      for (let i = 0; i < iterations; i++) if ((await handler(events[i % n]!)).statusCode === 200) ok++;
      const ms = elapsedMs(started);
      if (ok !== iterations) throw new Error('bench: the ingest handler did not answer 200');
      return ms;
    };
    const viaIntake = async (iterations: number) => {
      let ok = 0;
      const started = now();
      for (let i = 0; i < iterations; i++) {
        const event = events[i % n]!;
        const answer = await acceptWebhook(
          { projectId: PROJECT, secret: event.pathParameters!.secret, bodyBytes: Buffer.byteLength(event.body!, 'utf8'), body: () => event.body! },
          { webhookKey: KEY, secrets, queue: stubQueue, now: Date.now() },
        );
        if (answer.status === 200) ok++;
      }
      const ms = elapsedMs(started);
      if (ok !== iterations) throw new Error('bench: acceptWebhook did not accept');
      return ms;
    };

    // Warm-up (JIT, caches), then rounds in rotating order; the median round of each.
    parseOnly(options.warmupIterations);
    await viaHandler(options.warmupIterations);
    await viaIntake(options.warmupIterations);
    sent = 0;
    const parse: number[] = [];
    const handle: number[] = [];
    const intake: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const steps = [
        () => Promise.resolve(parseOnly(options.iterations)).then((ms) => parse.push(ms)),
        () => viaHandler(options.iterations).then((ms) => handle.push(ms)),
        () => viaIntake(options.iterations).then((ms) => intake.push(ms)),
      ];
      for (let i = 0; i < steps.length; i++) await steps[(i + round) % steps.length]!();
    }
    if (sent !== options.rounds * options.iterations) throw new Error(`bench: the handler queued ${sent} messages, expected ${options.rounds * options.iterations}`);
    // The project's webhook secret generations and capture setting are read once a minute, not per webhook.
    if (settingReads > 2) throw new Error(`bench: the handler read the project's settings ${settingReads} times (the webhook secret state and the capture setting, once each)`);

    const perParse = median(parse) / options.iterations;
    const perHandler = median(handle) / options.iterations;
    const perIntake = median(intake) / options.iterations;
    // The figure: the median of each round's ratio (the two sides ran back to back, so a busy
    // machine slows both), not the ratio of two medians taken at different moments.
    const handlerRatio = median(handle.map((ms, i) => ms / parse[i]!));
    const intakeRatio = median(intake.map((ms, i) => ms / parse[i]!));
    log(
      `  ingest: handler ${formatMs(perHandler)}/webhook, acceptWebhook ${formatMs(perIntake)}, parseXsiEvent ${formatMs(perParse)} ` +
        `(medians of ${options.rounds} rounds × ${options.iterations} webhooks, ${options.warmupIterations} warm-up; ${bodies.length} distinct bodies of ~${Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length)} B)`,
    );
    report.figure('ingest_overhead_ratio', handlerRatio, 'ratio', { max: 1.5 });
    report.figure('ingest_overhead_ratio_intake', intakeRatio, 'ratio');
    // Where the time goes, per webhook (for the recommendations).
    const perOp = (iterations: number, op: (i: number) => unknown) => {
      for (let i = 0; i < 500; i++) op(i);
      const started = now();
      for (let i = 0; i < iterations; i++) op(i);
      return (elapsedMs(started) / iterations) * 1000;
    };
    const parsedEvents = bodies.map((b) => {
      const r = parseXsiEvent(b);
      if (!r.ok) throw new Error('bench: parse failed');
      return r.event;
    });
    const secret = webhookSecret(KEY, PROJECT);
    // One EMF line per webhook.
    const sink = createMetrics('ingest', {});
    const metricsPublishUs = perOp(3000, () => {
      sink.count('webhookAccepted');
      sink.publish();
    });
    const parts = {
      metricsPublishUs,
      secretCheckUs: perOp(5000, () => secretsEqual(secret, webhookSecret(KEY, PROJECT))),
      xmlValidateUs: perOp(3000, (i) => XMLValidator.validate(bodies[i % n]!)),
      zodEventCheckUs: perOp(5000, (i) => xsiEventSchema.safeParse(parsedEvents[i % n])),
      sendCommandUs: perOp(5000, (i) => new SendMessageCommand({ QueueUrl: 'https://sqs.eu-central-1.amazonaws.com/000000000000/events', MessageBody: bodies[i % n]! })),
      messageJsonUs: perOp(5000, (i) => JSON.stringify({ v: 1, kind: 'event', projectId: PROJECT, receivedAt: Date.now(), event: parsedEvents[i % n] })),
    };
    log(
      `    inside: parseXsiEvent ${(perParse * 1000).toFixed(0)} µs = XMLValidator.validate ${parts.xmlValidateUs.toFixed(0)} µs + XMLParser.parse + mapping + zod check ${parts.zodEventCheckUs.toFixed(0)} µs; ` +
        `handler extra: ${metricsPublishUs === undefined ? '' : `metrics (1 count + publish of one EMF line, output dropped) ${metricsPublishUs.toFixed(1)} µs, `}` +
        `secret check (3 HMAC-SHA256) ${parts.secretCheckUs.toFixed(1)} µs, queue message JSON ${parts.messageJsonUs.toFixed(1)} µs, ` +
        `new SendMessageCommand ${parts.sendCommandUs.toFixed(1)} µs (the send itself is a no-op here)`,
    );
    report.detail('ingest', {
      partsUs: parts,
      how: 'createHandler(env, {logger}) from functions/ingest.ts, SQSClient.prototype.send replaced by a no-op; intake = acceptWebhook with a stub MessageQueue',
      usPerWebhook: { handler: perHandler * 1000, acceptWebhook: perIntake * 1000, parseXsiEvent: perParse * 1000 },
      rounds: options.rounds,
      iterations: options.iterations,
      roundsMs: { parse, handler: handle, intake },
    });
    report.say(
      `ingest: ${formatMs(perHandler)} per webhook in the handler vs ${formatMs(perParse)} to parse it ` +
        `(ratio ${handlerRatio.toFixed(2)}: ${((1 - 1 / handlerRatio) * 100).toFixed(0)}% of the handler's time is not parsing)`,
    );
  } finally {
    restoreSqs();
    restoreDynamo();
  }
}

/** Makes every `send` of an SDK client class answer `{}` at once (counted); returns the undo. */
function answerEverySend(proto: { send: unknown }, count: () => void): () => void {
  const own = Object.hasOwn(proto, 'send') ? proto.send : undefined;
  proto.send = async () => {
    count();
    return {};
  };
  return () => {
    if (own) proto.send = own;
    else delete (proto as { send?: unknown }).send;
  };
}
