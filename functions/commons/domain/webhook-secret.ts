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

/** The signature in a stable record link: cannot be guessed or moved to another call. */
export function recordLinkSignature(key: string, projectId: string, extTrackingId: string): string {
  return createHmac('sha256', key).update(`beeline-record:${projectId}:${extTrackingId}`).digest('base64url').slice(0, 32);
}

export function recordLinkPath(key: string, projectId: string, extTrackingId: string): string {
  return `/records/${projectId}/${encodeURIComponent(extTrackingId)}?sig=${recordLinkSignature(key, projectId, extTrackingId)}`;
}
