/**
 * The webhook sender of the pipeline figures, in its own process (as the PBX is): posts Xsi
 * webhooks over loopback HTTP with keep-alive connections and reports back over IPC.
 *
 * - `calls`: N distinct answered calls, each call's three events in order, `concurrency` calls at once.
 * - `flood`: `connections` senders for `durationMs`, every request a distinct event (each sender
 *   plays its own calls in order); reports every accepted eventId and each request's latency.
 */
import { Agent, request } from 'node:http';
import { answeredIncomingCall, percentile, phoneFor } from './support';

export type LoadCommand =
  | { mode: 'calls'; url: string; calls: number; concurrency: number; prefix: string; phoneOffset: number }
  | { mode: 'flood'; url: string; connections: number; durationMs: number; prefix: string; phoneOffset: number };

export type LoadReport =
  | { type: 'started'; at: number }
  | {
      type: 'done';
      startedAt: number;
      endedAt: number;
      sent: number;
      accepted: number;
      statuses: Record<string, number>;
      errors: string[];
      acceptedEventIds: string[];
      latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
      /** Requests slower than 2 s: when they started (ms after the start) and how long they took. */
      slow: { startMs: number; ms: number }[];
      slowCount: number;
    };

const EVENT_ID = /<([\w-]+:)?eventID>([^<]+)</;

function post(agent: Agent, url: URL, body: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/xml; charset=UTF-8', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function run(command: LoadCommand): Promise<LoadReport> {
  const url = new URL(command.url);
  const lanes = command.mode === 'calls' ? command.concurrency : command.connections;
  const agent = new Agent({ keepAlive: true, maxSockets: lanes, maxFreeSockets: lanes });
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  const acceptedEventIds: string[] = [];
  const latencies: number[] = [];
  const slow: { startMs: number; ms: number }[] = [];
  let slowCount = 0;
  let sent = 0;
  let nextCall = 0;
  const startedAt = Date.now();
  process.send?.({ type: 'started', at: startedAt } satisfies LoadReport);
  const deadline = command.mode === 'flood' ? startedAt + command.durationMs : Number.POSITIVE_INFINITY;
  const more = () => (command.mode === 'calls' ? nextCall < command.calls : Date.now() < deadline);

  const lane = async () => {
    while (more()) {
      const index = nextCall++;
      const events = answeredIncomingCall(`${command.prefix}-${index}`, phoneFor(command.phoneOffset + index));
      for (const body of events) {
        if (command.mode === 'flood' && Date.now() >= deadline) return;
        sent++;
        const startMs = Date.now() - startedAt;
        try {
          const { status, ms } = await post(agent, url, body);
          statuses[status] = (statuses[status] ?? 0) + 1;
          latencies.push(ms);
          if (ms > 2000) {
            slowCount++;
            if (slow.length < 20) slow.push({ startMs, ms: Math.round(ms) });
          }
          if (status === 200) acceptedEventIds.push(EVENT_ID.exec(body)![2]!);
        } catch (error) {
          statuses.error = (statuses.error ?? 0) + 1;
          if (errors.length < 5) errors.push((error as Error).message);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const endedAt = Date.now();
  agent.destroy();
  const mean = latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length);
  return {
    type: 'done',
    startedAt,
    endedAt,
    sent,
    accepted: acceptedEventIds.length,
    statuses,
    errors,
    acceptedEventIds,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: percentile(latencies, 100), mean },
    slow,
    slowCount,
  };
}

process.on('message', (command: LoadCommand) => {
  run(command).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (error: unknown) => {
      console.error('load worker:', error);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
