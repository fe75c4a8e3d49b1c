/**
 * Outbound delivery of a project's events to its receiver, as the Standard Webhooks convention
 * has it: which URLs and addresses may receive (SSRF rules), the `whsec_` secrets and the
 * signature, and the retry schedule. Plain rules: sending and storing are adapters' business.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

export const DELIVERY_SECRET_PREFIX = 'whsec_';
export const MAX_DELIVERY_URL_CHARS = 2048;
/** How many recent deliveries `GET …/delivery` shows. */
export const RECENT_DELIVERIES = 50;
/** After a rotation the previous secret signs too (a second `v1,` signature) for this long, so receivers can switch without losing events. */
export const PREVIOUS_SECRET_HOURS = 24;
/** At most this much of a receiver's answer is read (and none of it kept). */
export const MAX_RECEIVER_ANSWER_BYTES = 4096;

export const DELIVERY_STATUSES = ['delivered', 'retrying', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What a project's receiver may be. `allowLoopback` is for the local stack only (receivers on this machine). */
export interface TargetPolicy {
  allowLoopback: boolean;
}

/** A new secret: `whsec_` and the base64 of 32 random bytes (the key is the decoded bytes). */
export function newDeliverySecret(): string {
  return `${DELIVERY_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The last four characters, so an admin can tell which secret a receiver holds. */
export function secretHint(secret: string): string {
  return `${DELIVERY_SECRET_PREFIX}…${secret.slice(-4)}`;
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` per
 * secret, space-separated (the current secret first; the previous one during a rotation).
 */
export function webhookSignature(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice(DELIVERY_SECRET_PREFIX.length), 'base64');
      return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
    })
    .join(' ');
}

/**
 * The delay before the next attempt after `failedAttempts` failures: `base`, then 4× per
 * failure, at most 2 h (with the default 5 s: 5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 2 h …),
 * so a receiver down for a day gets about 16 attempts per event.
 */
export function retryDelaySeconds(failedAttempts: number, baseSeconds: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, baseSeconds * 4 ** Math.max(0, failedAttempts - 1));
}
export const MAX_RETRY_DELAY_SECONDS = 7200;

// ---------------------------------------------------------------- where deliveries may go

const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

/** Why a resolved address may not receive deliveries, or undefined when it may (IPv4-mapped IPv6 counts as its IPv4). */
export function addressRefusal(address: string, policy: TargetPolicy): string | undefined {
  const family = familyOf(address);
  if (!family) return `"${address}" is not an IP address`;
  if (policy.allowLoopback && LOOPBACK.check(address, family)) return undefined;
  return BLOCKED.check(address, family) ? `the receiver's address ${address} is private, loopback, link-local or reserved` : undefined;
}

function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

/**
 * Whether `raw` may be a project's delivery URL: `https` (or `http` to this machine in the local
 * stack), no credentials in it, and no address literal that is private, loopback or link-local.
 * A host name is checked again at each delivery, on the addresses it resolves to then.
 */
export function checkDeliveryUrl(raw: string, policy: TargetPolicy): UrlCheck {
  if (raw.length > MAX_DELIVERY_URL_CHARS) return { ok: false, reason: `url: at most ${MAX_DELIVERY_URL_CHARS} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'url: not a valid absolute URL' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const literal = familyOf(host) !== undefined;
  const loopback = isLoopbackName(host) || (literal && LOOPBACK.check(host, familyOf(host)!));
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowLoopback && loopback)) {
    return { ok: false, reason: policy.allowLoopback ? 'url: must be https (http only to this machine)' : 'url: must be https' };
  }
  if (url.username || url.password) return { ok: false, reason: 'url: must not carry a user name or password' };
  if (loopback && !policy.allowLoopback) return { ok: false, reason: 'url: must not point at this machine' };
  if (literal) {
    const refusal = addressRefusal(host, policy);
    if (refusal) return { ok: false, reason: `url: ${refusal.replace(/^the receiver's /, '')}` };
  }
  url.hash = '';
  return { ok: true, url: url.toString() };
}
