/**
 * `npm run dlq -- redrive` on AWS: SQS's own move task (StartMessageMoveTask), which the local SQS
 * emulator does not have, so the SQS client is mocked here; `replay` runs on the local stack in
 * test/reliability/dlq.test.ts.
 */
import { ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { main as dlqCli } from '../../scripts/dlq';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
const DLQ_ARN = 'arn:aws:sqs:eu-central-1:123456789012:beeline-telephony-prod-EventsDlq';

async function run(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await dlqCli(argv, (line) => lines.push(line));
  return { code, lines };
}

describe('npm run dlq -- redrive (AWS)', () => {
  it('starts one move task back to the queues the messages came from (no destination), at the rate asked', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3 }] });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    const { code, lines } = await run('redrive', '--dlq-arn', DLQ_ARN, '--max-per-second', '50');
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain('re-drive started (task task-1)');
    const starts = sqs.commandCalls(StartMessageMoveTaskCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.args[0].input).toEqual({ SourceArn: DLQ_ARN, MaxNumberOfMessagesPerSecond: 50 });
    expect(await sqs.call(0).thisValue.config.region()).toBe('eu-central-1'); // from the ARN
  });

  it('refuses while a task of the queue runs, telling its progress, and starts nothing', async () => {
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolves({ Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 40, ApproximateNumberOfMessagesToMove: 100, StartedTimestamp: Date.UTC(2026, 11, 3, 9) }] });
    await expect(run('redrive', '--dlq-arn', DLQ_ARN)).rejects.toThrow('already running (40 of 100 moved, started 2026-12-03T09:00:00.000Z)');
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('refuses a malformed ARN or rate before any request', async () => {
    await expect(run('redrive', '--dlq-arn', 'https://sqs.eu-central-1.amazonaws.com/123456789012/q')).rejects.toThrow('--dlq-arn must be an SQS queue ARN');
    await expect(run('redrive', '--dlq-arn', DLQ_ARN, '--max-per-second', '501')).rejects.toThrow('--max-per-second must be a whole number from 1 to 500');
    await expect(run('redrive')).rejects.toThrow('redrive needs --dlq-arn');
    expect(sqs.calls()).toHaveLength(0);
  });

  it('redrive-status lists the recent tasks with their progress and failure reason', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        { Status: 'FAILED', ApproximateNumberOfMessagesMoved: 2, ApproximateNumberOfMessagesToMove: 9, FailureReason: 'AccessDenied', StartedTimestamp: Date.UTC(2026, 11, 3, 10) },
        { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 5, ApproximateNumberOfMessagesToMove: 5, StartedTimestamp: Date.UTC(2026, 11, 2, 10) },
      ],
    });
    const { code, lines } = await run('redrive-status', '--dlq-arn', DLQ_ARN);
    expect(code).toBe(0);
    expect(lines).toEqual(['FAILED  moved 2 of 9  started 2026-12-03T10:00:00.000Z  failed: AccessDenied', 'COMPLETED  moved 5 of 5  started 2026-12-02T10:00:00.000Z']);
    expect(sqs.commandCalls(ListMessageMoveTasksCommand)[0]!.args[0].input).toEqual({ SourceArn: DLQ_ARN, MaxResults: 10 });
  });
});
