/**
 * Where a running `npm start` is: written when it is ready, removed when it stops, read by the
 * operator scripts (`npm run dlq`) so they need no port or URL. A file left by a stack that died
 * is recognised by its process id.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface StackFile {
  pid: number;
  apiUrl: string;
  sqsEndpoint: string;
  queueUrl: string;
  workQueueUrl: string;
  deadLetterQueueUrl: string;
  deliveryQueueUrl: string;
  startedAt: string;
}

/** `$LOCAL_STACK_FILE`, else `local-stack.json` in the data directory (`$DATA_DIR`, default `.data`; `.data` also for an in-memory stack). */
export function stackFilePath(env: Record<string, string | undefined> = process.env): string {
  if (env.LOCAL_STACK_FILE) return env.LOCAL_STACK_FILE;
  const dataDir = env.DATA_DIR && env.DATA_DIR !== ':memory:' ? env.DATA_DIR : '.data';
  return join(dataDir, 'local-stack.json');
}

export function writeStackFile(path: string, file: StackFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** Removes the file if it is this process's (another stack may have started since). */
export function removeStackFile(path: string, pid = process.pid): void {
  if (readStackFile(path)?.pid === pid) rmSync(path, { force: true });
}

/** The running stack's file; undefined when there is none or its process is gone. */
export function readStackFile(path: string): StackFile | undefined {
  let file: StackFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  } catch {
    return undefined;
  }
  return isRunning(file.pid) ? file : undefined;
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
