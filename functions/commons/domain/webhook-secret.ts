import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The per-project secret in a webhook URL is a keyed derivation of the project id and the
 * project's secret generation: nothing secret is stored per project, and rotating a project's
 * secret is a new generation (the previous one accepted for a grace period). Generation 0 is
 * the derivation every project starts with, so URLs registered before rotation existed stay valid.
 */
export function webhookSecret(key: string, projectId: string, generation = 0): string {
  const input = generation === 0 ? `beeline-webhook:${projectId}` : `beeline-webhook:${projectId}:${generation}`;
  return createHmac('sha256', key).update(input).digest('base64url').slice(0, 32);
}

/** A rotated secret's predecessor keeps working at least this long, while employees are subscribed again. */
export const PREVIOUS_WEBHOOK_SECRET_GRACE_MS = 60 * 60_000;

/** A project's webhook secret generations (no item yet = generation 0 alone). */
export interface WebhookSecretState {
  generation: number;
  previousGeneration?: number;
  /** Epoch ms until which the previous generation is accepted. */
  previousValidUntil?: number;
  rotatedAt?: string;
}

export const INITIAL_WEBHOOK_SECRET: WebhookSecretState = { generation: 0 };

/** The generations whose secrets are accepted at `now` (the current one first). */
export function acceptedGenerations(state: WebhookSecretState, now: number): number[] {
  const previousValid = state.previousGeneration !== undefined && state.previousValidUntil !== undefined && now < state.previousValidUntil;
  return previousValid ? [state.generation, state.previousGeneration!] : [state.generation];
}

/** The state after a rotation at `now`. */
export function rotated(state: WebhookSecretState, now: number): WebhookSecretState {
  return {
    generation: state.generation + 1,
    previousGeneration: state.generation,
    previousValidUntil: now + PREVIOUS_WEBHOOK_SECRET_GRACE_MS,
    rotatedAt: new Date(now).toISOString(),
  };
}

const expectedSecrets = new Map<string, Buffer>();

/**
 * Checks a webhook URL's secret against one generation in constant time. The expected secret
 * is derived once per process (a hot path: every PBX event).
 */
export function isWebhookSecret(key: string, projectId: string, presented: string, generation = 0): boolean {
  const cacheKey = `${key.length}:${key}\u0000${projectId}\u0000${generation}`;
  let expected = expectedSecrets.get(cacheKey);
  if (!expected) {
    if (expectedSecrets.size >= 10_000) expectedSecrets.clear();
    expected = Buffer.from(webhookSecret(key, projectId, generation));
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
