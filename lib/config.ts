import type { Construct } from 'constructs';

/** Deployment settings read from CDK context (`cdk.json` or `-c key=value`). */
export interface TelephonyConfig {
  /** Deployment stage; part of the stack name `BeelineTelephony-<stage>`. Context `stage`. */
  readonly stage: string;
  /** Powertools log level of every function. Context `logLevel`. */
  readonly logLevel: LogLevel;
  /** Settle period before a call's outcome is decided (SQS delay, 0–900 s). Context `callSettleSeconds`. */
  readonly callSettleSeconds: number;
  /** HTTP API default stage throttling. Context `apiThrottleRateLimit` / `apiThrottleBurstLimit`. */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Base URL of the Beeline Cloud PBX API: https, ending with `/`. Context `beelineApiUrl`. */
  readonly beelineApiUrl: string;
  /** Timeout of one PBX API request, in ms (1000–25000). Context `pbxTimeoutMs`. */
  readonly pbxTimeoutMs: number;
  /**
   * Public base URL of the webhooks (custom domain): an https origin such as
   * `https://telephony.example.com`, no path, no trailing slash. Context `publicUrl`.
   * @default undefined: the HTTP API's own endpoint
   */
  readonly publicUrl?: string;
  /** Interval of the subscription renewal sweep, in minutes (1–60). Context `renewSweepMinutes`. */
  readonly renewSweepMinutes: number;
}

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_CONFIG: TelephonyConfig = {
  stage: 'dev',
  logLevel: 'INFO',
  callSettleSeconds: 15,
  apiThrottle: { rateLimit: 200, burstLimit: 400 },
  beelineApiUrl: 'https://cloudpbx.beeline.ru/apis/portal/',
  pbxTimeoutMs: 5000,
  renewSweepMinutes: 5,
};

/** SQS caps per-message delays at 15 minutes. */
const MAX_SQS_DELAY_SECONDS = 900;

/**
 * Reads the configuration from the construct tree's context. Values given on the command line
 * (`-c callSettleSeconds=20`) arrive as strings, so numbers are parsed; anything invalid fails
 * the synth with a message naming the context key.
 */
export function readConfig(scope: Construct): TelephonyConfig {
  const ctx = (key: string): unknown => scope.node.tryGetContext(key);

  const stage = stringOr(ctx('stage'), DEFAULT_CONFIG.stage);
  if (!/^[a-zA-Z][a-zA-Z0-9-]{0,30}$/.test(stage)) {
    throw new Error(`context "stage" must be 1-31 letters, digits or "-" starting with a letter, got "${stage}"`);
  }

  const logLevel = stringOr(ctx('logLevel'), DEFAULT_CONFIG.logLevel).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`context "logLevel" must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const callSettleSeconds = intOr(ctx('callSettleSeconds'), DEFAULT_CONFIG.callSettleSeconds, 'callSettleSeconds', 0, MAX_SQS_DELAY_SECONDS);
  const rateLimit = intOr(ctx('apiThrottleRateLimit'), DEFAULT_CONFIG.apiThrottle.rateLimit, 'apiThrottleRateLimit', 1, 1_000_000);
  const burstLimit = intOr(ctx('apiThrottleBurstLimit'), DEFAULT_CONFIG.apiThrottle.burstLimit, 'apiThrottleBurstLimit', 1, 1_000_000);

  const beelineApiUrl = httpsUrl(stringOr(ctx('beelineApiUrl'), DEFAULT_CONFIG.beelineApiUrl), 'beelineApiUrl', 'base');
  const pbxTimeoutMs = intOr(ctx('pbxTimeoutMs'), DEFAULT_CONFIG.pbxTimeoutMs, 'pbxTimeoutMs', 1000, 25_000);
  const rawPublicUrl = ctx('publicUrl');
  const publicUrl = rawPublicUrl === undefined || rawPublicUrl === null || rawPublicUrl === '' ? undefined : httpsUrl(String(rawPublicUrl), 'publicUrl', 'origin');
  const renewSweepMinutes = intOr(ctx('renewSweepMinutes'), DEFAULT_CONFIG.renewSweepMinutes, 'renewSweepMinutes', 1, 60);

  return {
    stage,
    logLevel: logLevel as LogLevel,
    callSettleSeconds,
    apiThrottle: { rateLimit, burstLimit },
    beelineApiUrl,
    pbxTimeoutMs,
    ...(publicUrl !== undefined && { publicUrl }),
    renewSweepMinutes,
  };
}

/** The stack id (and CloudFormation stack name) of a stage. */
export function stackIdFor(stage: string): string {
  return `BeelineTelephony-${stage}`;
}

function stringOr(value: unknown, fallback: string): string {
  if (value === undefined || value === null || value === '') return fallback;
  return String(value);
}

function intOr(value: unknown, fallback: number, key: string, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`context "${key}" must be an integer between ${min} and ${max}, got "${String(value)}"`);
  }
  return n;
}

/**
 * Validates an https URL given in context. `base`: a base URL ending with `/` (a path is allowed),
 * returned as given. `origin`: scheme and host (and port) only, returned without trailing slash.
 * Neither may carry credentials, a query or a fragment.
 */
function httpsUrl(value: string, key: string, kind: 'base' | 'origin'): string {
  const expected =
    kind === 'base' ? 'an https URL ending with "/"' : 'an https URL with no path, query or fragment (e.g. https://telephony.example.com)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`context "${key}" must be ${expected}, got "${value}"`);
  }
  const clean = url.protocol === 'https:' && url.username === '' && url.password === '' && !value.includes('?') && !value.includes('#');
  if (kind === 'base') {
    if (!clean || !value.endsWith('/')) throw new Error(`context "${key}" must be ${expected}, got "${value}"`);
    return value;
  }
  if (!clean || url.pathname !== '/' || !/^https:\/\/[^/]+\/?$/i.test(value)) {
    throw new Error(`context "${key}" must be ${expected}, got "${value}"`);
  }
  return url.origin;
}
