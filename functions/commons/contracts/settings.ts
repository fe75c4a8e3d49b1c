/**
 * The functions' numeric settings: each environment variable's name, default and the range the
 * functions accept. The handlers read them with `settingFrom` (environment.ts); the CDK stack
 * takes its context defaults from here and passes the values under these names. Where a context
 * key is checked more narrowly than the function (a deploy-time policy), lib/config.ts says why.
 * Plain data only.
 */
import { MAX_SQS_DELAY_SECONDS } from './sqs';

export interface Setting {
  /** The environment variable. */
  env: string;
  default: number;
  min: number;
  max: number;
  /** Seconds may be fractional (tests use sub-second delays); the other units are whole numbers. */
  unit: 'seconds' | 'ms' | 'days' | 'calls';
}

const seconds = (env: string, fallback: number, max: number, min = 0): Setting => ({ env, default: fallback, min, max, unit: 'seconds' });
const DAY_SECONDS = 86_400;

export const SETTINGS = {
  /** The settle timer is an SQS delay. */
  callSettleSeconds: seconds('CALL_SETTLE_SECONDS', 15, MAX_SQS_DELAY_SECONDS),
  /** An SQS delay. */
  recordFirstDelaySeconds: seconds('RECORD_FIRST_DELAY_SECONDS', 90, MAX_SQS_DELAY_SECONDS),
  recordGiveUpSeconds: seconds('RECORD_GIVE_UP_SECONDS', 1200, DAY_SECONDS),
  recordLinkTtlDays: { env: 'RECORD_LINK_TTL_DAYS', default: 30, min: 1, max: 365, unit: 'days' },
  recoveryWindowSeconds: seconds('RECOVERY_WINDOW_SECONDS', 7200, 7 * DAY_SECONDS),
  recoveryLagSeconds: seconds('RECOVERY_LAG_SECONDS', 300, DAY_SECONDS),
  /** An employee with no PBX event for this long is reported quiet. */
  quietPeriodSeconds: seconds('QUIET_PERIOD_SECONDS', DAY_SECONDS, 30 * DAY_SECONDS),
  /** `beeline_call` starts per project and window. */
  callRateLimit: { env: 'CALL_RATE_LIMIT', default: 30, min: 1, max: 10_000, unit: 'calls' },
  callRateWindowSeconds: seconds('CALL_RATE_WINDOW_SECONDS', 60, 3600, 1),
  /** Per attempt of an interactive PBX request. */
  pbxTimeoutMs: { env: 'PBX_TIMEOUT_MS', default: 5000, min: 1000, max: 8000, unit: 'ms' },
  /** Per attempt of a background PBX read (recordings, statistics): two attempts end within the processor's 30 s. */
  pbxBackgroundTimeoutMs: { env: 'PBX_BACKGROUND_TIMEOUT_MS', default: 12_000, min: 1000, max: 13_000, unit: 'ms' },
  /** How long a project key is trusted from the cache: a revoked key stops working within this on every warm function. */
  keyCacheSeconds: seconds('KEY_CACHE_SECONDS', 30, 60),
  /** The event feed shows events this old and older: a transaction still committing (at most the processor's 30 s timeout) is never skipped by a cursor. */
  eventFeedLagSeconds: seconds('EVENT_FEED_LAG_SECONDS', 35, 300),
  /** Per delivery attempt: a receiver that has not answered by then has failed. */
  deliveryTimeoutSeconds: { env: 'DELIVERY_TIMEOUT_SECONDS', default: 10, min: 1, max: 10, unit: 'seconds' },
  /** The first retry of a failed delivery waits this long, each further one 4× longer (at most 2 h). */
  deliveryRetryBaseSeconds: seconds('DELIVERY_RETRY_BASE_SECONDS', 5, 300),
  /** A delivery still failing this long after its event is `failed` (the event stays in the feed). */
  deliveryGiveUpSeconds: seconds('DELIVERY_GIVE_UP_SECONDS', DAY_SECONDS, 3 * DAY_SECONDS),
  /** How often capture mode's setting is read again. */
  captureCheckSeconds: seconds('CAPTURE_CHECK_SECONDS', 30, 60),
} as const satisfies Record<string, Setting>;

export type SettingKey = keyof typeof SETTINGS;

/** The PBX API's base URL unless `BEELINE_API_URL` says otherwise. */
export const DEFAULT_BEELINE_API_URL = 'https://cloudpbx.beeline.ru/apis/portal/';
