/**
 * Figures 4 and 6 on the local stack (local/stack.ts: gateway → ingest → SQS emulator →
 * pollers → processor → DynamoDB Local), settleSeconds 0, webhooks posted over loopback HTTP by
 * a separate process (bench/load-worker.ts):
 *
 * - `pipeline_events_per_s`: events per second from the first post until every call is finalized
 *   (counted from the stack's one-line-per-finalized-call output, checked in the table), after a
 *   warm-up; `pipeline_vs_raw_ratio` = that ÷ single-item PutItems per second against the same
 *   DynamoDB Local with the same concurrency.
 * - `webhook_p99_ms`: 200 concurrent senders for a bounded time, every request a distinct event;
 *   then every accepted event must be found in its call's stored state (0 lost).
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { callKey, callsIndexPk } from '../functions/commons/adapters/dynamo/keys';
import { createDocumentClient } from '../functions/commons/adapters/dynamo/document-client';
import { webhookSecret } from '../functions/commons/domain/webhook-secret';
import { sqsClientFrom } from '../functions/commons/adapters/sqs-queue';
import { LOCAL_AWS } from '../local/dynamodb';
import { startLocalStack, type LocalStack } from '../local/stack';
import type { LoadCommand, LoadReport } from './load-worker';
import { countSends, cpuMeter, log, median, onCleanup, pool, registerBenchSubscription, ROOT, sleep, waitFor, withTimeout, type Report } from './support';

export interface PipelineOptions {
  dynamoEndpoint: string;
  /**
   * Warm-up rounds of this many calls until two rounds in a row agree within 10% (DynamoDB
   * Local's JIT compiler takes a few thousand requests to settle), at most `warmupRounds`.
   */
  warmupCalls: number;
  warmupRounds: number;
  calls: number;
  /** Webhooks in flight while measuring throughput, and PutItems in flight for the raw baseline. */
  concurrency: number;
  rawPuts: number;
  /** Measured rounds of the pipeline and of the raw baseline, alternating; the medians are reported. */
  rounds: number;
  floodConnections: number;
  floodMs: number;
  /** Longest wait for the pipeline to drain after posting. */
  drainTimeoutMs: number;
}

const ADMIN_TOKEN = 'bench-admin-token';
const WEBHOOK_KEY = 'bench-webhook-key';

type Done = Extract<LoadReport, { type: 'done' }>;

/** Runs one load command in a fresh worker process; the worker is killed however this ends. */
async function runLoad(command: LoadCommand, timeoutMs: number): Promise<{ startedAt: number; done: Done }> {
  const child = fork(join(ROOT, 'bench', 'load-worker.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stop = onCleanup(`load worker ${child.pid}`, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  try {
    return await withTimeout(
      new Promise<{ startedAt: number; done: Done }>((resolve, reject) => {
        let startedAt = 0;
        child.on('message', (message: LoadReport) => {
          if (message.type === 'started') startedAt = message.at;
          else resolve({ startedAt, done: message });
        });
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`load worker exited (${code}) before reporting`)));
        child.send(command);
      }),
      timeoutMs,
      `load (${command.mode})`,
    );
  } finally {
    await stop();
  }
}

export async function benchPipeline(report: Report, options: PipelineOptions): Promise<void> {
  let finalized = 0;
  const errors: string[] = [];
  const stack: LocalStack = await startLocalStack({
    port: 0,
    simPort: 0,
    host: '127.0.0.1',
    dynamoEndpoint: options.dynamoEndpoint,
    tableName: `bench-pipeline-${Date.now()}`,
    settleSeconds: 0,
    adminToken: ADMIN_TOKEN,
    webhookKey: WEBHOOK_KEY,
    logLevel: 'SILENT',
    console: (line) => {
      if (/^call (incoming|outgoing) /.test(line)) finalized++;
    },
    onError: (error) => {
      if (errors.length < 20) errors.push((error as Error)?.message ?? String(error));
    },
  });
  const stopStack = onCleanup('local stack', () => stack.stop());
  const db = createDocumentClient({ endpoint: options.dynamoEndpoint, region: LOCAL_AWS.region });
  const sqs = sqsClientFrom(stack.env);
  let restoreWarn = () => {};
  try {
    const projectId = 'bench';
    const put = await fetch(`${stack.apiUrl}/projects/${projectId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench', timezone: 'Europe/Moscow', messengers: ['whatsapp'] }),
    });
    if (put.status !== 200) throw new Error(`bench: PUT /projects/${projectId} answered ${put.status}: ${await put.text()}`);
    const registered = await registerBenchSubscription(stack.env, projectId);
    log(`  local stack ${stack.apiUrl} (settleSeconds 0, pollers 2 × batch 10); ${registered}`);
    const url = `${stack.apiUrl}/webhooks/beeline/${projectId}/${webhookSecret(WEBHOOK_KEY, projectId)}`;

    const queueEmpty = async () => {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.queueUrl, AttributeNames: ['All'] }));
      const depth = Attributes as Record<string, string | undefined>;
      return ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'].every((name) => Number(depth[name] ?? 0) === 0);
    };
    const deadLetters = async () => {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.deadLetterQueueUrl, AttributeNames: ['All'] }));
      return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    };
    /** Every call item of the project: its extTrackingId, outcome and the eventIds it holds. */
    const storedCalls = async () => {
      const calls: { ext: string; outcome: string; eventIds: string[] }[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: stack.env.TABLE_NAME,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': callsIndexPk(projectId) },
            ProjectionExpression: 'extTrackingId, outcome',
            ExclusiveStartKey: startKey,
          }),
        );
        // The index holds a call-log entry, not the state: the states are read from the call items.
        const entries = (page.Items ?? []).map((item) => ({ ext: item.extTrackingId as string, outcome: item.outcome as string }));
        for (let i = 0; i < entries.length; i += 100) {
          const chunk = entries.slice(i, i + 100);
          const states = new Map<string, string>();
          let keys: Record<string, unknown>[] | undefined = chunk.map(({ ext }) => callKey(projectId, ext));
          while (keys?.length) {
            const got: BatchGetCommandOutput = await db.send(
              new BatchGetCommand({ RequestItems: { [stack.env.TABLE_NAME!]: { Keys: keys, ProjectionExpression: 'extTrackingId, #s', ExpressionAttributeNames: { '#s': 'state' } } } }),
            );
            for (const item of got.Responses?.[stack.env.TABLE_NAME!] ?? []) states.set(item.extTrackingId as string, item.state as string);
            keys = got.UnprocessedKeys?.[stack.env.TABLE_NAME!]?.Keys;
          }
          for (const { ext, outcome } of chunk) {
            const state = JSON.parse(states.get(ext) ?? '{"seenEventIds":[]}') as { seenEventIds: string[] };
            calls.push({ ext, outcome, eventIds: state.seenEventIds });
          }
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return calls;
    };

    // ---- Figure 4: throughput -----------------------------------------------------------------
    const playCalls = async (prefix: string, calls: number, phoneOffset: number) => {
      const before = finalized;
      const { startedAt, done } = await runLoad({ mode: 'calls', url, calls, concurrency: options.concurrency, prefix, phoneOffset }, options.drainTimeoutMs);
      if (done.accepted !== calls * 3) throw new Error(`bench: ${done.accepted} of ${calls * 3} webhooks accepted: ${JSON.stringify(done.statuses)} ${done.errors.join('; ')}`);
      const all = await waitFor(() => finalized - before >= calls, options.drainTimeoutMs, 5);
      const finishedAt = Date.now();
      if (!all) throw new Error(`bench: only ${finalized - before} of ${calls} calls finalized within ${options.drainTimeoutMs / 1000} s (errors: ${errors.slice(0, 3).join('; ')})`);
      return { startedAt, postedAt: done.endedAt, finishedAt, done, eventsPerSecond: (calls * 3) / ((finishedAt - startedAt) / 1000) };
    };
    // Steady state: a cold JVM spends much of its CPU compiling, which the raw baseline (run later) would not pay.
    const warmupRates: number[] = [];
    for (let round = 0; round < options.warmupRounds; round++) {
      const warm = await playCalls(`warm${round}`, options.warmupCalls, round * options.warmupCalls);
      warmupRates.push(warm.eventsPerSecond);
      const [previous, last] = warmupRates.slice(-2);
      if (previous !== undefined && Math.abs(last! - previous) <= 0.1 * previous) break;
    }
    log(`  warm-up: ${warmupRates.length} rounds of ${options.warmupCalls} calls, ${warmupRates.map((r) => r.toFixed(0)).join(' → ')} events/s`);
    // What the stack sends while the measured calls go through (every client instance, counted at send).
    const ddbSends = countSends(DynamoDBDocumentClient, 'ddb');
    const sqsSends = countSends(SQSClient, 'sqs');
    let run: Awaited<ReturnType<typeof playCalls>>;
    let sends: Record<string, number>;
    let sendFailures: Record<string, number>;
    let sendLatency: Record<string, number>;
    const cpu = cpuMeter(options.dynamoEndpoint);
    let runCpu: ReturnType<typeof cpu.stop>;
    /** Share of the time the stack's event loop (gateway, ingest, processor, clients) was busy. */
    let runLoopUtilization = 0;
    try {
      cpu.start();
      const loopBefore = performance.eventLoopUtilization();
      run = await playCalls('run', options.calls, 100_000);
      runLoopUtilization = performance.eventLoopUtilization(loopBefore).utilization;
      runCpu = cpu.stop();
      sends = { ...ddbSends.counts(), ...sqsSends.counts() };
      sendFailures = { ...ddbSends.failures(), ...sqsSends.failures() };
      sendLatency = { ...ddbSends.latencyMs(), ...sqsSends.latencyMs() };
    } finally {
      ddbSends.restore();
      sqsSends.restore();
    }
    const events = options.calls * 3;
    const seconds = (run.finishedAt - run.startedAt) / 1000;
    const pipelineRates = [run.eventsPerSecond];
    const ingestPerSecond = events / ((run.postedAt - run.startedAt) / 1000);
    const stored = (await storedCalls()).filter((c) => c.ext.startsWith('run-'));
    const finalizedStored = stored.filter((c) => c.outcome === 'answered').length;
    if (finalizedStored !== options.calls) throw new Error(`bench: ${finalizedStored} of ${options.calls} calls answered in the table`);
    await waitFor(queueEmpty, 10_000, 50);

    // Raw baseline: single-item PutItems of a call-sized item, same DynamoDB Local, same concurrency.
    const sample = JSON.stringify({ seenEventIds: Array.from({ length: 3 }, () => crypto.randomUUID()), legs: { a: { callId: 'x'.repeat(40), remotePhone: '79161234567' } }, pad: 'x'.repeat(700) });
    const putOne = (i: number) =>
      db
        .send(
          new PutCommand({
            TableName: stack.env.TABLE_NAME,
            Item: { pk: `P#bench-raw#CALL#raw-${i}`, sk: 'CALL', gsi1pk: 'P#bench-raw#CALLS', gsi1sk: `2026-11-29T09:30:05.000Z#raw-${i}`, version: 1, state: sample, outcome: 'in_progress' },
          }),
        )
        .then(() => undefined);
    await pool(
      Array.from({ length: 200 }, (_, i) => i),
      options.concurrency,
      putOne,
    ); // warm-up
    const rawRound = async (round: number) => {
      const started = process.hrtime.bigint();
      await pool(
        Array.from({ length: options.rawPuts }, (_, i) => 1000 + round * options.rawPuts + i),
        options.concurrency,
        putOne,
      );
      return options.rawPuts / (Number(process.hrtime.bigint() - started) / 1e9);
    };
    cpu.start();
    const rawRates = [await rawRound(0)];
    const rawCpu = cpu.stop();
    // The machine's other work moves single figures by ±20%: more rounds, alternating, medians.
    for (let round = 1; round < options.rounds; round++) {
      pipelineRates.push((await playCalls(`run${round}`, options.calls, 100_000 + round * options.calls)).eventsPerSecond);
      await waitFor(queueEmpty, 10_000, 50);
      rawRates.push(await rawRound(round));
    }
    const eventsPerSecond = median(pipelineRates);
    const rawPerSecond = median(rawRates);
    log(`  ${options.rounds} rounds: pipeline ${pipelineRates.map((r) => r.toFixed(0)).join(', ')} events/s; ` + `raw PutItems ${rawRates.map((r) => r.toFixed(0)).join(', ')}/s (medians used)`);

    // What each kind of request costs DynamoDB Local at the same concurrency (requests/s), to model
    // the pipeline: the same shapes the adapters send (consistent Get of a call item, Query Limit 1
    // of a phone partition, a 3-item TransactWrite like finalize).
    const table = stack.env.TABLE_NAME!;
    const costOps: Record<string, (i: number) => Promise<unknown>> = {
      'ddb.Get': (i) => db.send(new GetCommand({ TableName: table, Key: { pk: `P#bench-raw#CALL#raw-${1000 + i}`, sk: 'CALL' }, ConsistentRead: true })),
      'ddb.Query': (i) =>
        db.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `P#bench-raw#PH#7916${i}` }, ConsistentRead: true, Limit: 1 })),
      'ddb.TransactWrite': (i) =>
        db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: table,
                  Key: { pk: `P#bench-raw#C#c${i}`, sk: 'CLIENT' },
                  UpdateExpression: 'SET lastCallStartedAt = :t ADD version :one',
                  ExpressionAttributeValues: { ':t': i, ':one': 1 },
                },
              },
              { Put: { TableName: table, Item: { pk: `P#bench-raw#C#c${i}`, sk: `MSG#2026-11-29T09:30:05.000Z#call-${i}`, text: 'beeline_call_event Incoming', kind: 'notification' } } },
              {
                Put: {
                  TableName: table,
                  Item: { pk: `P#bench-raw#CALL#tw-${i}`, sk: 'CALL', gsi1pk: 'P#bench-raw#CALLS', gsi1sk: `2026-11-29T09:30:05.000Z#tw-${i}`, version: 1, state: sample },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
    };
    const rates: Record<string, number> = { 'ddb.Put': rawPerSecond, 'ddb.Update': rawPerSecond };
    for (const [name, op] of Object.entries(costOps)) {
      const count = Math.min(options.rawPuts, 400);
      const t0 = process.hrtime.bigint();
      await pool(
        Array.from({ length: count }, (_, i) => i),
        options.concurrency,
        (i) => op(i).then(() => undefined),
      );
      rates[name] = count / (Number(process.hrtime.bigint() - t0) / 1e9);
    }
    /** Seconds of DynamoDB Local per call for a request mix (requests per call by command). */
    const ddbSecondsPerCall = (mix: Record<string, number>) => Object.entries(mix).reduce((sum, [name, n]) => sum + n / (rates[name] ?? rawPerSecond), 0);
    const measuredMix = Object.fromEntries(
      Object.entries(sends)
        .filter(([k]) => k.startsWith('ddb.'))
        .map(([k, n]) => [k, n / options.calls]),
    );
    const boundEventsPerSecond = 3 / ddbSecondsPerCall(measuredMix);
    const models = {
      'as built (measured mix)': measuredMix,
      // The start report (beeline_call_started) as a conditional Put of an event whose id derives from the call and a Put of the
      // client's active call, beside the event's own write, instead of a transaction of the three.
      'start report without its transaction': {
        ...measuredMix,
        'ddb.TransactWrite': Math.max(0, (measuredMix['ddb.TransactWrite'] ?? 0) - 1),
        'ddb.Put': (measuredMix['ddb.Put'] ?? 0) + 3,
      },
      'events as items (1 conditional Put each), settle = Query + match + 1 transaction': { 'ddb.Put': 3, 'ddb.Query': 2, 'ddb.TransactWrite': 1 },
    };
    const modelLines: string[] = [];
    modelLines.push(
      `  DynamoDB Local alone at ${options.concurrency} in flight: ${Object.entries(rates)
        .filter(([k]) => k !== 'ddb.Update')
        .map(([k, r]) => `${k.slice(4)} ${r.toFixed(0)}/s`)
        .join(', ')}`,
    );
    for (const [label, mix] of Object.entries(models)) {
      const bound = 3 / ddbSecondsPerCall(mix);
      modelLines.push(
        `    model "${label}": ${Object.values(mix)
          .reduce((a, b) => a + b, 0)
          .toFixed(1)} requests per call, at most ${bound.toFixed(0)} events/s if DynamoDB Local is the limit (ratio ≤ ${(bound / rawPerSecond).toFixed(2)})`,
      );
    }

    log(
      `  pipeline: ${options.calls} calls (${events} events) posted at ${ingestPerSecond.toFixed(0)}/s, all finalized after ${seconds.toFixed(1)} s ` +
        `(after the warm-up; ${options.concurrency} webhooks in flight); raw PutItem: ${rawRates[0]!.toFixed(0)}/s (${options.rawPuts} puts, ${options.concurrency} in flight)`,
    );
    const perEvent = (prefix: string) =>
      Object.entries(sends)
        .filter(([name]) => name.startsWith(prefix))
        .reduce((sum, [, n]) => sum + n, 0) / events;
    const describe = (counts: Record<string, number>) =>
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${(n / options.calls).toFixed(2)}`)
        .join(', ');
    const pct = (c: { nodePercent: number; dynamoPercent?: number }) =>
      `this process ${c.nodePercent.toFixed(0)}%, DynamoDB Local ${c.dynamoPercent === undefined ? '?' : c.dynamoPercent.toFixed(0)}% of a core`;
    log(
      `  CPU while the calls went through: ${pct(runCpu)}, the stack's event loop busy ${(runLoopUtilization * 100).toFixed(0)}% of the time ` +
        `(the webhook sender is another process, the SQS emulator a thread); during the raw PutItems: ${pct(rawCpu)}`,
    );
    log(`  sent by the stack per call: ${describe(sends)}`);
    log(
      `    mean latency: ${Object.entries(sendLatency)
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => `${name} ${(ms / sends[name]!).toFixed(1)} ms`)
        .join(', ')}`,
    );
    log(
      `    = ${perEvent('ddb.').toFixed(2)} DynamoDB + ${perEvent('sqs.').toFixed(2)} SQS requests per event` +
        `${Object.keys(sendFailures).length ? `; failed per call: ${describe(sendFailures)}` : ''} (the stack's own polling and queries of the bench included)`,
    );
    for (const line of modelLines) log(line);
    report.figure('pipeline_events_per_s', eventsPerSecond, 'events/s');
    report.figure('raw_putitems_per_s', rawPerSecond, 'puts/s');
    report.figure('pipeline_vs_raw_ratio', eventsPerSecond / rawPerSecond, 'ratio', { min: 0.3 });
    // How close the pipeline comes to what DynamoDB Local alone allows its measured request mix: the rest of the stack's share.
    report.figure('pipeline_vs_ddb_bound_ratio', eventsPerSecond / boundEventsPerSecond, 'ratio');
    report.detail('pipeline', {
      ddbRatesPerSecond: rates,
      ddbBoundEventsPerSecond: boundEventsPerSecond,
      models: Object.fromEntries(Object.entries(models).map(([label, mix]) => [label, { mix, boundEventsPerSecond: 3 / ddbSecondsPerCall(mix) }])),
      meanLatencyMs: Object.fromEntries(Object.entries(sendLatency).map(([k, ms]) => [k, ms / sends[k]!])),
      sendsPerCall: Object.fromEntries(Object.entries(sends).map(([k, n]) => [k, n / options.calls])),
      failuresPerCall: Object.fromEntries(Object.entries(sendFailures).map(([k, n]) => [k, n / options.calls])),
      cpu: { run: runCpu, raw: rawCpu, runEventLoopUtilization: runLoopUtilization },
      calls: options.calls,
      events,
      seconds,
      eventsPerSecond,
      ingestAcceptPerSecond: ingestPerSecond,
      rawPuts: options.rawPuts,
      rawPerSecond,
      pipelineRounds: pipelineRates,
      rawRounds: rawRates,
      concurrency: options.concurrency,
      postLatencyMs: run.done.latencyMs,
      warmupEventsPerSecond: warmupRates,
    });
    report.say(
      `pipeline: ${eventsPerSecond.toFixed(0)} events/s end to end vs ${rawPerSecond.toFixed(0)} raw PutItems/s on the same DynamoDB Local; ` +
        `${((eventsPerSecond / boundEventsPerSecond) * 100).toFixed(0)}% of the ${boundEventsPerSecond.toFixed(0)} events/s DynamoDB Local alone allows its request mix`,
    );

    // ---- Figure 6: webhook latency under 200 concurrent senders ------------------------------
    const before = await storedCalls();
    // The SDK warns (console.warn) when its 50-socket pool queues requests: counted, not printed.
    const warn = console.warn;
    const sdkWarnings: Record<string, number> = {};
    console.warn = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      const key = /socket usage at capacity/.test(text) ? 'SDK socket pool at capacity (maxSockets 50)' : text.slice(0, 120);
      sdkWarnings[key] = (sdkWarnings[key] ?? 0) + 1;
    };
    restoreWarn = () => (console.warn = warn);
    cpu.start();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const flood = await runLoad({ mode: 'flood', url, connections: options.floodConnections, durationMs: options.floodMs, prefix: 'flood', phoneOffset: 200_000 }, options.floodMs + 60_000);
    loopDelay.disable();
    const loop = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    const accepted = new Set(flood.done.acceptedEventIds);
    const floodSeconds = (flood.done.endedAt - flood.startedAt) / 1000;
    log(
      `  flood: ${options.floodConnections} senders for ${floodSeconds.toFixed(1)} s: ${flood.done.sent} webhooks (${(flood.done.sent / floodSeconds).toFixed(0)}/s), ` +
        `statuses ${JSON.stringify(flood.done.statuses)}, latency p50 ${flood.done.latencyMs.p50.toFixed(1)} / p90 ${flood.done.latencyMs.p90.toFixed(1)} / ` +
        `p99 ${flood.done.latencyMs.p99.toFixed(1)} / max ${flood.done.latencyMs.max.toFixed(1)} ms; ` +
        `the stack's event loop delay p99 ${loop.p99.toFixed(0)} / max ${loop.max.toFixed(0)} ms`,
    );
    if (flood.done.slowCount > 0) {
      log(
        `    ${flood.done.slowCount} requests over 2 s; the first (started at → took): ` +
          flood.done.slow
            .slice(0, 8)
            .map((r) => `${(r.startMs / 1000).toFixed(1)} s → ${(r.ms / 1000).toFixed(1)} s`)
            .join(', '),
      );
    }
    // Drain: the processor works off what was queued; then every accepted eventId must be stored.
    const drainStarted = Date.now();
    const drained = await waitFor(queueEmpty, options.drainTimeoutMs, 200);
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    const floodCpu = cpu.stop();
    await sleep(200);
    const after = await storedCalls();
    const seenBefore = new Set(before.flatMap((c) => c.eventIds));
    const stored2 = new Set(after.flatMap((c) => c.eventIds).filter((id) => !seenBefore.has(id)));
    let lost = 0;
    for (const id of accepted) if (!stored2.has(id)) lost++;
    const dead = await deadLetters();
    restoreWarn();
    if (Object.keys(sdkWarnings).length) {
      log(
        `  warnings in the stack during the run and drain: ${Object.entries(sdkWarnings)
          .map(([k, n]) => `${k} ×${n}`)
          .join('; ')}`,
      );
    }
    log(
      `  drain: ${drained ? 'queue empty' : 'queue NOT empty'} after ${drainSeconds.toFixed(1)} s; ${accepted.size} accepted events, ${accepted.size - lost} found in the calls' stored state, ` +
        `${lost} lost; ${dead} in the DLQ; stack errors: ${errors.length}${errors.length ? ` (${errors.slice(0, 2).join('; ')})` : ''}`,
    );
    log(`  CPU during the 200-sender run and its drain: ${pct(floodCpu)}`);
    report.figure('webhook_p99_ms', flood.done.latencyMs.p99, 'ms');
    report.figure('webhook_events_lost', lost, 'events', { max: 0 });
    report.detail('webhook', {
      connections: options.floodConnections,
      seconds: floodSeconds,
      sent: flood.done.sent,
      accepted: accepted.size,
      statuses: flood.done.statuses,
      errors: flood.done.errors,
      latencyMs: flood.done.latencyMs,
      slowRequests: { count: flood.done.slowCount, first: flood.done.slow },
      eventLoopDelayMs: loop,
      drained,
      drainSeconds,
      lost,
      deadLetters: dead,
      stackErrors: errors,
      sdkWarnings,
      cpu: floodCpu,
    });
    if (!drained) report.note(`the queue did not drain within ${options.drainTimeoutMs / 1000} s after the 200-sender run: events not yet processed count as lost`);
    // Baseline: the same 200 senders against a stack that only ingests (no pollers, so nothing
    // is processed meanwhile): how much of the p99 is the processor competing for this process.
    const ingestOnly = await startLocalStack({
      port: 0,
      simPort: 0,
      host: '127.0.0.1',
      dynamoEndpoint: options.dynamoEndpoint,
      tableName: `bench-ingest-only-${Date.now()}`,
      settleSeconds: 0,
      adminToken: ADMIN_TOKEN,
      webhookKey: WEBHOOK_KEY,
      logLevel: 'SILENT',
      pollerConcurrency: 0,
      onError: () => undefined,
    });
    const stopIngestOnly = onCleanup('ingest-only stack', () => ingestOnly.stop());
    let baseline: Done;
    let baselineStarted = 0;
    const warnAgain = console.warn;
    console.warn = () => undefined;
    try {
      const result = await runLoad(
        {
          mode: 'flood',
          url: `${ingestOnly.apiUrl}/webhooks/beeline/${projectId}/${webhookSecret(WEBHOOK_KEY, projectId)}`,
          connections: options.floodConnections,
          durationMs: options.floodMs,
          prefix: 'baseline',
          phoneOffset: 300_000,
        },
        options.floodMs + 60_000,
      );
      baseline = result.done;
      baselineStarted = result.startedAt;
    } finally {
      console.warn = warnAgain;
      await stopIngestOnly();
    }
    const baselineRate = baseline.sent / ((baseline.endedAt - baselineStarted) / 1000);
    log(
      `  baseline, the same senders against a stack that only ingests (pollers off): ${baseline.sent} webhooks (~${baselineRate.toFixed(0)}/s), ` +
        `statuses ${JSON.stringify(baseline.statuses)}, p50 ${baseline.latencyMs.p50.toFixed(1)} / p99 ${baseline.latencyMs.p99.toFixed(1)} / max ${baseline.latencyMs.max.toFixed(1)} ms`,
    );
    if (baseline.slowCount > 0) {
      log(
        `    ${baseline.slowCount} requests over 2 s; the first (started at → took): ` +
          baseline.slow
            .slice(0, 8)
            .map((r) => `${(r.startMs / 1000).toFixed(1)} s → ${(r.ms / 1000).toFixed(1)} s`)
            .join(', '),
      );
    }
    report.figure('webhook_p99_ms_ingest_only', baseline.latencyMs.p99, 'ms');
    report.detail('webhookIngestOnly', { sent: baseline.sent, statuses: baseline.statuses, latencyMs: baseline.latencyMs, slowCount: baseline.slowCount, slow: baseline.slow });
    report.say(
      `webhooks: p99 ${flood.done.latencyMs.p99.toFixed(0)} ms with ${options.floodConnections} concurrent senders (${(flood.done.sent / floodSeconds).toFixed(0)} req/s; ` +
        `${baseline.latencyMs.p99.toFixed(0)} ms when the stack only ingests); ` +
        `${lost} of ${accepted.size} accepted events lost; drained in ${drainSeconds.toFixed(1)} s`,
    );
  } finally {
    restoreWarn();
    db.destroy();
    sqs.destroy();
    await stopStack();
  }
}
