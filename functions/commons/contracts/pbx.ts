/**
 * The PBX client's retry policy: safe requests (reads, deletes) are tried again with an
 * exponential back-off with full jitter; a call start never is. The CDK stack sizes the api
 * function's timeout from these (lib/config.ts).
 */

/** Extra attempts of a safe request, unless the caller says otherwise. */
export const PBX_SAFE_RETRIES = 2;
const BACKOFF_BASE_MS = 100;
const BACKOFF_FLOOR_MS = 25;

/** The wait before attempt `attempt` (1, 2 …): up to 125 ms, then up to 225 ms … */
export function pbxBackoffMs(attempt: number, random = Math.random()): number {
  return random * BACKOFF_BASE_MS * 2 ** (attempt - 1) + BACKOFF_FLOOR_MS;
}

/** The longest total back-off of a safe request with `retries` extra attempts. */
export function maxPbxBackoffTotalMs(retries = PBX_SAFE_RETRIES): number {
  let total = 0;
  for (let attempt = 1; attempt <= retries; attempt++) total += pbxBackoffMs(attempt, 1);
  return total;
}
