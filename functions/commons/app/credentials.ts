/**
 * Turns an `Authorization` header into the caller: the platform token (current or, during a
 * rotation, previous value) or a project key. Key reads are cached per process for
 * KEY_CACHE_MS (`KEY_CACHE_SECONDS`, at most 60), so a revoked key stops working within that on every warm function; `lastUsedAt`
 * is written at most every KEY_TOUCH_INTERVAL_MS per key.
 */
import { SETTINGS } from '../contracts/settings';
import { parseKey, type Principal, type ProjectKey } from '../domain/access';
import { secretsEqual } from '../domain/webhook-secret';
import type { Credentials } from '../http/router';
import type { AccessStore } from '../ports';

/** Below the 60 s within which a revoked key must stop working; also the most `KEY_CACHE_SECONDS` may say. */
export const KEY_CACHE_MS = SETTINGS.keyCacheSeconds.default * 1000;
export const MAX_KEY_CACHE_MS = SETTINGS.keyCacheSeconds.max * 1000;
export const KEY_TOUCH_INTERVAL_MS = 10 * 60_000;
/** Longer headers are refused unread. */
const MAX_AUTHORIZATION_CHARS = 1024;
const MAX_CACHED_KEYS = 10_000;

export interface CredentialsDeps {
  /** Valid platform tokens: the current one first, then the previous one during a rotation. */
  platformTokens: () => Promise<string[]>;
  keys: Pick<AccessStore, 'getKey' | 'touchKey'>;
  /** Default KEY_CACHE_MS. */
  keyCacheMs?: number;
  now?: () => number;
  /** A failed `lastUsedAt` write does not refuse the request; it is only reported. */
  onTouchError?: (error: unknown) => void;
}

export function createCredentials(deps: CredentialsDeps): Credentials {
  const now = deps.now ?? Date.now;
  const keyCacheMs = Math.min(deps.keyCacheMs ?? KEY_CACHE_MS, MAX_KEY_CACHE_MS);
  const cache = new Map<string, { key: ProjectKey | undefined; at: number }>();

  async function storedKey(projectId: string, keyId: string): Promise<ProjectKey | undefined> {
    const id = `${projectId}.${keyId}`;
    const hit = cache.get(id);
    if (hit && now() - hit.at < keyCacheMs) return hit.key;
    const key = await deps.keys.getKey(projectId, keyId);
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    cache.set(id, { key, at: now() });
    return key;
  }

  const touchedAt = new Map<string, number>();
  async function used(principal: Principal): Promise<void> {
    if (principal.kind !== 'key') return;
    const id = `${principal.projectId}.${principal.keyId}`;
    const key = cache.get(id)?.key;
    const at = now();
    const last = Math.max(touchedAt.get(id) ?? 0, key?.lastUsedAt ? Date.parse(key.lastUsedAt) : 0);
    if (at - last < KEY_TOUCH_INTERVAL_MS) return;
    if (touchedAt.size >= MAX_CACHED_KEYS) touchedAt.clear();
    touchedAt.set(id, at);
    await deps.keys.touchKey(principal.projectId, principal.keyId, new Date(at).toISOString()).catch(deps.onTouchError ?? (() => undefined));
  }

  const authenticate = async (authorization: string | undefined): Promise<Principal | undefined> => {
    if (!authorization || authorization.length > MAX_AUTHORIZATION_CHARS) return undefined;
    const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
    if (!match) return undefined;
    const presented = match[1]!;
    const parsed = parseKey(presented);
    if (parsed) {
      const key = await storedKey(parsed.projectId, parsed.keyId);
      if (!key || !secretsEqual(parsed.secretHash, key.secretHash)) return undefined;
      return { kind: 'key', projectId: key.projectId, keyId: key.keyId, scope: key.scope } satisfies Principal;
    }
    const tokens = await deps.platformTokens();
    // Every valid value is compared, so the time taken does not tell which one matched.
    const matched = tokens.map((token) => secretsEqual(presented, token)).includes(true);
    return matched ? { kind: 'platform' } : undefined;
  };
  return { authenticate, used };
}
