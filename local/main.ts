/**
 * `npm start`: the whole product on this machine. Configuration from the environment
 * (see README): PORT, SIM_PORT, BEELINE_API_URL, PUBLIC_URL, ADMIN_TOKEN, CALL_SETTLE_SECONDS,
 * DATA_DIR. Prints one `ready: …` line when it accepts requests; stops cleanly on Ctrl-C/SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../functions/commons/contracts/settings';
import { ROUTES } from '../functions/commons/http/routes';
import { settingFrom } from '../functions/commons/environment';
import { removeStackFile, stackFilePath, writeStackFile } from './stack-file';
import { startLocalStack, type LocalStack } from './stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number from 0 to 65535, got "${raw}"`);
  return value;
}

/**
 * A local key (webhook secrets, PBX token encryption), kept with the data so webhook URLs and
 * stored tokens survive restarts.
 */
function persistedKey(dataDir: string, name: 'webhook-key' | 'token-key'): string {
  if (dataDir === ':memory:') return randomBytes(32).toString('base64url');
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}

async function main(): Promise<void> {
  const dataDir = process.env.DATA_DIR || '.data';
  const adminToken = process.env.ADMIN_TOKEN || 'local-admin-token';
  const stackFile = stackFilePath();
  let stack: LocalStack | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    removeStackFile(stackFile);
    await stack?.stop();
    process.exit(0);
  };
  // `on`, not `once`: a second signal (tsx relays one too) must not kill us mid-cleanup.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  stack = await startLocalStack({
    port: port('PORT', 3000),
    simPort: port('SIM_PORT', 3001),
    beelineApiUrl: process.env.BEELINE_API_URL || undefined,
    publicUrl: process.env.PUBLIC_URL || undefined,
    adminToken,
    previousAdminToken: process.env.ADMIN_TOKEN_PREVIOUS || undefined,
    webhookKey: process.env.WEBHOOK_KEY || persistedKey(dataDir, 'webhook-key'),
    tokenKey: persistedKey(dataDir, 'token-key'),
    settleSeconds: settingFrom(process.env, SETTINGS.callSettleSeconds),
    recordFirstDelaySeconds: settingFrom(process.env, SETTINGS.recordFirstDelaySeconds),
    recordGiveUpSeconds: settingFrom(process.env, SETTINGS.recordGiveUpSeconds),
    dataDir,
    logLevel: 'WARN',
    console: (line) => console.log(line),
  });
  if (stopping) return;
  const pbx = stack.simulator ? stack.simulator.url.replace(/\/$/, '') : stack.pbxUrl;
  writeStackFile(stackFile, {
    pid: process.pid,
    apiUrl: stack.apiUrl,
    sqsEndpoint: stack.env.AWS_ENDPOINT_URL_SQS!,
    queueUrl: stack.queueUrl,
    workQueueUrl: stack.workQueueUrl,
    deadLetterQueueUrl: stack.deadLetterQueueUrl,
    deliveryQueueUrl: stack.deliveryQueueUrl,
    startedAt: new Date().toISOString(),
  });
  console.log(`ready: api=${stack.apiUrl} pbx=${pbx} token=${adminToken}`);
  console.log(`admin console: ${stack.apiUrl.replace(/\/$/, '')}${ROUTES.console.path} (sign in with project demo and the token above)`);
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
