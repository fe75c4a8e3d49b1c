/**
 * A mixed scenario of calls played through the PBX simulator (incoming answered/missed,
 * outgoing, sequential hunt groups, simultaneous ringing, click-to-call through
 * `POST /projects/{p}/beeline/call`) and the check that every call ended with exactly the
 * expected client, variables and one notification. Shared by test/reliability/faults.test.ts
 * (short form) and scripts/soak.ts (500 calls); free of vitest on purpose.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { sqsClientFrom } from '../functions/commons/adapters/sqs-queue';
import type { CallView, PbxSimulator } from '../local/pbx-sim/index';
import type { LocalStack } from '../local/stack';
import { scanTable } from './table';

export const SIM_TOKEN = 'sim-token';
export const ABONENTS = ['9000000001', '9000000002', '9000000003'] as const;

export type Api = <T = any>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;

/** The platform API over HTTP with the admin token. */
export function apiClient(apiUrl: string, adminToken: string): Api {
  return async (method, path, body) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Polls until `probe` returns a value other than undefined; undefined at the deadline. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * A project connected to the simulator's PBX with `sim-token`, employees e1..e3 on
 * 9000000001..3 with `beeline_api`, all subscriptions active.
 */
export async function connectProject(api: Api, projectId: string): Promise<void> {
  const expectOk = (what: string, { status, body }: { status: number; body: unknown }) => {
    if (status !== 200) throw new Error(`${what}: HTTP ${status} ${JSON.stringify(body)}`);
  };
  expectOk('project', await api('PUT', `/projects/${projectId}`, { name: 'Reliability' }));
  expectOk('connect', await api('PUT', `/projects/${projectId}/beeline`, { apiToken: SIM_TOKEN }));
  for (const [i, number] of ABONENTS.entries()) {
    expectOk('employee', await api('PUT', `/projects/${projectId}/employees/e${i + 1}`, { name: `E${i + 1}`, callMethod: 'beeline_api', beelineNumber: number }));
  }
  const active = await waitFor(async () => {
    const { body } = await api<{ employees: { subscription: { status: string } }[] }>('GET', `/projects/${projectId}/employees`);
    return body.employees.length === ABONENTS.length && body.employees.every((e) => e.subscription.status === 'active') ? true : undefined;
  }, 20_000);
  if (!active) throw new Error("the employees' subscriptions did not become active");
}

// ---------------------------------------------------------------- planning

export type CallKind = 'incoming-answered' | 'incoming-missed' | 'outgoing-answered' | 'outgoing-missed' | 'hunt-sequential' | 'ring-simultaneous' | 'click-to-call';

interface LegInput {
  abonent: string;
  answer: boolean;
  ringMs: number;
  talkMs: number;
}

export interface PlannedCall {
  index: number;
  kind: CallKind;
  /** The client's number, canonical; distinct per call. */
  phone: string;
  /** How it is written where the call is started (varied formats). */
  clientInput: string;
  play: { direction: 'incoming' | 'outgoing'; legs: LegInput[]; sequential: boolean } | { clickToCallUser: string };
  expected: {
    direction: 'Incoming' | 'Outgoing';
    answered: boolean;
    /** Acceptable `beeline_operator_phone` values (several only for simultaneous ringing nobody answered). */
    operators: string[];
  };
}

/** The order kinds come in: every 12 calls hold each kind at least once. */
const KIND_CYCLE: CallKind[] = [
  'incoming-answered',
  'hunt-sequential',
  'incoming-missed',
  'click-to-call',
  'ring-simultaneous',
  'outgoing-answered',
  'incoming-answered',
  'hunt-sequential',
  'incoming-missed',
  'ring-simultaneous',
  'outgoing-missed',
  'click-to-call',
];

/** A small seeded PRNG (mulberry32), so a failing plan can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function clientFormats(phone: string): string[] {
  const national = phone.slice(1);
  return [`+${phone}`, `8 (${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6, 8)}-${national.slice(8)}`, national, phone];
}

export function planMixedCalls(count: number, seed: number, firstNumber = 79_160_000_000): PlannedCall[] {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const shuffledAbonents = () => [...ABONENTS].sort(() => random() - 0.5);
  const leg = (abonent: string, answer: boolean): LegInput => ({ abonent, answer, ringMs: int(20, 120), talkMs: int(30, 150) });

  return Array.from({ length: count }, (_, index): PlannedCall => {
    const kind = KIND_CYCLE[index % KIND_CYCLE.length]!;
    const phone = String(firstNumber + index);
    const clientInput = pick(clientFormats(phone));
    const base = { index, kind, phone, clientInput };
    switch (kind) {
      case 'incoming-answered':
      case 'incoming-missed': {
        const answered = kind === 'incoming-answered';
        const abonent = pick(ABONENTS);
        return { ...base, play: { direction: 'incoming', legs: [leg(abonent, answered)], sequential: false }, expected: { direction: 'Incoming', answered, operators: [abonent] } };
      }
      case 'outgoing-answered':
      case 'outgoing-missed': {
        const answered = kind === 'outgoing-answered';
        const abonent = pick(ABONENTS);
        return { ...base, play: { direction: 'outgoing', legs: [leg(abonent, answered)], sequential: false }, expected: { direction: 'Outgoing', answered, operators: [abonent] } };
      }
      case 'hunt-sequential': {
        // 2–3 legs, one after the other; the first leg that answers takes the call, or nobody does.
        const abonents = shuffledAbonents().slice(0, int(2, 3));
        const answering = random() < 0.7 ? int(0, abonents.length - 1) : -1;
        const legs = abonents.map((abonent, i) => leg(abonent, i === answering));
        return {
          ...base,
          play: { direction: 'incoming', legs, sequential: true },
          // Missed: the first employee rung.
          expected: { direction: 'Incoming', answered: answering >= 0, operators: [abonents[Math.max(answering, 0)]!] },
        };
      }
      case 'ring-simultaneous': {
        // 2–3 legs ringing at once; the quickest answering leg takes the call.
        const abonents = shuffledAbonents().slice(0, int(2, 3));
        const answering = random() < 0.7 ? int(0, abonents.length - 1) : -1;
        const legs = abonents.map((abonent, i) => ({ ...leg(abonent, i === answering), ringMs: 40 + 30 * i }));
        return {
          ...base,
          play: { direction: 'incoming', legs, sequential: false },
          // Nobody answered: every employee was rung first, at the same moment.
          expected: { direction: 'Incoming', answered: answering >= 0, operators: answering >= 0 ? [abonents[answering]!] : abonents },
        };
      }
      case 'click-to-call': {
        const user = pick(ABONENTS);
        return { ...base, play: { clickToCallUser: user }, expected: { direction: 'Outgoing', answered: true, operators: [user] } };
      }
      default:
        throw new Error(`no plan for calls of kind ${kind satisfies never}`);
    }
  });
}

// ---------------------------------------------------------------- playing

export interface PlayedCall extends PlannedCall {
  extTrackingId?: string;
  /** The call as the simulator played it (times of its legs). */
  view?: CallView;
  error?: string;
}

export interface PlayOptions {
  sim: PbxSimulator;
  api: Api;
  projectId: string;
  /** Calls in flight at once. */
  concurrency: number;
  /** Told before each call starts (e.g. to switch fault modes halfway). */
  beforeCall?: (call: PlannedCall, started: number) => void;
  /** Stop starting calls after this time (epoch ms). */
  deadline?: number;
}

/** Plays the calls with bounded concurrency; resolves when the simulator delivered all their events. */
export async function playCalls(calls: PlannedCall[], options: PlayOptions): Promise<PlayedCall[]> {
  const played: PlayedCall[] = [];
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      if (options.deadline !== undefined && Date.now() > options.deadline) return;
      const call = calls[next]!;
      options.beforeCall?.(call, next);
      next++;
      const result: PlayedCall = { ...call };
      played.push(result);
      try {
        result.extTrackingId = await start(call, options);
        result.view = await options.sim.waitForCall(result.extTrackingId, 60_000);
      } catch (error) {
        result.error = error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return played.sort((a, b) => a.index - b.index);
}

async function start(call: PlannedCall, { sim, api, projectId }: PlayOptions): Promise<string> {
  if ('clickToCallUser' in call.play) {
    const { status, body } = await api<{ status: string; result?: string; error?: string }>('POST', `/projects/${projectId}/beeline/call`, {
      client_phone: call.clientInput,
      user: call.play.clickToCallUser,
    });
    if (status !== 200 || body.status !== '1' || !body.result) throw new Error(`beeline/call: HTTP ${status} ${JSON.stringify(body)}`);
    // The PBX's answer may hold no id (then the Call ID is this product's own): find the call it plays by its client.
    const played = sim.clickToCalls().find((c) => c.clientAddress === `tel:+${call.phone}`);
    if (!played) throw new Error(`beeline/call: the PBX plays no call to ${call.phone}`);
    return played.extTrackingId;
  }
  return sim.playCall({ token: SIM_TOKEN, direction: call.play.direction, client: call.clientInput, legs: call.play.legs, sequential: call.play.sequential });
}

// ---------------------------------------------------------------- waiting

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export async function queueDepth(stack: Pick<LocalStack, 'env'>, queueUrl: string): Promise<QueueDepth> {
  const sqs = sqsClientFrom(stack.env);
  try {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  } finally {
    sqs.destroy();
  }
}

/**
 * Waits until every played call is final in the store and the events queue has nothing
 * visible or in flight (redeliveries included); delayed messages (recording look-ups) may
 * remain. False at the deadline.
 */
export async function waitUntilSettled(stack: Pick<LocalStack, 'env' | 'queueUrl'>, calls: PlayedCall[], timeoutMs: number): Promise<boolean> {
  const ids = calls.map((call) => call.extTrackingId).filter((id): id is string => id !== undefined);
  const done = await waitFor(
    async () => {
      const depth = await queueDepth(stack, stack.queueUrl);
      if (depth.visible + depth.inFlight > 0) return undefined;
      const finals = new Set((await scanTable(stack.env)).filter((item) => item.sk === 'CALL' && item.outcome !== 'in_progress').map((item) => String(item.extTrackingId)));
      if (!ids.every((id) => finals.has(id))) return undefined;
      // Records failed on purpose after processing are in flight until their redelivery: counted
      // above. Look once more, in case one was being redelivered while the calls were scanned.
      const again = await queueDepth(stack, stack.queueUrl);
      return again.visible + again.inFlight === 0 ? true : undefined;
    },
    timeoutMs,
    500,
  );
  return done === true;
}

// ---------------------------------------------------------------- checking

export interface MixedReport {
  played: number;
  correct: number;
  duplicatedNotifications: number;
  lost: number;
  wrong: number;
  /** One line per call that was not correct (and per unexpected client). */
  problems: string[];
}

const MOSCOW_OFFSET_MS = 3 * 3600_000;
const two = (n: number) => String(n).padStart(2, '0');

/** `DD.MM.YYYY HH:mm:ss` in Moscow (UTC+3 all year), computed independently of the product. */
export function moscowTime(epochMs: number): string {
  const d = new Date(epochMs + MOSCOW_OFFSET_MS);
  return `${two(d.getUTCDate())}.${two(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

interface ClientView {
  clientId: string;
  channel: string;
  phone: string;
  dealVariables: Record<string, string>;
}

/** Checks every played call over HTTP (client, variables, dialog) plus the store (call item, clients). */
export async function verifyCalls(
  calls: PlayedCall[],
  { api, projectId, stack, concurrency = 16 }: { api: Api; projectId: string; stack: Pick<LocalStack, 'env' | 'apiUrl'>; concurrency?: number },
): Promise<MixedReport> {
  const report: MixedReport = { played: 0, correct: 0, duplicatedNotifications: 0, lost: 0, wrong: 0, problems: [] };
  const items = await scanTable(stack.env);
  const callItems = new Map(items.filter((item) => item.sk === 'CALL').map((item) => [String(item.extTrackingId), item]));
  const expectedPhones = new Set(calls.map((call) => call.phone));

  const checkOne = async (call: PlayedCall) => {
    if (call.error || !call.extTrackingId || !call.view) {
      report.problems.push(`#${call.index} ${call.kind}: not played: ${call.error ?? 'no call id'}`);
      return;
    }
    report.played++;
    const tag = `#${call.index} ${call.kind} ${call.phone} ${call.extTrackingId}`;
    const { body } = await api<{ clients: ClientView[] }>('GET', `/projects/${projectId}/clients?phone=${call.phone}`);
    const client = body.clients[0];
    const item = callItems.get(call.extTrackingId);
    if (!client) {
      report.lost++;
      report.problems.push(`${tag}: LOST: no client (call item: ${item ? `outcome ${String(item.outcome)}, clientPhone ${String(item.clientPhone)}` : 'none'})`);
      return;
    }
    const { body: dialog } = await api<{ messages: { text: string; kind: string }[] }>('GET', `/projects/${projectId}/clients/${client.clientId}/messages`);
    const notifications = dialog.messages.filter((message) => message.kind === 'notification');
    if (notifications.length === 0) {
      report.lost++;
      report.problems.push(`${tag}: LOST: client ${client.clientId} has no notification`);
      return;
    }
    if (notifications.length > 1) report.duplicatedNotifications += notifications.length - 1;

    const wrong: string[] = [];
    const { expected } = call;
    const dv = client.dealVariables;
    const legs = call.view.legs;
    const starts = legs.map((leg) => leg.startTime).filter((t): t is number => t !== undefined);
    const ends = legs.map((leg) => leg.releaseTime).filter((t): t is number => t !== undefined);
    const startTime = moscowTime(Math.min(...starts));
    const operator = dv.beeline_operator_phone ?? '';
    const description = `${startTime} ${expected.answered ? 'принят' : 'пропущен'} ${expected.direction === 'Incoming' ? 'входящий' : 'исходящий'}. ` + `Абонент: ${operator} Клиент: ${call.phone}`;
    const expect = (what: string, actual: unknown, wanted: unknown) => {
      if (actual !== wanted) wrong.push(`${what} ${JSON.stringify(actual)} ≠ ${JSON.stringify(wanted)}`);
    };
    expect('clientId', client.clientId, `bl-${call.phone}`);
    expect('channel', client.channel, 'telephony');
    expect('beeline_call_type', dv.beeline_call_type, expected.direction);
    expect('beeline_client_phone', dv.beeline_client_phone, call.phone);
    if (!expected.operators.includes(operator)) wrong.push(`beeline_operator_phone ${JSON.stringify(operator)} ∉ ${expected.operators.join('|')}`);
    expect('beeline_start_time', dv.beeline_start_time, startTime);
    expect('beeline_release_time', dv.beeline_release_time, moscowTime(Math.max(...ends)));
    expect('beeline_call_description', dv.beeline_call_description, description);
    const link = dv.beeline_record_link;
    if (link !== '' && !link?.startsWith(`${stack.apiUrl}/records/${projectId}/`)) wrong.push(`beeline_record_link ${JSON.stringify(link)}`);
    expect('notifications', notifications.length, 1);
    expect('notification text', notifications[0]!.text, `beeline_call_event ${expected.direction}`);
    expect('call log outcome', item?.outcome, expected.answered ? 'answered' : 'missed');
    expect('call log clientId', item?.clientId, client.clientId);
    if (wrong.length === 0) report.correct++;
    else {
      report.wrong++;
      report.problems.push(`${tag}: ${wrong.join('; ')}`);
    }
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls.length) await checkOne(calls[next++]!);
    }),
  );

  // One client per number, and no client for anything else (e.g. the employee's own number).
  const clients = items.filter((item) => item.sk === 'CLIENT');
  const perPhone = new Map<string, number>();
  for (const client of clients) perPhone.set(String(client.phone), (perPhone.get(String(client.phone)) ?? 0) + 1);
  for (const [phone, count] of perPhone) {
    if (!expectedPhones.has(phone)) report.problems.push(`unexpected client for ${phone}`);
    else if (count > 1) report.problems.push(`${count} clients for ${phone}`);
  }
  return report;
}

export function formatReport(report: MixedReport): string {
  return `calls played ${report.played}, calls correct ${report.correct}, notifications duplicated ${report.duplicatedNotifications}, calls lost ${report.lost}`;
}
