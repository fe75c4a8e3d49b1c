/**
 * `npm run bench` (issue 7): the module's performance figures, each beside its baseline, on this
 * machine against DynamoDB Local and the SQS emulator, loopback only. Outside `npm test`.
 *
 * stdout: one `bench <name> <value> <unit>` line per figure, then a short summary.
 * stderr: progress and the detail behind each figure. Also written to .bench/latest.json.
 *
 * `npm run bench -- --only=bundles,pipeline` runs some sections (ingest, bundles, requests,
 * delivery, notify, pipeline, match) and writes .bench/partial.json instead. A full run also
 * appends its figures to .bench/history.jsonl; `npm run bench -- --chart` draws that history into
 * docs/bench-history.svg (and runs nothing).
 *
 * Bounded: every loop has a count or a deadline, a watchdog ends the run at 330 s, and every
 * server, worker and Java process the bench starts is stopped on success, error or signal.
 */
import { cpus, loadavg } from 'node:os';
import { startDynamoDbLocal } from '../local/dynamodb';
import { benchBundles } from './bundles';
import { benchDdbRequests, benchProcessorRequests } from './ddb-requests';
import { benchDelivery } from './delivery';
import { benchIngest } from './ingest';
import { benchMatch } from './match';
import { benchNotify } from './notify';
import { benchPipeline } from './pipeline';
import { SETTINGS } from '../functions/commons/contracts/settings';
import { writeFileSync } from 'node:fs';
import { appendHistory, CHART_FILE, HISTORY_FILE, historyChart, readHistory } from './history';
import { cleanupAll, commitOf, keepStdoutForTheBench, log, onCleanup, out, Report, useLocalAwsEnvironment } from './support';

const SECTIONS = ['ingest', 'bundles', 'requests', 'delivery', 'notify', 'pipeline', 'match'] as const;
if (process.argv.includes('--chart')) {
  const runs = readHistory();
  writeFileSync(CHART_FILE, historyChart(runs));
  console.log(`bench: ${runs.length} run(s) of ${HISTORY_FILE} drawn into ${CHART_FILE}`);
  process.exit(0);
}
const only = process.argv
  .slice(2)
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .filter(Boolean);
const unknownSections = only?.filter((name) => !(SECTIONS as readonly string[]).includes(name)) ?? [];
if (unknownSections.length > 0) {
  console.error(`bench: unknown section ${unknownSections.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  process.exit(64);
}
const selected = (key: (typeof SECTIONS)[number]) => !only || only.includes(key);
const reportFile = only ? 'partial.json' : 'latest.json';

const BUDGET_MS = 330_000;
const started = Date.now();
const remaining = () => BUDGET_MS - (Date.now() - started);

useLocalAwsEnvironment();
const dropped = keepStdoutForTheBench();
const report = new Report();
report.detail('cpus', cpus().length);
report.detail('loadAverageAtStart', loadavg());
let failed = false;

let finishing = false;
async function finish(code: number, reason?: string): Promise<never> {
  if (finishing) {
    // A second signal while stopping: give up on a clean stop.
    process.exit(code);
  }
  finishing = true;
  if (reason) log(`bench: ${reason}`);
  await cleanupAll();
  report.note(reason ?? 'stopped early');
  log(`bench: partial results in ${report.write({}, reportFile)}`);
  process.exit(code);
}
process.on('SIGINT', () => void finish(130, 'interrupted: stopping everything it started'));
process.on('SIGTERM', () => void finish(143, 'terminated: stopping everything it started'));
const watchdog = setTimeout(() => void finish(2, `over the ${BUDGET_MS / 1000} s budget: stopping everything it started`), BUDGET_MS);
watchdog.unref();

async function section(key: (typeof SECTIONS)[number], name: string, work: () => Promise<void>): Promise<void> {
  if (!selected(key)) return;
  const at = Date.now();
  log(`\n[${name}] (${((at - started) / 1000).toFixed(0)} s into the run, load average ${loadavg()[0]!.toFixed(2)})`);
  try {
    await work();
  } catch (error) {
    failed = true;
    log(`[${name}] FAILED: ${(error as Error).stack ?? error}`);
    report.note(`${name} failed: ${(error as Error).message}`);
  }
  log(`[${name}] ${((Date.now() - at) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  log(
    `bench: ${cpus().length} CPUs, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other work on the machine skews every figure)`,
  );

  // No services yet: the CPU-bound micro figures first, on a quiet process.
  await section('ingest', '1 ingest overhead', () => benchIngest(report, { iterations: 1500, rounds: 15, warmupIterations: 3000 }));
  await section('bundles', '5 bundles and cold init', () => benchBundles(report, { coldRuns: 5, variantRuns: 3, variantFunctions: ['ingest', 'processor'] }));

  if (!(['requests', 'delivery', 'notify', 'pipeline', 'match'] as const).some(selected)) return;
  const dynamo = await startDynamoDbLocal({ dataDir: ':memory:' });
  onCleanup('DynamoDB Local', () => dynamo.stop());
  log(`\nDynamoDB Local ${dynamo.endpoint} (in memory)`);

  await section('requests', '2 DynamoDB requests per call', async () => {
    await benchDdbRequests(report, { endpoint: dynamo.endpoint, calls: 3 });
    await benchProcessorRequests(report, { endpoint: dynamo.endpoint, calls: 1 }).catch((error: unknown) => {
      report.note(`the processor-level request count could not run against this version of the processor: ${(error as Error).message}`);
    });
  });
  await section('delivery', '7 outbound delivery latency and requests', () => benchDelivery(report, { dynamoEndpoint: dynamo.endpoint, calls: 60, concurrency: 4 }));
  await section('notify', '8 hang-up to notification', () =>
    benchNotify(report, { dynamoEndpoint: dynamo.endpoint, calls: 20, concurrency: 10, settleSeconds: [SETTINGS.callSettleSeconds.default, 2] }),
  );
  await section('pipeline', '4+6 pipeline throughput and webhook latency', () =>
    benchPipeline(report, {
      dynamoEndpoint: dynamo.endpoint,
      warmupCalls: 100,
      warmupRounds: 5,
      calls: 150,
      concurrency: 20,
      rawPuts: 2000,
      rounds: 3,
      floodConnections: 200,
      floodMs: 10_000,
      drainTimeoutMs: Math.min(60_000, Math.max(20_000, remaining() - 150_000)),
    }),
  );
  // Last: it fills DynamoDB Local with 200k items. Load budget from what is left of the run.
  await section('match', '3 match scaling', () =>
    benchMatch(report, {
      endpoint: dynamo.endpoint,
      clients: 100_000,
      loadBudgetMs: Math.min(120_000, Math.max(15_000, remaining() - 50_000)),
      matches: 400,
      rounds: 7,
      concurrency: 16,
      matchConcurrency: 4,
      streams: false,
    }),
  );
}

try {
  await main();
} catch (error) {
  failed = true;
  log(`bench: ${(error as Error).stack ?? error}`);
  report.note(`run failed: ${(error as Error).message}`);
}
await cleanupAll();
report.detail('loadAverageAtEnd', loadavg());

// Summary (stdout, after the figures).
out('');
out(`summary (${((Date.now() - started) / 1000).toFixed(0)} s, ${cpus().length} CPUs, load average at start ${(report.details.loadAverageAtStart as number[])[0]!.toFixed(2)}):`);
for (const line of report.summary) out(`  ${line}`);
const targeted = report.figures.filter((f) => f.target);
if (targeted.length) {
  out(`  targets: ${targeted.filter((f) => f.ok).length} of ${targeted.length} met`);
  for (const f of targeted.filter((f) => !f.ok)) out(`    missed: ${f.name} ${f.value} ${f.unit} (target ${f.target})`);
}
if (dropped.writes > 0)
  report.note(`the handlers wrote ${dropped.writes} times (${(dropped.bytes / 1024).toFixed(0)} KB, EMF metric lines) to stdout: produced, then dropped to keep this output readable`);
for (const note of report.notes) out(`  note: ${note}`);
const file = report.write({}, reportFile);
out(`  details: ${file}`);
if (!only && !failed) {
  appendHistory({ at: new Date().toISOString(), ...commitOf(), figures: report.figures });
  out(`  history: ${HISTORY_FILE} (npm run bench -- --chart draws it)`);
}
process.exit(failed ? 1 : 0);
