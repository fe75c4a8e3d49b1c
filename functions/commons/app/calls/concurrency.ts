/** Optimistic concurrency on one call: how often to try again, and how long to wait in between. */

/** Attempts of a settle, a join or a record link write. */
export const MAX_ATTEMPTS = 8;
/** An event of a busy call (a ring-all group's legs all at once) may need more: with the capped back-off, 20 attempts stay within ~12 s. */
export const MAX_EVENT_ATTEMPTS = 20;

export class ContentionError extends Error {}

const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 500;

/**
 * Before another optimistic-concurrency attempt: a random wait growing with the attempt, so the
 * writers of one busy call (a ring-all group's legs) spread out instead of colliding again.
 */
export function backOff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  const ms = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
