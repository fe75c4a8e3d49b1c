/**
 * Test-only fault injection around the processor's SQS handler (`LocalStackOptions.processorFaults`).
 *
 * For a random share of the records of each batch:
 * - `before`: the records are reported as failed without being processed (a worker that
 *   crashed before it did anything): they come back after the visibility timeout;
 * - `after`: the whole batch is processed, then those records are reported as failed anyway
 *   (a worker that crashed after its writes, before the queue heard of it): they are
 *   delivered again, which proves the processing is idempotent.
 *
 * - `outage`: every record fails unprocessed at every receive (a broken deployment): after the
 *   queue's receives they are in the dead-letter queue, to be replayed.
 *
 * The options object is read on every batch, so a test may change `failShare`/`when` while
 * the stack runs. A record is failed on purpose at most on its first `LAST_INJECTED_RECEIVE`
 * receives: injected faults alone never park a good message in the dead-letter queue (that is
 * tested on its own), and they delay a record by at most that many visibility timeouts.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface ProcessorFaults {
  /** Share of each batch's records to fail, 0–1. */
  failShare: number;
  when: 'before' | 'after' | 'outage';
}

export interface FaultStats {
  batches: number;
  records: number;
  /** Records reported as failed without processing. */
  failedBefore: number;
  /** Records processed, then reported as failed. */
  failedAfter: number;
}

type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

const stats = new WeakMap<ProcessorFaults, FaultStats>();

/** How many faults were injected so far for this options object. */
export function faultStats(faults: ProcessorFaults): FaultStats {
  let current = stats.get(faults);
  if (!current) {
    current = { batches: 0, records: 0, failedBefore: 0, failedAfter: 0 };
    stats.set(faults, current);
  }
  return current;
}

/** Highest receive count at which a record may still be failed on purpose (the DLQ takes it after 5). */
export const LAST_INJECTED_RECEIVE = 2;

export function withProcessorFaults(handler: SqsHandler, faults: ProcessorFaults, random: () => number = Math.random): SqsHandler {
  const counters = faultStats(faults);
  return async (event) => {
    const { failShare, when } = faults;
    counters.batches++;
    counters.records += event.Records.length;
    if (when === 'outage') {
      counters.failedBefore += event.Records.length;
      return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    }
    const chosen = new Set(event.Records.filter((record) => receiveCount(record) <= LAST_INJECTED_RECEIVE && random() < failShare).map((record) => record.messageId));
    if (chosen.size === 0) return handler(event);

    let failures: SQSBatchItemFailure[];
    if (when === 'before') {
      const rest = event.Records.filter((record) => !chosen.has(record.messageId));
      // A handler that throws fails the whole batch, as on Lambda: passed on as it is.
      failures = rest.length === 0 ? [] : ((await handler({ ...event, Records: rest }))?.batchItemFailures ?? []);
      counters.failedBefore += chosen.size;
    } else {
      failures = (await handler(event))?.batchItemFailures ?? [];
      counters.failedAfter += chosen.size;
    }
    const failed = new Set([...failures.map((failure) => failure.itemIdentifier), ...chosen]);
    return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}
