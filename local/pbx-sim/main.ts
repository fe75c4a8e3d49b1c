/**
 * Runs the Beeline Cloud PBX simulator on its own:
 *   npx tsx local/pbx-sim/main.ts
 * env: SIM_PORT (default 3001, 0 = any free port), SIM_HOST (default 127.0.0.1),
 *      SIM_QUIET=1 to silence the request/event log.
 * Seeds the default PBX (token `sim-token`, abonents 9000000001..3, recording on).
 */
import { seedDefaultPbx, startPbxSimulator } from './server.js';

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 3001;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`SIM_PORT must be an integer 0..65535, got "${raw}"`);
  }
  return n;
}

async function main(): Promise<void> {
  const quiet = process.env.SIM_QUIET === '1' || process.env.SIM_QUIET === 'true';
  const sim = await startPbxSimulator({
    port: parsePort(process.env.SIM_PORT),
    host: process.env.SIM_HOST || '127.0.0.1',
    log: quiet ? undefined : (line) => console.log(line),
  });
  await seedDefaultPbx(sim);
  console.log(`pbx simulator: ${sim.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`pbx simulator: ${signal}, stopping`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`pbx simulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
