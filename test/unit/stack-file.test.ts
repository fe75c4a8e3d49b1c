/** `npm run dlq` finds the running `npm start` by the file it writes, and ignores a file left by a stack that died. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStackFile, stackFilePath, writeStackFile, type StackFile } from '../../local/stack-file';
import { runningLocalQueues } from '../../scripts/dlq';

const file = (pid: number): StackFile => ({
  pid,
  apiUrl: 'http://127.0.0.1:3000',
  sqsEndpoint: 'http://127.0.0.1:40123',
  queueUrl: 'http://127.0.0.1:40123/000000000000/events',
  workQueueUrl: 'http://127.0.0.1:40123/000000000000/work',
  deadLetterQueueUrl: 'http://127.0.0.1:40123/000000000000/events-dlq',
  deliveryQueueUrl: 'http://127.0.0.1:40123/000000000000/delivery',
  startedAt: '2026-12-02T10:00:00.000Z',
});

describe('the local stack file', () => {
  it('names the running stack’s queues', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stack-file-')), 'local-stack.json');
    writeStackFile(path, file(process.pid));
    expect(await runningLocalQueues(path)).toEqual({
      queueUrl: 'http://127.0.0.1:40123/000000000000/events',
      workQueueUrl: 'http://127.0.0.1:40123/000000000000/work',
      deadLetterQueueUrl: 'http://127.0.0.1:40123/000000000000/events-dlq',
      endpoint: 'http://127.0.0.1:40123',
      region: 'us-east-1',
    });
    removeStackFile(path);
    expect(await runningLocalQueues(path)).toBeUndefined();
  });

  it('a file whose process is gone names nothing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stack-file-')), 'local-stack.json');
    writeStackFile(path, file(2 ** 22 + 12_345));
    expect(await runningLocalQueues(path)).toBeUndefined();
  });

  it('lives in the data directory unless LOCAL_STACK_FILE says otherwise', () => {
    expect(stackFilePath({})).toBe(join('.data', 'local-stack.json'));
    expect(stackFilePath({ DATA_DIR: '/var/lib/beeline' })).toBe(join('/var/lib/beeline', 'local-stack.json'));
    expect(stackFilePath({ DATA_DIR: ':memory:' })).toBe(join('.data', 'local-stack.json'));
    expect(stackFilePath({ LOCAL_STACK_FILE: '/tmp/x.json', DATA_DIR: '/y' })).toBe('/tmp/x.json');
  });
});
