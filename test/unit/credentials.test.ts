/**
 * Who a credential is, and for how long an answer is trusted: a revoked key is refused within
 * the cache time (at most 60 s), `lastUsedAt` is written once per interval, the platform token
 * works in its current and previous value and is re-read every 5 minutes, headers are bounded.
 */
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SECRET_REFRESH_MS, secretVersionsFromEnvironment } from '../../functions/commons/adapters/secrets';
import { createCredentials, KEY_CACHE_MS, KEY_TOUCH_INTERVAL_MS } from '../../functions/commons/app/credentials';
import { decideAccess, issueKey, parseKey, type ProjectKey } from '../../functions/commons/domain/access';

function keyStore() {
  const keys = new Map<string, ProjectKey>();
  const reads: string[] = [];
  const touches: string[] = [];
  return {
    keys,
    reads,
    touches,
    async getKey(projectId: string, keyId: string) {
      reads.push(keyId);
      const key = keys.get(`${projectId}.${keyId}`);
      return key && { ...key };
    },
    async touchKey(_projectId: string, keyId: string, at: string) {
      touches.push(`${keyId}@${at}`);
    },
  };
}

function setUp(tokens = ['platform-token']) {
  let clock = Date.parse('2026-12-01T10:00:00Z');
  const store = keyStore();
  const credentials = createCredentials({ platformTokens: async () => tokens, keys: store, now: () => clock });
  const issued = issueKey('p1');
  store.keys.set(`p1.${issued.keyId}`, { projectId: 'p1', keyId: issued.keyId, scope: 'call', secretHash: issued.secretHash, createdAt: new Date(clock).toISOString() });
  return { credentials, store, issued, advance: (ms: number) => (clock += ms) };
}

describe('project keys', () => {
  it('a key is its project and scope; a forged or malformed one is nobody', async () => {
    const { credentials, issued } = setUp();
    expect(await credentials.authenticate(`Bearer ${issued.key}`)).toEqual({ kind: 'key', projectId: 'p1', keyId: issued.keyId, scope: 'call' });
    const forged = `${issued.key.slice(0, -1)}${issued.key.endsWith('A') ? 'B' : 'A'}`;
    expect(await credentials.authenticate(`Bearer ${forged}`)).toBeUndefined();
    expect(await credentials.authenticate(`Bearer ${issued.key.replace('.p1.', '.p2.')}`)).toBeUndefined();
    expect(await credentials.authenticate(issued.key)).toBeUndefined();
    expect(await credentials.authenticate(`Bearer ${issued.key}x`)).toBeUndefined();
    expect(parseKey('bpk.p1.kzz.secret')).toBeUndefined();
    expect(parseKey(`${issued.key}.extra`)).toBeUndefined();
  });

  it(`a revoked key is still trusted from the cache for less than ${KEY_CACHE_MS / 1000} s, then refused (within 60 s)`, async () => {
    const { credentials, store, issued, advance } = setUp();
    expect(await credentials.authenticate(`Bearer ${issued.key}`)).toBeDefined();
    store.keys.clear();
    advance(KEY_CACHE_MS - 1);
    expect(await credentials.authenticate(`Bearer ${issued.key}`)).toBeDefined();
    advance(1);
    expect(await credentials.authenticate(`Bearer ${issued.key}`)).toBeUndefined();
    expect(KEY_CACHE_MS).toBeLessThanOrEqual(60_000);
    expect(store.reads).toHaveLength(2);
  });

  it('notes the last use once per interval, not on every request', async () => {
    const { credentials, store, issued, advance } = setUp();
    for (let i = 0; i < 50; i++) {
      const principal = await credentials.authenticate(`Bearer ${issued.key}`);
      await credentials.used(principal!);
      advance(KEY_CACHE_MS / 3); // 50 requests over ~8 minutes
    }
    expect(store.touches).toHaveLength(1);
    advance(KEY_TOUCH_INTERVAL_MS);
    await credentials.used((await credentials.authenticate(`Bearer ${issued.key}`))!);
    expect(store.touches).toHaveLength(2);
  });
});

describe('the platform token', () => {
  it('accepts every valid value and nothing else; refuses oversized and odd headers unread', async () => {
    const { credentials, store } = setUp(['current-token', 'previous-token']);
    expect(await credentials.authenticate('Bearer current-token')).toEqual({ kind: 'platform' });
    expect(await credentials.authenticate('bearer previous-token')).toEqual({ kind: 'platform' });
    for (const header of [undefined, '', 'Bearer ', 'Bearer current-tokenx', 'Basic current-token', 'current-token', `Bearer ${'x'.repeat(5000)}`, 'Bearer current token']) {
      expect(await credentials.authenticate(header), String(header).slice(0, 40)).toBeUndefined();
    }
    expect(store.reads).toEqual([]);
  });

  it('locally: ADMIN_TOKEN and ADMIN_TOKEN_PREVIOUS, re-read every 5 minutes', async () => {
    let clock = 0;
    const env: Record<string, string | undefined> = { ADMIN_TOKEN: 'one' };
    const versions = secretVersionsFromEnvironment('ADMIN_TOKEN', env, { now: () => clock });
    expect(await versions()).toEqual(['one']);
    env.ADMIN_TOKEN = 'two';
    env.ADMIN_TOKEN_PREVIOUS = 'one';
    clock += SECRET_REFRESH_MS - 1;
    expect(await versions()).toEqual(['one']);
    clock += 1;
    expect(await versions()).toEqual(['two', 'one']);
    expect(SECRET_REFRESH_MS).toBeLessThanOrEqual(5 * 60_000);
  });

  it('on AWS: AWSCURRENT and, after a rotation, AWSPREVIOUS; a secret never rotated has only the current value', async () => {
    const sm = mockClient(SecretsManagerClient);
    try {
      sm.on(GetSecretValueCommand, { SecretId: 'arn:token' }).resolves({ SecretString: 'current' });
      sm.on(GetSecretValueCommand, { SecretId: 'arn:token', VersionStage: 'AWSPREVIOUS' }).rejects(new ResourceNotFoundException({ message: 'no such version', $metadata: {} }));
      let clock = 0;
      const versions = secretVersionsFromEnvironment('ADMIN_TOKEN', { ADMIN_TOKEN_SECRET_ARN: 'arn:token', AWS_REGION: 'eu-central-1' }, { now: () => clock });
      expect(await versions()).toEqual(['current']);
      sm.reset();
      sm.on(GetSecretValueCommand, { SecretId: 'arn:token' }).resolves({ SecretString: 'rotated' });
      sm.on(GetSecretValueCommand, { SecretId: 'arn:token', VersionStage: 'AWSPREVIOUS' }).resolves({ SecretString: 'current' });
      clock += SECRET_REFRESH_MS;
      expect(await versions()).toEqual(['rotated', 'current']);
      // A failed read is not cached: the next request tries again.
      sm.reset();
      sm.on(GetSecretValueCommand).rejects(new Error('throttled'));
      clock += SECRET_REFRESH_MS;
      await expect(versions()).rejects.toThrow('throttled');
      sm.reset();
      sm.on(GetSecretValueCommand, { SecretId: 'arn:token' }).resolves({ SecretString: 'rotated' });
      sm.on(GetSecretValueCommand, { SecretId: 'arn:token', VersionStage: 'AWSPREVIOUS' }).resolves({ SecretString: 'current' });
      expect(await versions()).toEqual(['rotated', 'current']);
    } finally {
      sm.restore();
    }
  });
});

describe('access decisions', () => {
  const call = { kind: 'key', projectId: 'p1', keyId: 'k1', scope: 'call' } as const;
  const admin = { ...call, scope: 'admin' } as const;
  it.each([
    ['open', undefined, 'p1', 'allow'],
    ['project', undefined, 'p1', 'unauthenticated'],
    ['platform', { kind: 'platform' }, 'p1', 'allow'],
    ['platform', admin, 'p1', 'forbidden'],
    ['project', admin, 'p1', 'allow'],
    ['project', admin, 'p2', 'forbidden'],
    ['project', call, 'p1', 'forbidden'],
    ['call', call, 'p1', 'allow'],
    ['call', call, 'p2', 'forbidden'],
    ['call', admin, 'p1', 'allow'],
    ['call', call, undefined, 'forbidden'],
  ] as const)('%s route, %o on %s → %s', (access, principal, projectId, decision) => {
    expect(decideAccess(principal, access, projectId)).toBe(decision);
  });
});
