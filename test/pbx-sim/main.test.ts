/**
 * PBX simulator: `local/pbx-sim/main.ts` as a process — starts, seeds the default PBX,
 * prints its URL, stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../local/pbx-sim/main.ts', import.meta.url));

describe('main.ts', () => {
  it('prints "pbx simulator: <url>", serves the seeded PBX and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, SIM_PORT: '0', SIM_QUIET: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line; output: ${out}`)), 15_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /^pbx simulator: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.once('exit', (code) => reject(new Error(`exited early (${code}): ${out}`)));
      });
      const res = await fetch(`${url}abonents`, { headers: { 'X-MPBX-API-AUTH-TOKEN': 'sim-token' } });
      expect(res.status).toBe(200);
      const abonents = (await res.json()) as { phone: string }[];
      expect(abonents.map((a) => a.phone)).toEqual(['9000000001', '9000000002', '9000000003']);
      const rec = await fetch(`${url}abonents/9000000002/recording`, { headers: { 'X-MPBX-API-AUTH-TOKEN': 'sim-token' } });
      expect(await rec.json()).toBe('ON');

      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 20_000);
});
