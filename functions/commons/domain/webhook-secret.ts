import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The per-project secret in a webhook URL is a keyed derivation of the project id: nothing
 * secret is stored per project, the ingest function checks it without a database read, and
 * rotating the key (then re-subscribing) invalidates every old URL.
 */
export function webhookSecret(key: string, projectId: string): string {
  return createHmac('sha256', key).update(`beeline-webhook:${projectId}`).digest('base64url').slice(0, 32);
}

const expectedSecrets = new Map<string, Buffer>();

/**
 * Checks a webhook URL's secret in constant time. The expected secret of a project is derived
 * once per process (a hot path: every PBX event).
 */
export function isWebhookSecret(key: string, projectId: string, presented: string): boolean {
  const cacheKey = `${key.length}:${key}\u0000${projectId}`;
  let expected = expectedSecrets.get(cacheKey);
  if (!expected) {
    if (expectedSecrets.size >= 10_000) expectedSecrets.clear();
    expected = Buffer.from(webhookSecret(key, projectId));
    expectedSecrets.set(cacheKey, expected);
  }
  const given = Buffer.from(presented);
  // The length of a secret is public (always 32); only its content must not leak through timing.
  return given.length === expected.length && timingSafeEqual(given, expected);
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
