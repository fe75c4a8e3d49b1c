/**
 * Feeds the local table's DynamoDB stream to a Lambda-style stream handler, as the Lambda
 * event source mapping does on AWS: filtered by the same filter data, in order per shard,
 * with failed records (batchItemFailures) retried before later ones.
 */
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EMPLOYEE_STREAM_FILTER } from '../functions/commons/contracts/stream';
import { OUTBOUND_EVENT_STREAM_FILTER } from '../functions/commons/contracts/events';
import { LOCAL_AWS } from './dynamodb';

/** Which stream records reach a handler: the event source mapping's filter, as a predicate. */
export type StreamFilter = (record: _Record) => boolean;

/** The subscription function's filter: employee items. */
export const employeeRecords: StreamFilter = (record) => record.dynamodb?.Keys?.sk?.S?.startsWith(EMPLOYEE_STREAM_FILTER.sortKeyPrefix) === true;

/** The relay's filter: new outbound event items. */
export const outboundEventRecords: StreamFilter = (record) =>
  record.eventName === OUTBOUND_EVENT_STREAM_FILTER.eventName && record.dynamodb?.NewImage?.[OUTBOUND_EVENT_STREAM_FILTER.attribute]?.S === OUTBOUND_EVENT_STREAM_FILTER.value;

export interface StreamPollerOptions {
  endpoint: string;
  tableName: string;
  /** Only records it accepts reach the handler. */
  filter: StreamFilter;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  intervalMs?: number;
  maxRetries?: number;
  onError?: (error: unknown) => void;
}

export class StreamPoller {
  private readonly streams: DynamoDBStreamsClient;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly iterators = new Map<string, string | undefined>();

  constructor(private readonly options: StreamPollerOptions) {
    this.streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, ...LOCAL_AWS });
  }

  async start(): Promise<void> {
    const table = new DynamoDBClient({ endpoint: this.options.endpoint, ...LOCAL_AWS });
    const { Table } = await table.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    table.destroy();
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${this.options.tableName} has no stream`);
    // What happened before this start is history; from now on every record counts.
    await this.discoverShards(streamArn, 'LATEST');
    this.running = true;
    this.loop = this.run(streamArn);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.streams.destroy();
  }

  private async discoverShards(streamArn: string, position: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    const { StreamDescription } = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || this.iterators.has(shard.ShardId)) continue;
      const { ShardIterator } = await this.streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: position }));
      this.iterators.set(shard.ShardId, ShardIterator);
    }
  }

  private async run(streamArn: string): Promise<void> {
    let rounds = 0;
    while (this.running) {
      try {
        if (rounds++ % 20 === 0) await this.discoverShards(streamArn, 'TRIM_HORIZON');
        for (const [shardId, iterator] of this.iterators) {
          if (!iterator) continue;
          const { Records = [], NextShardIterator } = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
          this.iterators.set(shardId, NextShardIterator);
          const wanted = Records.filter(this.options.filter);
          if (wanted.length > 0) await this.deliver(wanted);
        }
      } catch (error) {
        if (this.running) this.options.onError?.(error);
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs ?? 200));
    }
  }

  private async deliver(records: _Record[]): Promise<void> {
    let pending = records.map((record) => record as unknown as DynamoDBRecord);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const response = await this.options.handler({ Records: pending }).catch((error: unknown) => {
        this.options.onError?.(error);
        return { batchItemFailures: [{ itemIdentifier: pending[0]!.dynamodb!.SequenceNumber! }] };
      });
      const failed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      if (failed.length === 0) return;
      const firstFailed = pending.findIndex((r) => failed.includes(r.dynamodb?.SequenceNumber ?? ''));
      if (attempt >= (this.options.maxRetries ?? 3)) {
        this.options.onError?.(new Error(`stream records failed ${attempt + 1} times; skipped`));
        return;
      }
      pending = pending.slice(Math.max(0, firstFailed));
      await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    }
  }
}
