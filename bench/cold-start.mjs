// Child process of bench/bundles.ts: loads one Lambda bundle and constructs its handler, as a
// cold Lambda init would, then exits. Plain JavaScript so that nothing but the bundle is loaded.
// argv: <bundle path> ; prints one JSON line with in-process timings.
const started = performance.now();
const bundle = process.argv[2];
const env = {
  AWS_REGION: 'eu-central-1',
  TABLE_NAME: 'bench-table',
  QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/events',
  WEBHOOK_KEY: 'bench-webhook-key',
  ADMIN_TOKEN: 'bench-admin-token',
  CALL_SETTLE_SECONDS: '15',
  BEELINE_API_URL: 'https://cloudpbx.beeline.ru/apis/portal/',
  PUBLIC_URL: 'https://example.invalid',
  TOKEN_KEY: 'bench-token-key',
};
/** A dummy value for a variable a configuration error names (functions grow new settings). */
function dummyFor(name) {
  if (/_URLS?$/.test(name)) return 'https://example.invalid/';
  if (/_(SECONDS|MS|COUNT|LIMIT|DAYS|HOURS|MINUTES)$/.test(name)) return '15';
  return `bench-${name.toLowerCase()}`;
}
const module = await import(bundle);
const imported = performance.now();
// The exported handler is lazy (built on first use): build it the way it would be built.
const filled = [];
let handler;
for (let attempt = 0; ; attempt++) {
  try {
    handler = typeof module.createHandler === 'function' ? module.createHandler(env) : module.handler;
    break;
  } catch (error) {
    // "configuration: environment variable X is not set" / "configuration: set X_ARN or X":
    // give the variable a dummy value (preferring the direct one over an AWS resource id) and retry.
    const message = String(error?.message ?? error);
    const names = [...message.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{4,}\b/g)].map((m) => m[0]).filter((n) => env[n] === undefined);
    const name = names.find((n) => !/ARN|KMS/.test(n)) ?? names[0];
    if (attempt >= 10 || !/configuration/i.test(message) || !name) throw error;
    env[name] = dummyFor(name);
    filled.push(name);
  }
}
if (typeof handler !== 'function') throw new Error(`${bundle}: no handler`);
const built = performance.now();
process.stdout.write(`${JSON.stringify({ importMs: imported - started, buildMs: built - imported, sinceProcessStartMs: built, filled })}\n`);
process.exit(0);
