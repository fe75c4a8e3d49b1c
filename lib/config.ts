import { maxPbxBackoffTotalMs, PBX_SAFE_RETRIES } from '../functions/commons/contracts/pbx.js';
import { DEFAULT_NUMBER_FORMAT, NUMBER_FORMATS, type NumberFormat } from '../functions/commons/contracts/click-to-call.js';
import { DEFAULT_BEELINE_API_URL, SETTINGS } from '../functions/commons/contracts/settings.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Construct } from 'constructs';
import { PROJECT_ROOT } from './function.js';

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
  /**
   * Throttling of the PBX webhook route, apart from the platform API's (a burst of platform calls
   * must not throttle PBX deliveries, which are lost when refused). Context
   * `webhookThrottleRateLimit` / `webhookThrottleBurstLimit`.
   */
  readonly webhookThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * beeline_call starts allowed per project and window (a leaked key must not dial without end).
   * Context `callRateLimit` (1–10000) / `callRateWindowSeconds` (1–3600).
   */
  readonly callRateLimit: { readonly calls: number; readonly windowSeconds: number };
  /** Base URL of the Beeline Cloud PBX API: https, ending with `/`. Context `beelineApiUrl`. */
  readonly beelineApiUrl: string;
  /**
   * Timeout of one PBX API request attempt, in ms (1000–8000, see MAX_PBX_ATTEMPT_TIMEOUT_MS). Context `pbxTimeoutMs`.
   * The callback function caps it at 4000 on its own (it answers within 5 s).
   */
  readonly pbxTimeoutMs: number;
  /**
   * Timeout of one attempt of a background PBX read (recordings, statistics, recovery) in the
   * processor, in ms (1000–13000: two attempts fit its 30 s). Context `pbxBackgroundTimeoutMs`.
   */
  readonly pbxBackgroundTimeoutMs: number;
  /**
   * How the callback sends the client's number to the PBX: `canonical` (79161234567), `national`
   * (9161234567), `trunk` (89161234567) or `plus` (+79161234567). Context `clickToCallNumberFormat`.
   */
  readonly clickToCallNumberFormat: NumberFormat;
  /**
   * First recording look-up after a call ends, in s (1–900, doubling after). At least 1: on AWS a
   * 0 would make the processor query the PBX again immediately, in a tight loop, until the
   * recording exists. Context `recordFirstDelaySeconds`.
   */
  readonly recordFirstDelaySeconds: number;
  /** Recording look-ups stop this long after a call ends, in s (60–86400). Context `recordGiveUpSeconds`. */
  readonly recordGiveUpSeconds: number;
  /** How long a record link works, in days (1–365); a fresh one comes from the API. Context `recordLinkTtlDays`. */
  readonly recordLinkTtlDays: number;
  /**
   * Recovery of calls whose webhooks were lost looks this far back, in s (600–604800). Must be at
   * least recoveryLagSeconds + the recovery interval (recoveryMinutes), so consecutive recovery runs
   * leave no gap. Context `recoveryWindowSeconds`.
   */
  readonly recoveryWindowSeconds: number;
  /** Calls younger than this are left to their webhooks by recovery, in s (60–86400). Context `recoveryLagSeconds`. */
  readonly recoveryLagSeconds: number;
  /**
   * Public base URL of the webhooks (custom domain): an https origin such as
   * `https://telephony.example.com`, no path, no trailing slash. Context `publicUrl`.
   * @default undefined: the HTTP API's own endpoint
   */
  readonly publicUrl?: string;
  /**
   * Interval of the renewal sweep (`{"task":"renew"}`: due renewals, retries and the quiet-employee
   * check), in minutes (1–60). Context `renewSweepMinutes`.
   */
  readonly renewSweepMinutes: number;
  /**
   * Interval of the lost-call recovery (`{"task":"recover"}`: reads each connected project's call
   * history at the PBX), in minutes (5–120). Context `recoveryMinutes`.
   */
  readonly recoveryMinutes: number;
  /**
   * A subscribed employee with no PBX event for this long counts as quiet (the "notifications
   * stopped" alarm), in hours (1–720). Passed to the sweeper as `QUIET_PERIOD_SECONDS`.
   * Context `quietPeriodHours`.
   */
  readonly quietPeriodHours: number;
  /**
   * E-mail address subscribed to the alarm topic (the subscription must be confirmed from the
   * e-mail AWS sends). Context `alarmEmail`.
   * @default undefined: alarms go to the topic only (subscribe to it yourself)
   */
  readonly alarmEmail?: string;
  /**
   * Concurrency, so a burst of one function never starves another. `eventsMaxConcurrency` caps the
   * processor's events-queue pollers (a backlog after an outage must not take the account's
   * concurrency); `ingestReservedConcurrency` and `callbackReservedConcurrency` reserve (and cap)
   * the functions nobody can retry for: the PBX never re-sends a refused webhook, a bot waits on
   * beeline_call. 0 reserves nothing (accounts with a small concurrency quota, where any
   * reservation fails the deploy). Context `eventsMaxConcurrency` (2–1000),
   * `ingestReservedConcurrency` / `callbackReservedConcurrency` (0–1000).
   */
  readonly concurrency: { readonly eventsMax: number; readonly ingestReserved: number; readonly callbackReserved: number };
  /**
   * The stage file the settings were read from (`config/<stage>.json`, or context `configFile`).
   * @default undefined: no file, the defaults and context only
   */
  readonly settingsFile?: string;
}

/** Every setting's context key, which is also its key in a stage file. */
export const SETTING_KEYS = [
  'logLevel',
  'callSettleSeconds',
  'apiThrottleRateLimit',
  'apiThrottleBurstLimit',
  'webhookThrottleRateLimit',
  'webhookThrottleBurstLimit',
  'callRateLimit',
  'callRateWindowSeconds',
  'beelineApiUrl',
  'pbxTimeoutMs',
  'pbxBackgroundTimeoutMs',
  'clickToCallNumberFormat',
  'recordFirstDelaySeconds',
  'recordGiveUpSeconds',
  'recordLinkTtlDays',
  'recoveryWindowSeconds',
  'recoveryLagSeconds',
  'publicUrl',
  'renewSweepMinutes',
  'recoveryMinutes',
  'quietPeriodHours',
  'alarmEmail',
  'eventsMaxConcurrency',
  'ingestReservedConcurrency',
  'callbackReservedConcurrency',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/**
 * Each stage's settings live in the repository, `config/<stage>.json` (a JSON object of setting
 * keys), so a deploy never falls back to a default because a `-c` was forgotten. Context
 * `configFile` names another file instead (e.g. one kept outside the repository).
 */
export const STAGE_CONFIG_DIR = 'config';
export const CONFIG_FILE_CONTEXT = 'configFile';
/** A stage file is a few hundred bytes; anything near this is not one. */
const MAX_STAGE_FILE_BYTES = 16_384;

export function stageFilePath(stage: string): string {
  return join(STAGE_CONFIG_DIR, `${stage}.json`);
}

interface StageFile {
  readonly values: Partial<Record<SettingKey, unknown>>;
  /** As given, or relative to the project for a stage's own file; undefined when there is none. */
  readonly path?: string;
}

/** A stage file, checked: an object of known setting keys with string or number values. A stage with no file of its own has none. */
function readStageFile(path: string, given: boolean): StageFile {
  const absolute = isAbsolute(path) ? path : join(PROJECT_ROOT, path);
  if (!existsSync(absolute)) {
    if (given) throw new Error(`context "${CONFIG_FILE_CONTEXT}": there is no file ${path}`);
    return { values: {} };
  }
  if (statSync(absolute).size > MAX_STAGE_FILE_BYTES) throw new Error(`${path}: larger than ${MAX_STAGE_FILE_BYTES} bytes, not a settings file`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(absolute, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path}: must be a JSON object of settings`);
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'stage') throw new Error(`${path}: "stage" is chosen with -c stage=…, not in a stage file`);
    if (!(SETTING_KEYS as readonly string[]).includes(key)) throw new Error(`${path}: unknown setting "${key}" (known: ${SETTING_KEYS.join(', ')})`);
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`${path}: "${key}" must be a string or a number`);
  }
  return { values: parsed as StageFile['values'], path };
}

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Time limits of the functions that call the PBX API, and why `pbxTimeoutMs` is capped.
 *
 * The PBX client (functions/commons/adapters/pbx-client.ts) sends a safe request (a read) up to
 * PBX_READ_ATTEMPTS times, each with PBX_TIMEOUT_MS, with a back-off of at most
 * PBX_MAX_BACKOFF_TOTAL_MS in between. The api function makes such reads inside a request of the
 * HTTP API, whose integrations time out after 30 s: API_FUNCTION_TIMEOUT_SECONDS is 29 s so the
 * function ends (and logs) first. 3 × 8000 ms + back-off ≈ 24.4 s leaves ~4.6 s for the cold start,
 * the secret, KMS and DynamoDB, within 29 s and within the 30 s processor and subscription timeouts.
 */
export const PBX_READ_ATTEMPTS = PBX_SAFE_RETRIES + 1;
/** Upper bound of the client's back-off between attempts. */
export const PBX_MAX_BACKOFF_TOTAL_MS = maxPbxBackoffTotalMs();
export const MIN_PBX_TIMEOUT_MS = SETTINGS.pbxTimeoutMs.min;
export const MAX_PBX_ATTEMPT_TIMEOUT_MS = SETTINGS.pbxTimeoutMs.max;
/** HTTP API (v2) integrations time out after 30 s; the api function ends before. */
export const API_FUNCTION_TIMEOUT_SECONDS = 29;

export const DEFAULT_CONFIG: TelephonyConfig = {
  stage: 'dev',
  logLevel: 'INFO',
  callSettleSeconds: SETTINGS.callSettleSeconds.default,
  apiThrottle: { rateLimit: 200, burstLimit: 400 },
  webhookThrottle: { rateLimit: 500, burstLimit: 1000 },
  callRateLimit: { calls: SETTINGS.callRateLimit.default, windowSeconds: SETTINGS.callRateWindowSeconds.default },
  beelineApiUrl: DEFAULT_BEELINE_API_URL,
  pbxTimeoutMs: SETTINGS.pbxTimeoutMs.default,
  pbxBackgroundTimeoutMs: SETTINGS.pbxBackgroundTimeoutMs.default,
  renewSweepMinutes: 5,
  recoveryMinutes: 10,
  quietPeriodHours: SETTINGS.quietPeriodSeconds.default / 3600,
  clickToCallNumberFormat: DEFAULT_NUMBER_FORMAT,
  recordFirstDelaySeconds: SETTINGS.recordFirstDelaySeconds.default,
  recordGiveUpSeconds: SETTINGS.recordGiveUpSeconds.default,
  recordLinkTtlDays: SETTINGS.recordLinkTtlDays.default,
  recoveryWindowSeconds: SETTINGS.recoveryWindowSeconds.default,
  recoveryLagSeconds: SETTINGS.recoveryLagSeconds.default,
  // The webhook route's 500 requests/s at ~50 ms each keep ~25 ingest instances busy: 50 leaves room
  // for slow cold starts. Each beeline_call holds its instance up to its 4.5 s budget.
  concurrency: { eventsMax: 100, ingestReserved: 50, callbackReserved: 20 },
};

/** SQS caps per-message delays at 15 minutes. */
/** The sweeper's limit for its quiet period. */
export const MAX_QUIET_PERIOD_HOURS = SETTINGS.quietPeriodSeconds.max / 3600;

/**
 * Reads the configuration from the construct tree's context. Values given on the command line
 * (`-c callSettleSeconds=20`) arrive as strings, so numbers are parsed; anything invalid fails
 * the synth with a message naming the context key.
 */
export function readConfig(scope: Construct): TelephonyConfig {
  const stage = stringOr(scope.node.tryGetContext('stage'), DEFAULT_CONFIG.stage);
  if (!/^[a-zA-Z][a-zA-Z0-9-]{0,30}$/.test(stage)) {
    throw new Error(`context "stage" must be 1-31 letters, digits or "-" starting with a letter, got "${stage}"`);
  }
  const givenFile = scope.node.tryGetContext(CONFIG_FILE_CONTEXT) as unknown;
  const given = givenFile !== undefined && givenFile !== null && givenFile !== '';
  const file = readStageFile(given ? String(givenFile) : stageFilePath(stage), given);
  const fromContext = (key: SettingKey) => scope.node.tryGetContext(key) !== undefined;
  // A context key (-c key=value) wins over the stage file, which wins over the defaults.
  const ctx = (key: SettingKey): unknown => (fromContext(key) ? scope.node.tryGetContext(key) : file.values[key]);
  /** Where a value came from, as errors name it. */
  const named = (key: SettingKey) => (fromContext(key) || file.path === undefined ? `context "${key}"` : `"${key}" in ${file.path}`);

  const logLevel = stringOr(ctx('logLevel'), DEFAULT_CONFIG.logLevel).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`${named('logLevel')} must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const callSettleSeconds = intOr(ctx('callSettleSeconds'), DEFAULT_CONFIG.callSettleSeconds, named('callSettleSeconds'), SETTINGS.callSettleSeconds.min, SETTINGS.callSettleSeconds.max);
  const rateLimit = intOr(ctx('apiThrottleRateLimit'), DEFAULT_CONFIG.apiThrottle.rateLimit, named('apiThrottleRateLimit'), 1, 1_000_000);
  const burstLimit = intOr(ctx('apiThrottleBurstLimit'), DEFAULT_CONFIG.apiThrottle.burstLimit, named('apiThrottleBurstLimit'), 1, 1_000_000);
  const webhookThrottle = {
    rateLimit: intOr(ctx('webhookThrottleRateLimit'), DEFAULT_CONFIG.webhookThrottle.rateLimit, named('webhookThrottleRateLimit'), 1, 1_000_000),
    burstLimit: intOr(ctx('webhookThrottleBurstLimit'), DEFAULT_CONFIG.webhookThrottle.burstLimit, named('webhookThrottleBurstLimit'), 1, 1_000_000),
  };
  const callRateLimit = {
    calls: intOr(ctx('callRateLimit'), DEFAULT_CONFIG.callRateLimit.calls, named('callRateLimit'), SETTINGS.callRateLimit.min, SETTINGS.callRateLimit.max),
    windowSeconds: intOr(
      ctx('callRateWindowSeconds'),
      DEFAULT_CONFIG.callRateLimit.windowSeconds,
      named('callRateWindowSeconds'),
      SETTINGS.callRateWindowSeconds.min,
      SETTINGS.callRateWindowSeconds.max,
    ),
  };

  const beelineApiUrl = httpsUrl(stringOr(ctx('beelineApiUrl'), DEFAULT_CONFIG.beelineApiUrl), named('beelineApiUrl'), 'base');
  // Capped so PBX_READ_ATTEMPTS attempts fit into the api function's 29 s (see MAX_PBX_ATTEMPT_TIMEOUT_MS).
  const pbxTimeoutMs = intOr(ctx('pbxTimeoutMs'), DEFAULT_CONFIG.pbxTimeoutMs, named('pbxTimeoutMs'), MIN_PBX_TIMEOUT_MS, MAX_PBX_ATTEMPT_TIMEOUT_MS);
  const pbxBackgroundTimeoutMs = intOr(
    ctx('pbxBackgroundTimeoutMs'),
    DEFAULT_CONFIG.pbxBackgroundTimeoutMs,
    named('pbxBackgroundTimeoutMs'),
    SETTINGS.pbxBackgroundTimeoutMs.min,
    SETTINGS.pbxBackgroundTimeoutMs.max,
  );
  const rawPublicUrl = ctx('publicUrl');
  const publicUrl = rawPublicUrl === undefined || rawPublicUrl === null || rawPublicUrl === '' ? undefined : httpsUrl(String(rawPublicUrl), named('publicUrl'), 'origin');
  const renewSweepMinutes = intOr(ctx('renewSweepMinutes'), DEFAULT_CONFIG.renewSweepMinutes, named('renewSweepMinutes'), 1, 60);
  const recoveryMinutes = intOr(ctx('recoveryMinutes'), DEFAULT_CONFIG.recoveryMinutes, named('recoveryMinutes'), 5, 120);
  // The sweeper accepts QUIET_PERIOD_SECONDS up to 30 days.
  const quietPeriodHours = intOr(ctx('quietPeriodHours'), DEFAULT_CONFIG.quietPeriodHours, named('quietPeriodHours'), 1, MAX_QUIET_PERIOD_HOURS);
  const alarmEmail = emailOrUndefined(ctx('alarmEmail'), named('alarmEmail'));

  const clickToCallNumberFormat = stringOr(ctx('clickToCallNumberFormat'), DEFAULT_CONFIG.clickToCallNumberFormat).trim().toLowerCase();
  if (!(NUMBER_FORMATS as readonly string[]).includes(clickToCallNumberFormat)) {
    throw new Error(`${named('clickToCallNumberFormat')} must be one of ${NUMBER_FORMATS.join(', ')}, got "${clickToCallNumberFormat}"`);
  }

  const recordFirstDelaySeconds = intOr(ctx('recordFirstDelaySeconds'), DEFAULT_CONFIG.recordFirstDelaySeconds, named('recordFirstDelaySeconds'), 1, SETTINGS.recordFirstDelaySeconds.max);
  const recordGiveUpSeconds = intOr(ctx('recordGiveUpSeconds'), DEFAULT_CONFIG.recordGiveUpSeconds, named('recordGiveUpSeconds'), 60, SETTINGS.recordGiveUpSeconds.max);
  const recordLinkTtlDays = intOr(ctx('recordLinkTtlDays'), DEFAULT_CONFIG.recordLinkTtlDays, named('recordLinkTtlDays'), SETTINGS.recordLinkTtlDays.min, SETTINGS.recordLinkTtlDays.max);
  const recoveryWindowSeconds = intOr(ctx('recoveryWindowSeconds'), DEFAULT_CONFIG.recoveryWindowSeconds, named('recoveryWindowSeconds'), 600, 7 * 86_400);
  const recoveryLagSeconds = intOr(ctx('recoveryLagSeconds'), DEFAULT_CONFIG.recoveryLagSeconds, named('recoveryLagSeconds'), 60, 86_400);
  // Each recovery run covers [now - window, now - lag]; the next one runs recoveryMinutes later. A
  // window shorter than lag + interval would leave calls between two runs never looked at.
  if (recoveryWindowSeconds < recoveryLagSeconds + recoveryMinutes * 60) {
    throw new Error(
      `${named('recoveryWindowSeconds')} (${recoveryWindowSeconds}) must be at least "recoveryLagSeconds" (${recoveryLagSeconds}) + ` +
        `"recoveryMinutes" × 60 (${recoveryMinutes * 60}), or calls between two recovery runs are never recovered`,
    );
  }

  const concurrency = {
    eventsMax: intOr(ctx('eventsMaxConcurrency'), DEFAULT_CONFIG.concurrency.eventsMax, named('eventsMaxConcurrency'), 2, 1000),
    ingestReserved: intOr(ctx('ingestReservedConcurrency'), DEFAULT_CONFIG.concurrency.ingestReserved, named('ingestReservedConcurrency'), 0, 1000),
    callbackReserved: intOr(ctx('callbackReservedConcurrency'), DEFAULT_CONFIG.concurrency.callbackReserved, named('callbackReservedConcurrency'), 0, 1000),
  };

  return {
    stage,
    logLevel: logLevel as LogLevel,
    callSettleSeconds,
    apiThrottle: { rateLimit, burstLimit },
    webhookThrottle,
    callRateLimit,
    beelineApiUrl,
    pbxTimeoutMs,
    pbxBackgroundTimeoutMs,
    ...(publicUrl !== undefined && { publicUrl }),
    renewSweepMinutes,
    recoveryMinutes,
    quietPeriodHours,
    ...(alarmEmail !== undefined && { alarmEmail }),
    clickToCallNumberFormat: clickToCallNumberFormat as NumberFormat,
    recordFirstDelaySeconds,
    recordGiveUpSeconds,
    recordLinkTtlDays,
    recoveryWindowSeconds,
    recoveryLagSeconds,
    concurrency,
    ...(file.path !== undefined && { settingsFile: file.path }),
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
    throw new Error(`${key} must be an integer between ${min} and ${max}, got "${String(value)}"`);
  }
  return n;
}

/**
 * An optional e-mail address from context: one address, no display name, no list. SNS sends it a
 * confirmation e-mail; a typo would silently leave the alarms undelivered, so the shape is checked.
 */
function emailOrUndefined(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const email = String(value).trim();
  if (email.length > 254 || !/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(email)) {
    throw new Error(`${key} must be one e-mail address such as ops@example.com, got "${String(value)}"`);
  }
  return email;
}

/**
 * Validates an https URL given in context. `base`: a base URL ending with `/` (a path is allowed),
 * returned as given. `origin`: scheme and host (and port) only, returned without trailing slash.
 * Neither may carry credentials, a query or a fragment.
 */
function httpsUrl(value: string, key: string, kind: 'base' | 'origin'): string {
  const expected = kind === 'base' ? 'an https URL ending with "/"' : 'an https URL with no path, query or fragment (e.g. https://telephony.example.com)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${key} must be ${expected}, got "${value}"`);
  }
  const clean = url.protocol === 'https:' && url.username === '' && url.password === '' && !value.includes('?') && !value.includes('#');
  if (kind === 'base') {
    if (!clean || !value.endsWith('/')) throw new Error(`${key} must be ${expected}, got "${value}"`);
    return value;
  }
  if (!clean || url.pathname !== '/' || !/^https:\/\/[^/]+\/?$/i.test(value)) {
    throw new Error(`${key} must be ${expected}, got "${value}"`);
  }
  return url.origin;
}
