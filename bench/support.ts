/**
 * Shared helpers of `npm run bench` (issue 7): figure recording, statistics, cleanup of every
 * process and server the bench starts, DynamoDB request counting, webhook bodies.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callEvents, type LegSpec } from '../drivers/xsi';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = join(ROOT, '.bench');

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  ok?: boolean;
}

/** Every figure is printed at once as `bench <name> <value> <unit>` and kept for the JSON file. */
export class Report {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];
  readonly details: Record<string, unknown> = {};
  readonly summary: string[] = [];
  private readonly started = Date.now();

  figure(name: string, value: number, unit: string, target?: { max?: number; min?: number }): Figure {
    const rounded = round(value);
    const figure: Figure = { name, value: rounded, unit };
    if (target?.max !== undefined) {
      figure.target = `<= ${target.max}`;
      figure.ok = value <= target.max;
    }
    if (target?.min !== undefined) {
      figure.target = `>= ${target.min}`;
      figure.ok = value >= target.min;
    }
    this.figures.push(figure);
    out(`bench ${name} ${rounded} ${unit}`);
    return figure;
  }

  /** A line for the human summary at the end (and the JSON file). */
  say(line: string): void {
    this.summary.push(line);
  }

  note(line: string): void {
    this.notes.push(line);
    log(`  note: ${line}`);
  }

  detail(key: string, value: unknown): void {
    this.details[key] = value;
  }

  write(extra: Record<string, unknown> = {}, fileName = 'latest.json'): string {
    mkdirSync(BENCH_DIR, { recursive: true });
    const file = join(BENCH_DIR, fileName);
    const body = {
      at: new Date().toISOString(),
      ...commitOf(),
      durationSeconds: round((Date.now() - this.started) / 1000),
      node: process.version,
      cpus: this.details.cpus,
      figures: this.figures,
      summary: this.summary,
      notes: this.notes,
      details: this.details,
      ...extra,
    };
    writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
    return file;
  }
}

/** The commit measured, and whether the work tree had changes on top of it. */
export function commitOf(): { commit?: string; dirty?: boolean } {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short=12', 'HEAD');
  if (head.status !== 0) return {};
  const status = git('status', '--porcelain', '--untracked-files=no');
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== '' };
}

export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return Number(value.toFixed(digits));
}

// ---------------------------------------------------------------------------------------------
// Statistics and timing
// ---------------------------------------------------------------------------------------------

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

export const now = () => process.hrtime.bigint();

/** Rejects after `ms` unless the promise settles first (the timer never keeps the process up). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result within ${Math.round(ms / 1000)} s`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight; stops early once `until()` is false. */
export async function pool<T>(items: Iterable<T>, concurrency: number, work: (item: T) => Promise<void>, keepGoing: () => boolean = () => true): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: unknown;
  const lane = async () => {
    for (;;) {
      if (failure !== undefined || !keepGoing()) return;
      const next = iterator.next();
      if (next.done) return;
      try {
        await work(next.value);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (failure !== undefined) throw failure;
}

/** Polls until `probe` is true or the time is up; returns whether it became true. */
export async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started is stopped, in reverse order, even on error or a signal
// ---------------------------------------------------------------------------------------------

const cleanups: { label: string; stop: () => Promise<void> | void }[] = [];

export function onCleanup(label: string, stop: () => Promise<void> | void): () => Promise<void> {
  const entry = { label, stop };
  cleanups.push(entry);
  return async () => {
    const index = cleanups.indexOf(entry);
    if (index === -1) return;
    cleanups.splice(index, 1);
    await stop();
  };
}

export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const { label, stop } = cleanups.pop()!;
    try {
      await withTimeout(Promise.resolve().then(stop), 15_000, `stopping ${label}`);
    } catch (error) {
      console.error(`bench: could not stop ${label}: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DynamoDB request counting
// ---------------------------------------------------------------------------------------------

export interface RequestCounter {
  /** Commands sent (one per `send`, whatever the retries). */
  total(): number;
  /** HTTP attempts, retries included. */
  attempts(): number;
  byCommand(): Record<string, number>;
  reset(): void;
}

/**
 * Counts every command sent through the client: a middleware on the DynamoDB client's own
 * middlewareStack (the document client shares it), at the initialize step (once per send) and
 * after the retry middleware (once per HTTP attempt).
 */
export function countRequests(db: DynamoDBDocumentClient): RequestCounter {
  let byCommand: Record<string, number> = {};
  let attempts = 0;
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName as string | undefined) ?? 'unknown';
      byCommand[name] = (byCommand[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCommands', priority: 'high' },
  );
  db.middlewareStack.add(
    (next) => async (args) => {
      attempts++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchCountAttempts', priority: 'low' },
  );
  return {
    total: () => Object.values(byCommand).reduce((sum, n) => sum + n, 0),
    attempts: () => attempts,
    byCommand: () => ({ ...byCommand }),
    reset: () => {
      byCommand = {};
      attempts = 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Calls and webhook bodies (the PBX's Xsi format, test/support/xsi.ts)
// ---------------------------------------------------------------------------------------------

/** 29.11.2026 12:30:05 in Moscow. */
export const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);

/** A distinct, valid client number per index: 7916xxxxxxx. */
export function phoneFor(index: number, prefix = '916'): string {
  return `7${prefix}${String(index % 10_000_000).padStart(7, '0')}`;
}

/** An answered incoming call's three events: received, answered, released. */
export function answeredIncomingCall(extTrackingId: string, clientPhone: string, abonent = '9001234567'): string[] {
  const leg: LegSpec = { abonent, remote: { address: `tel:+${clientPhone}` }, startTime: T0, answerTime: T0 + 7000, releaseTime: T0 + 125_000 };
  return callEvents(extTrackingId, [leg]).map(viaBenchSubscription);
}

export function formatMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(0)} µs`;
}

/** As the local stack does: the SDK reads credentials from the environment, local endpoints accept any. */
export function useLocalAwsEnvironment(): void {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** The subscription every bench webhook comes through (registered as this product's where the processor checks). */
export const BENCH_SUBSCRIPTION_ID = '6b0d3c8e-bench-4c1a-9d2e-7f5a1b3c9e01';

/** The body with its Xsi subscriptionId set to the bench's subscription. */
export function viaBenchSubscription(xml: string): string {
  return xml.replace(/<([\w-]+:)?subscriptionId>[^<]*<\/([\w-]+:)?subscriptionId>/, (_m, open = '', close = '') => `<${open}subscriptionId>${BENCH_SUBSCRIPTION_ID}</${close}subscriptionId>`);
}

/**
 * Records the bench subscription as the project's, as test/support/harness.ts does, when this
 * version of the processor only accepts events of known subscriptions (looked up at run time:
 * the subscription work is in progress). Returns what it did, for the report.
 */
export async function registerBenchSubscription(env: Record<string, string | undefined>, projectId: string): Promise<string> {
  let composition: { storesFrom?: (env: Record<string, string | undefined>) => { pbx?: { putSubscriptionRecord?: (record: object) => Promise<void> } } };
  try {
    composition = await import(new URL('../functions/commons/composition.ts', import.meta.url).href);
  } catch {
    return 'no subscription store in this version: events are not checked against subscriptions';
  }
  const pbx = composition.storesFrom?.(env).pbx;
  if (!pbx?.putSubscriptionRecord) return 'no subscription records in this version';
  await pbx.putSubscriptionRecord({ subscriptionId: BENCH_SUBSCRIPTION_ID, projectId, employeeId: 'bench-employee', number: '9001234567' });
  return `subscription ${BENCH_SUBSCRIPTION_ID} registered for project ${projectId}`;
}

// ---------------------------------------------------------------------------------------------
// Counting what a whole stack sends (its clients are built inside the handlers)
// ---------------------------------------------------------------------------------------------

export interface SendCounter {
  counts(): Record<string, number>;
  /** Summed latency of the sends by command, ms. */
  latencyMs(): Record<string, number>;
  failures(): Record<string, number>;
  reset(): void;
  restore(): void;
}

/**
 * Wraps `send` on a client class's prototype to count commands by name (and failures by error
 * name) for every instance, including those the handlers build for themselves.
 */
export function countSends(clientClass: { prototype: { send: (...args: never[]) => Promise<unknown> } }, label: string): SendCounter {
  const proto = clientClass.prototype as { send: (...args: unknown[]) => Promise<unknown> };
  const own = Object.hasOwn(proto, 'send') ? proto.send : undefined;
  const original = proto.send;
  let counts: Record<string, number> = {};
  let failures: Record<string, number> = {};
  let latency: Record<string, number> = {};
  proto.send = function countedSend(this: unknown, ...args: unknown[]) {
    const name = `${label}.${((args[0] as object)?.constructor?.name ?? 'unknown').replace(/Command$/, '')}`;
    counts[name] = (counts[name] ?? 0) + 1;
    const started = process.hrtime.bigint();
    const took = () => (latency[name] = (latency[name] ?? 0) + Number(process.hrtime.bigint() - started) / 1e6);
    const result = original.apply(this, args);
    return result
      .then((value) => {
        took();
        return value;
      })
      .catch((error: unknown) => {
        took();
        const key = `${name}:${(error as Error)?.name ?? 'Error'}`;
        failures[key] = (failures[key] ?? 0) + 1;
        throw error;
      });
  };
  return {
    counts: () => ({ ...counts }),
    latencyMs: () => ({ ...latency }),
    failures: () => ({ ...failures }),
    reset: () => {
      counts = {};
      failures = {};
      latency = {};
    },
    restore: () => {
      if (own) proto.send = own;
      else delete (proto as { send?: unknown }).send;
    },
  };
}

/** Progress and detail lines go to stderr; stdout carries the `bench …` lines and the summary. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): where the time of a run went
// ---------------------------------------------------------------------------------------------

const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far; undefined when it cannot be read. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The DynamoDB Local process listening on `endpoint`'s port (found by its command line). */
export function dynamoDbLocalPid(endpoint: string): number | undefined {
  const port = new URL(endpoint).port;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        const at = args.indexOf('-port');
        if (args.some((a) => a.endsWith('DynamoDBLocal.jar')) && at !== -1 && args[at + 1] === port) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** CPU used by this process and DynamoDB Local between `start()` and `stop()`, as % of one core. */
export function cpuMeter(dynamoEndpoint: string) {
  const javaPid = dynamoDbLocalPid(dynamoEndpoint);
  let wall = 0n;
  let self = process.cpuUsage();
  let java: number | undefined;
  return {
    start() {
      wall = process.hrtime.bigint();
      self = process.cpuUsage();
      java = javaPid === undefined ? undefined : cpuSecondsOf(javaPid);
    },
    stop(): { seconds: number; nodePercent: number; dynamoPercent?: number } {
      const seconds = Number(process.hrtime.bigint() - wall) / 1e9;
      const used = process.cpuUsage(self);
      const javaNow = javaPid === undefined ? undefined : cpuSecondsOf(javaPid);
      return {
        seconds,
        nodePercent: ((used.user + used.system) / 1e6 / seconds) * 100,
        dynamoPercent: java === undefined || javaNow === undefined ? undefined : ((javaNow - java) / seconds) * 100,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// stdout is the bench's: the handlers' own stdout output (EMF metric lines) is counted and dropped
// ---------------------------------------------------------------------------------------------

const realStdoutWrite = process.stdout.write.bind(process.stdout);
const droppedStdout = { writes: 0, bytes: 0 };

/** A line of the bench's own output (figures, summary). */
export function out(line: string): void {
  realStdoutWrite(`${line}\n`);
}

/**
 * From now on, what anything else writes to stdout (Powertools Metrics prints one EMF line per
 * invocation there) is dropped after being produced, so its cost stays in the figures but the
 * output stays the bench's.
 */
export function keepStdoutForTheBench(): { writes: number; bytes: number } {
  process.stdout.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    droppedStdout.writes++;
    droppedStdout.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as typeof process.stdout.write;
  return droppedStdout;
}
