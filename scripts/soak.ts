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
 * 2. A processor outage parks 20 calls' events in the DLQ; the subscriptions are replaced
 *    meanwhile, and the DLQ is replayed a (simulated) day later: every call exactly once.
 * 3. A PBX outage of 30 (simulated) minutes, longer than the recording give-up time, while 10
 *    answered calls wait for their recordings: every link arrives after it.
 * 4. One ring-all call to 60 employees at once: one call, one notification, no dead letter.
 * 5. 60 s of 200 concurrent webhook posts (each a distinct call's released event): no 5xx,
 *    every accepted event reaches the call log, latency percentiles.
 * The simulated time is the processor's clock moved ahead (`processorClock`); queue delays
 * stay real.
 *
 * Options (environment): SOAK_CALLS (500), SOAK_LOAD_SECONDS (60), SOAK_SEED.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sqsClientFrom } from '../functions/commons/adapters/sqs-queue';
import { storesFrom } from '../functions/commons/composition';
import { webhookSecret } from '../functions/commons/domain/webhook-secret';
import { faultStats, type ProcessorFaults } from '../local/fault-injection';
import { startLocalStack, type LocalStack } from '../local/stack';
import { apiClient, connectProject, formatReport, planMixedCalls, playCalls, queueDepth, verifyCalls, waitFor, waitUntilSettled, type MixedReport, type PlayedCall } from '../drivers/mixed-calls';
import { formatLoad, missingFromCallLog, runWebhookLoad, type LoadResult } from '../drivers/webhook-load';
import { replayDeadLetters } from './dlq';
import type { PbxSimulator } from '../local/pbx-sim/index';

const LIMIT_MS = 10 * 60_000;
const CALLS = positive('SOAK_CALLS', 500);
const LOAD_SECONDS = positive('SOAK_LOAD_SECONDS', 60);
const SEED = positive('SOAK_SEED', Date.now() % 1_000_000);
/** Time kept back for the phases 2–4. */
const OUTAGES_BUDGET_MS = 150_000;
/** Time kept back for the load phase and its drain, and the phases after it. */
const LOAD_BUDGET_MS = (LOAD_SECONDS + 150) * 1000 + OUTAGES_BUDGET_MS;
const DAY_MS = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  /** How far the processor's clock is ahead of the real one (simulated time). */
  const clock = { aheadMs: 0 };
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
    processorClock: () => Date.now() + clock.aheadMs,
    // Look-ups start at once and back off from 1 s; they give up 20 minutes after the call (the default).
    recordFirstDelaySeconds: 1,
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

  // ------------------------------------------------------------ 2. DLQ replay a day later
  say('DLQ: a processor outage parks 20 calls in the dead-letter queue');
  faults.failShare = 1;
  faults.when = 'outage';
  const parked: PlayedCall[] = await playCalls(planMixedCalls(20, SEED + 1, 79_170_000_000), { sim, api, projectId, concurrency: 3 });
  // Their events: every one parked after its 5 receives (PBX work waiting meanwhile fails too, and is parked or done later).
  const quiet = await waitFor(async () => {
    const live = await queueDepth(stack!, stack!.queueUrl);
    return live.visible + live.inFlight + live.delayed === 0 ? true : undefined;
  }, 90_000);
  const parkedLetters = await deadLetters(stack);
  faults.failShare = 0;
  faults.when = 'before';
  // Meanwhile the PBX ends the subscriptions and the product makes new ones.
  const before = new Set(sim.subscriptions().map((sub) => sub.subscriptionId));
  for (const subscriptionId of before) await sim.terminateSubscription(subscriptionId);
  const replaced = await waitFor(async () => {
    const { body } = await api<{ employees: { subscription: { status: string; subscriptionId?: string } }[] }>('GET', `/projects/${projectId}/employees`);
    return body.employees.every((e) => e.subscription.status === 'active' && !before.has(e.subscription.subscriptionId ?? '')) ? true : undefined;
  }, 30_000);
  clock.aheadMs = DAY_MS;
  const sqs = sqsClientFrom(stack.env);
  const replay = await replayDeadLetters(sqs, { queueUrl: stack.queueUrl, workQueueUrl: stack.workQueueUrl, deadLetterQueueUrl: stack.deadLetterQueueUrl });
  sqs.destroy();
  const replaySettled = await waitUntilSettled(stack, parked, 60_000);
  clock.aheadMs = 0;
  const afterReplay = await verifyCalls([...played, ...parked], { api, projectId, stack });
  const replayLost = afterReplay.played - afterReplay.correct;
  say(
    `DLQ: ${parkedLetters} dead letters (queues drained ${quiet === true}), subscriptions replaced ${replaced === true}; replayed ${replay.replayed.length} ` +
      `a simulated day later; settled ${replaySettled}; calls correct ${afterReplay.correct} of ${afterReplay.played}, lost ${afterReplay.lost}`,
  );
  for (const problem of afterReplay.problems.slice(0, 10)) say(`  ${problem}`);

  // ------------------------------------------------------------ 3. PBX outage, recordings pending
  const outage = await pbxOutageWithRecordingsPending(sim, api, projectId, clock);
  say(
    `PBX outage: ${outage.calls} answered calls, the PBX down ${outage.realSeconds} s real = ${outage.simulatedMinutes} simulated minutes; links ${outage.links} of ${outage.calls} (${outage.calls - outage.links} lost)`,
  );

  // ------------------------------------------------------------ 4. ring-all to 60 employees
  const ringAll = await ringAllCall(sim, api);
  say(`ring-all: 60 legs at once → ${ringAll.calls} call(s) in the log, outcome ${ringAll.outcome}, notifications ${ringAll.notifications}`);

  // ------------------------------------------------------------ 5. webhook load (last: its drain takes what time is left)
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
  const health = await fetch(`${stack.apiUrl}/health`).then(
    (response) => response.status,
    () => 0,
  );
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
    parkedLetters > 0 &&
    replaySettled &&
    replayLost === 0 &&
    afterReplay.problems.length === 0 &&
    outage.links === outage.calls &&
    ringAll.calls === 1 &&
    ringAll.outcome === 'answered' &&
    ringAll.notifications === 1 &&
    dead === 0 &&
    health === 200;
  say(`dead letters ${dead}; internal errors reported by the stack ${internalErrors}`);
  say(`duration ${elapsed()}: ${ok ? 'PASS' : 'FAIL'}`);
  await stop(ok ? 0 : 1);
}

/** Answered calls whose recordings the PBX keeps back while it is down for 30 simulated minutes. */
async function pbxOutageWithRecordingsPending(sim: PbxSimulator, api: ReturnType<typeof apiClient>, projectId: string, clock: { aheadMs: number }) {
  const calls = 10;
  sim.setFaults({ recordDelayMs: 500 });
  const exts = Array.from({ length: calls }, (_, i) =>
    sim.playCall({
      token: 'sim-token',
      direction: 'incoming',
      client: `+7918${String(7000000 + i)}`,
      legs: [{ abonent: ['9000000001', '9000000002', '9000000003'][i % 3]!, answer: true, talkMs: 200 }],
    }),
  );
  for (const ext of exts) await sim.waitForCall(ext, 30_000);
  // Down before the first look-up (1 s after the settle) can find anything.
  sim.setFaults({ failApiNext: 1_000_000, recordDelayMs: 500 });
  const realMs = 20_000;
  const steps = 20;
  for (let step = 0; step < steps; step++) {
    await sleep(realMs / steps);
    clock.aheadMs += (30 * 60_000) / steps;
  }
  sim.setFaults({ recordDelayMs: 500 });
  const linked = await waitFor(
    async () => {
      let count = 0;
      for (const ext of exts) {
        const { body } = await api<{ recordLink?: string }>('GET', `/projects/${projectId}/calls/${ext}`);
        if (body.recordLink) count++;
      }
      return count === calls ? count : undefined;
    },
    90_000,
    2000,
  );
  let links = linked ?? 0;
  if (linked === undefined) {
    for (const ext of exts) if ((await api<{ recordLink?: string }>('GET', `/projects/${projectId}/calls/${ext}`)).body.recordLink) links++;
  }
  clock.aheadMs = 0;
  return { calls, links, realSeconds: realMs / 1000, simulatedMinutes: 30 };
}

/** One incoming call ringing 60 employees at once; the 31st answers. */
async function ringAllCall(sim: PbxSimulator, api: ReturnType<typeof apiClient>) {
  const token = 'ring-all-token';
  const numbers = Array.from({ length: 60 }, (_, i) => `9000002${String(i).padStart(3, '0')}`);
  sim.addPbx({ token, abonents: numbers.map((phone) => ({ phone })) });
  const projectId = `ring-${randomUUID().slice(0, 8)}`;
  await api('PUT', `/projects/${projectId}`, { name: 'Ring-all' });
  await api('PUT', `/projects/${projectId}/beeline`, { apiToken: token });
  for (const [i, number] of numbers.entries()) await api('PUT', `/projects/${projectId}/employees/r${i}`, { callMethod: 'beeline_api', beelineNumber: number });
  await waitFor(async () => {
    const { body } = await api<{ employees: { subscription: { status: string } }[] }>('GET', `/projects/${projectId}/employees`);
    return body.employees.length === 60 && body.employees.every((e) => e.subscription.status === 'active') ? true : undefined;
  }, 60_000);
  const ext = sim.playCall({ token, direction: 'incoming', client: '+79189000060', legs: numbers.map((abonent, i) => ({ abonent, answer: i === 30, ringMs: 300 })) });
  await sim.waitForCall(ext, 30_000);
  const final = await waitFor(async () => {
    const { body } = await api<{ calls: { extTrackingId: string; outcome: string; clientId?: string; clientPhone?: string }[] }>('GET', `/projects/${projectId}/calls?limit=200`);
    const call = body.calls.find((c) => c.extTrackingId === ext);
    return call && call.outcome !== 'in_progress' ? body.calls : undefined;
  }, 60_000);
  const mine = (final ?? []).filter((c) => c.clientPhone === '79189000060');
  const clientId = mine[0]?.clientId;
  const notifications = clientId ? (await api<{ messages: unknown[] }>('GET', `/projects/${projectId}/clients/${clientId}/messages`)).body.messages.length : 0;
  return { calls: mine.length, outcome: mine[0]?.outcome ?? 'none', notifications };
}

async function deadLetters(target: LocalStack): Promise<number> {
  const depth = await queueDepth(target, target.deadLetterQueueUrl);
  return depth.visible + depth.inFlight + depth.delayed;
}

main().catch(async (error: unknown) => {
  say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stop(1);
});
