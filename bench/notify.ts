/**
 * `hangup_to_notification_p50_ms` / `_p99_ms`: on the local stack, the time from posting a call's
 * released event (the hang-up) to its notification committed in the client's dialog (the stack's
 * one line per finalized call, printed after the finalize transaction), for answered one-leg calls
 * posted a few at a time; once with the default settle period and once with a short one. Missed
 * calls (`_missed`, default period only) show what every call that is not clear-cut waits.
 */
import { performance } from 'node:perf_hooks';
import { webhookSecret } from '../functions/commons/domain/webhook-secret';
import { startLocalStack } from '../local/stack';
import { callEvents } from '../drivers/xsi';
import { answeredIncomingCall, log, onCleanup, percentile, phoneFor, registerBenchSubscription, sleep, T0, type Report, viaBenchSubscription, waitFor } from './support';

export interface NotifyOptions {
  dynamoEndpoint: string;
  calls: number;
  /** Calls started together; each posts its three events in order. */
  concurrency: number;
  /** The settle periods measured, in seconds; the first is reported under the plain names. */
  settleSeconds: readonly number[];
}

const ADMIN_TOKEN = 'bench-admin-token';
const WEBHOOK_KEY = 'bench-webhook-key';

export async function benchNotify(report: Report, options: NotifyOptions): Promise<void> {
  const runs = [
    ...options.settleSeconds.map((settleSeconds, i) => ({ settleSeconds, outcome: 'answered' as const, suffix: i === 0 ? '' : `_settle_${settleSeconds}s` })),
    { settleSeconds: options.settleSeconds[0]!, outcome: 'missed' as const, suffix: '_missed' },
  ];
  for (const { settleSeconds, outcome, suffix } of runs) {
    const latencies = await measure(options, settleSeconds, outcome);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    report.figure(`hangup_to_notification_p50_ms${suffix}`, p50, 'ms');
    report.figure(`hangup_to_notification_p99_ms${suffix}`, p99, 'ms');
    report.say(`hang-up → notification of ${outcome} calls with a ${settleSeconds} s settle period: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (${latencies.length} calls)`);
  }
}

function missedIncomingCall(extTrackingId: string, clientPhone: string): string[] {
  return callEvents(extTrackingId, [{ abonent: '9001234567', remote: { address: `tel:+${clientPhone}` }, startTime: T0, releaseTime: T0 + 30_000 }]).map(viaBenchSubscription);
}

async function measure(options: NotifyOptions, settleSeconds: number, outcome: 'answered' | 'missed'): Promise<number[]> {
  const releasedAt = new Map<string, number>();
  const latencies: number[] = [];
  const stack = await startLocalStack({
    port: 0,
    simPort: 0,
    host: '127.0.0.1',
    dynamoEndpoint: options.dynamoEndpoint,
    tableName: `bench-notify-${outcome}-${settleSeconds}-${Date.now()}`,
    settleSeconds,
    adminToken: ADMIN_TOKEN,
    webhookKey: WEBHOOK_KEY,
    logLevel: 'SILENT',
    console: (line) => {
      const phone = new RegExp(`^call incoming ${outcome}: client (\\d+)`).exec(line)?.[1];
      const at = phone === undefined ? undefined : releasedAt.get(phone);
      if (at !== undefined) latencies.push(performance.now() - at);
    },
  });
  const stop = onCleanup('local stack (notify)', () => stack.stop());
  try {
    const projectId = 'bench-notify';
    const put = await fetch(`${stack.apiUrl}/projects/${projectId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench', timezone: 'Europe/Moscow', messengers: ['whatsapp'] }),
    });
    if (put.status !== 200) throw new Error(`bench: PUT /projects/${projectId} answered ${put.status}`);
    await registerBenchSubscription(stack.env, projectId);
    const url = `${stack.apiUrl}/webhooks/beeline/${projectId}/${webhookSecret(WEBHOOK_KEY, projectId)}`;
    log(`  settle ${settleSeconds} s: ${options.calls} ${outcome} calls, ${options.concurrency} at a time`);

    const playCall = async (n: number) => {
      const phone = phoneFor(7000 + n, '926');
      const ext = `bench-notify-${outcome}-${settleSeconds}-${n}-${Date.now()}`;
      const events = outcome === 'answered' ? answeredIncomingCall(ext, phone) : missedIncomingCall(ext, phone);
      for (const [k, xml] of events.entries()) {
        // The hang-up is the last event: its post is where the clock starts.
        if (k === events.length - 1) releasedAt.set(phone, performance.now());
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml });
        if (response.status !== 200) throw new Error(`bench: webhook answered ${response.status}`);
        if (k < events.length - 1) await sleep(20);
      }
    };
    for (let first = 0; first < options.calls; first += options.concurrency) {
      await Promise.all(Array.from({ length: Math.min(options.concurrency, options.calls - first) }, (_, j) => playCall(first + j)));
    }
    if (!(await waitFor(() => latencies.length >= options.calls, (settleSeconds + 30) * 1000))) {
      throw new Error(`bench: ${latencies.length} of ${options.calls} calls notified within ${settleSeconds + 30} s (settle ${settleSeconds} s)`);
    }
    return latencies;
  } finally {
    await stop();
  }
}
