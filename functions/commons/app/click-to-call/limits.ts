/** How many calls a project may start, and how long a start may take. */
import { SETTINGS } from '../../contracts/settings';
import { settingFrom, type Environment } from '../../environment';

/** A leaked key must not become a toll-fraud machine: at most this many call starts per project and window. */
export interface CallRateLimit {
  calls: number;
  windowSeconds: number;
}
export const DEFAULT_CALL_RATE_LIMIT: CallRateLimit = { calls: SETTINGS.callRateLimit.default, windowSeconds: SETTINGS.callRateWindowSeconds.default };

/** `CALL_RATE_LIMIT` calls (1–10000, default 30) per `CALL_RATE_WINDOW_SECONDS` (1–3600, default 60). */
export function callRateLimitFrom(env: Environment): CallRateLimit {
  return { calls: settingFrom(env, SETTINGS.callRateLimit), windowSeconds: settingFrom(env, SETTINGS.callRateWindowSeconds) };
}

/** The PBX request's timeout never exceeds this, whatever `PBX_TIMEOUT_MS` says. */
export const CALL_START_TIMEOUT_CAP_MS = 4000;
/** Everything (connection lookup + PBX request) fits in this, so the answer comes within 5 s. */
export const ANSWER_BUDGET_MS = 4500;
/** Less than this left after the lookup: the call is not started at all. */
export const MIN_PBX_TIMEOUT_MS = 1000;

/** min(`PBX_TIMEOUT_MS` (default 5000), 4000); a missing or unusable value gives 4000. */
export function clickToCallTimeoutMs(env: Environment): number {
  const configured = Number(env[SETTINGS.pbxTimeoutMs.env] ?? SETTINGS.pbxTimeoutMs.default);
  return Number.isFinite(configured) && configured > 0 ? Math.min(configured, CALL_START_TIMEOUT_CAP_MS) : CALL_START_TIMEOUT_CAP_MS;
}
