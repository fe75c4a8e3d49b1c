/**
 * The fast tier with the clock a year ahead (libfaketime): a test that passes only near the day
 * it was written (a fixed date compared with the real clock) fails here, not on the day it expires.
 */
import { spawnSync } from 'node:child_process';

/** Far enough for any date written into a test today to be in the past, past every 24 h or 30-day window. */
const AHEAD = '+400d';

const found = spawnSync('faketime', ['-f', AHEAD, 'true'], { stdio: 'ignore' });
if (found.error || found.status !== 0) {
  console.error('test:later: needs faketime (Debian: apt-get install -y faketime; .ci/run installs it)');
  process.exit(1);
}
const run = spawnSync('faketime', ['-f', AHEAD, 'npx', 'vitest', 'run', '--project', 'fast', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
