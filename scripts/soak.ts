/**
 * `npm run soak`: the long form of test/reliability/faults.test.ts and load.test.ts, on a
 * local stack of its own (loopback only, in-memory data, free ports). Bounded to 10 minutes;
 * stops by itself and exits 0 only when everything checked out.
 *
 * 1. 500 mixed calls through the PBX simulator (incoming answered/missed, outgoing, sequential
 *    hunt groups, simultaneous ringing, click-to-call via beeline/call), the simulator
 *    duplicating and shuffling events, the processor failing 20 % of each batch's records —
 *    before processing them for the first half of the calls, after processing them for the
 *    second half. Every call: exactly one client, the expected variables, one notification.
 * 2. 60 s of 200 concurrent webhook posts (each a distinct call's released event): no 5xx,
 *    every accepted event reaches the call log, latency percentiles.
 *
 * Options (environment): SOAK_CALLS (500), SOAK_LOAD_SECONDS (60), SOAK_SEED.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { storesFrom } from '../functions/commons/composition';
import { webhookSecret } from '../functions/commons/domain/webhook-secret';
import { faultStats, type ProcessorFaults } from '../local/fault-injection';
import { startLocalStack, type LocalStack } from '../local/stack';
import {
  apiClient,
  connectProject,
  formatReport,
  planMixedCalls,
  playCalls,
  queueDepth,
  verifyCalls,
  waitUntilSettled,
  type MixedReport,
  type PlayedCall,
} from '../test/reliability/mixed-calls';
import { formatLoad, missingFromCallLog, runWebhookLoad, type LoadResult } from '../test/reliability/webhook-load';

const LIMIT_MS = 10 * 60_000;
const CALLS = positive('SOAK_CALLS', 500);
const LOAD_SECONDS = positive('SOAK_LOAD_SECONDS', 60);
const SEED = positive('SOAK_SEED', Date.now() % 1_000_000);
/** Time kept back for the load phase and its drain. */
const LOAD_BUDGET_MS = (LOAD_SECONDS + 150) * 1000;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number from 1, got "${raw}"`);
  return value;
}

const started = Date.now();
const deadline = started + LIMIT_MS;
const elapsed = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};
const say = (line: string) => console.log(`soak ${elapsed()}: ${line}`);

let stack: LocalStack | undefined;
let finished = false;

async function stop(code: number): Promise<never> {
  finished = true;
  const force = setTimeout(() => process.exit(code), 15_000);
  force.unref();
  await stack?.stop().catch(() => undefined);
  process.exit(code);
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The run stops by itself, whatever happens.
  const watchdog = setTimeout(() => {
    if (finished) return;
    say('10-minute limit reached: stopping (FAIL)');
    void stop(1);
  }, LIMIT_MS);
  watchdog.unref();
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));

  const adminToken = randomBytes(16).toString('hex');
  const webhookKey = randomBytes(16).toString('hex');
  const faults: ProcessorFaults = { failShare: 0.2, when: 'before' };
  let internalErrors = 0;
  stack = await startLocalStack({
    host: '127.0.0.1',
    port: 0,
    simPort: 0,
    dataDir: ':memory:',
    adminToken,
    webhookKey,
    tokenKey: randomBytes(16).toString('hex'),
    // Longer than the delay of a record failed twice (2 × 2 s + polling) and than the
    // simulator's delivery lag between subscriptions: see test/reliability/faults.test.ts.
    settleSeconds: 10,
    visibilityTimeoutSeconds: 2,
    pollerConcurrency: 2,
    logLevel: 'SILENT',
    processorFaults: faults,
    // A load run is not toll fraud: its click-to-calls must not meet the per-project rate limit.
    callRateLimit: { calls: 10_000, windowSeconds: 60 },
    onError: () => internalErrors++,
  });
  const sim = stack.simulator!;
  const api = apiClient(stack.apiUrl, adminToken);
  say(`stack on ${stack.apiUrl} (PBX simulator ${sim.url}); seed ${SEED}`);

  // ------------------------------------------------------------ 1. mixed calls with faults
  const projectId = `soak-${randomUUID().slice(0, 8)}`;
  await connectProject(api, projectId);
  sim.setFaults({ duplicateEvents: true, shuffleEvents: true });
  let switchedAt: number | undefined;
  const played: PlayedCall[] = await playCalls(planMixedCalls(CALLS, SEED), {
    sim,
    api,
    projectId,
    concurrency: 3,
    deadline: deadline - LOAD_BUDGET_MS - 60_000,
    beforeCall: (_call, index) => {
      if (index > 0 && index % 50 === 0) say(`${index} calls started`);
      if (index === Math.floor(CALLS / 2)) {
        faults.when = 'after';
        switchedAt = index;
      }
    },
  });
  say(`${played.length} calls played; waiting until every call is final and the queue is quiet`);
  const settled = await waitUntilSettled(stack, played, Math.max(10_000, deadline - LOAD_BUDGET_MS - Date.now()));
  const stats = { ...faultStats(faults) };
  const mixed: MixedReport = await verifyCalls(played, { api, projectId, stack });
  const pbxEvents = played.reduce((n, call) => n + (call.view?.events.length ?? 0), 0);
  console.log(formatReport(mixed));
  say(
    `faults injected: processor records ${stats.records} in ${stats.batches} batches, ` +
      `failed before processing ${stats.failedBefore} (calls 1-${switchedAt ?? played.length}), failed after processing ${stats.failedAfter}` +
      (switchedAt === undefined ? '' : ` (calls ${switchedAt + 1}-${played.length})`) +
      `; PBX events ${pbxEvents}, each delivered twice, shuffled per call; settled ${settled}`,
  );
  for (const problem of mixed.problems.slice(0, 20)) say(`  ${problem}`);
  if (mixed.problems.length > 20) say(`  … ${mixed.problems.length - 20} more`);

  // ------------------------------------------------------------ 2. webhook load
  faults.failShare = 0;
  const loadProject = `load-${randomUUID().slice(0, 8)}`;
  const subscriptionId = randomUUID();
  await storesFrom(stack.env).pbx.putSubscriptionRecord({ subscriptionId, projectId: loadProject, employeeId: 'load', number: '9001234567' });
  say(`load: 200 concurrent webhook posts for ${LOAD_SECONDS} s`);
  const load: LoadResult = await runWebhookLoad({
    webhookUrl: `${stack.apiUrl}/webhooks/beeline/${loadProject}/${webhookSecret(webhookKey, loadProject)}`,
    subscriptionId,
    connections: 200,
    durationMs: LOAD_SECONDS * 1000,
  });
  const drainStarted = Date.now();
  let missing = load.acceptedCalls;
  while (Date.now() < deadline - 20_000) {
    missing = await missingFromCallLog(stack.env, loadProject, load.acceptedCalls);
    if (missing.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const drainSeconds = ((Date.now() - drainStarted) / 1000).toFixed(1);
  const health = await fetch(`${stack.apiUrl}/health`).then((response) => response.status, () => 0);
  say(`${formatLoad(load)}`);
  say(`load: accepted events processed ${load.accepted - missing.length} of ${load.accepted} (call log complete ${drainSeconds} s after the last post); GET /health ${health}`);

  // ------------------------------------------------------------ verdict
  const dead = await deadLetters(stack);
  const ok =
    mixed.problems.length === 0 &&
    settled &&
    mixed.played === CALLS &&
    mixed.correct === CALLS &&
    mixed.duplicatedNotifications === 0 &&
    mixed.lost === 0 &&
    load.fiveXx === 0 &&
    load.networkErrors === 0 &&
    missing.length === 0 &&
    dead === 0 &&
    health === 200;
  say(`dead letters ${dead}; internal errors reported by the stack ${internalErrors}`);
  say(`duration ${elapsed()}: ${ok ? 'PASS' : 'FAIL'}`);
  await stop(ok ? 0 : 1);
}

async function deadLetters(target: LocalStack): Promise<number> {
  const depth = await queueDepth(target, target.deadLetterQueueUrl);
  return depth.visible + depth.inFlight + depth.delayed;
}

main().catch(async (error: unknown) => {
  say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stop(1);
});
