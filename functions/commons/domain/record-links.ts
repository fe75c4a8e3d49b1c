/**
 * This product's links to a call's recording. A link is a bearer capability (it sits in a
 * client's card, opened without a token), so it carries its expiry and is signed together with
 * the project's link generation: a fresh link can be had through the API, and revoking a
 * project's links (a new generation) changes nothing else, its webhook URLs included.
 */
import { createHmac } from 'node:crypto';
import { secretsEqual } from './webhook-secret';

const DAY_SECONDS = 86_400;

function signature(key: string, projectId: string, extTrackingId: string, expiresAt: number, generation: number): string {
  return createHmac('sha256', key).update(`beeline-record:v2:${projectId}:${extTrackingId}:${expiresAt}:${generation}`).digest('base64url').slice(0, 32);
}

/** Links made before links expired: no expiry in the link, signed without a generation. */
function legacySignature(key: string, projectId: string, extTrackingId: string): string {
  return createHmac('sha256', key).update(`beeline-record:${projectId}:${extTrackingId}`).digest('base64url').slice(0, 32);
}

export interface RecordLink {
  path: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/** A link valid for `ttlDays` from `now` (epoch ms), under the project's current generation. */
export function recordLink(key: string, projectId: string, extTrackingId: string, generation: number, now: number, ttlDays: number): RecordLink {
  const expiresAt = Math.floor(now / 1000) + ttlDays * DAY_SECONDS;
  const sig = signature(key, projectId, extTrackingId, expiresAt, generation);
  return { path: `/records/${projectId}/${encodeURIComponent(extTrackingId)}?exp=${expiresAt}&sig=${sig}`, expiresAt };
}

export type RecordLinkCheck = 'valid' | 'expired' | 'forbidden';

/** Up to 12 digits: seconds until far beyond any expiry this product gives. */
const EXPIRY_PATTERN = /^\d{1,12}$/;

/**
 * Checks a presented link. `legacyExpiresAt` (epoch s): when a link without an expiry, made before
 * links expired, stops working (its recording's time plus the TTL); such links die with the
 * first revocation.
 */
export function checkRecordLink(
  key: string,
  link: { projectId: string; extTrackingId: string; sig?: string; exp?: string },
  generation: number,
  now: number,
  legacyExpiresAt: number | undefined,
): RecordLinkCheck {
  const { projectId, extTrackingId, sig, exp } = link;
  if (!sig) return 'forbidden';
  if (exp === undefined) {
    if (generation !== 0 || !secretsEqual(sig, legacySignature(key, projectId, extTrackingId))) return 'forbidden';
    return legacyExpiresAt !== undefined && now / 1000 < legacyExpiresAt ? 'valid' : 'expired';
  }
  if (!EXPIRY_PATTERN.test(exp)) return 'forbidden';
  const expiresAt = Number(exp);
  if (!secretsEqual(sig, signature(key, projectId, extTrackingId, expiresAt, generation))) return 'forbidden';
  return now / 1000 < expiresAt ? 'valid' : 'expired';
}

export function legacyRecordLinkPath(key: string, projectId: string, extTrackingId: string): string {
  return `/records/${projectId}/${encodeURIComponent(extTrackingId)}?sig=${legacySignature(key, projectId, extTrackingId)}`;
}

export const recordLinkTtlSeconds = (days: number) => days * DAY_SECONDS;
