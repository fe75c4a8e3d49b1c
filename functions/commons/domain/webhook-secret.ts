import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The per-project secret in a webhook URL is a keyed derivation of the project id: nothing
 * secret is stored per project, the ingest function checks it without a database read, and
 * rotating the key (then re-subscribing) invalidates every old URL.
 */
export function webhookSecret(key: string, projectId: string): string {
  return createHmac('sha256', key).update(`beeline-webhook:${projectId}`).digest('base64url').slice(0, 32);
}

/** Constant-time comparison of a presented secret or token with the expected one. */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHmac('sha256', 'compare').update(presented).digest();
  const b = createHmac('sha256', 'compare').update(expected).digest();
  return timingSafeEqual(a, b);
}
