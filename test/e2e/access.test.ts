/**
 * Project keys end to end on the local stack: a `call` key starts calls for its project and
 * nothing else, an `admin` key runs its project but not its keys, keys of one project open
 * nothing of another, a revoked key stops working within the cache time, secrets are shown
 * once and stored only as hashes, and every credential change is in the audit log.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../functions/commons/http/routes';
import { ADMIN_TOKEN, eventually, startTestStack, type TestStack } from '../support/harness';
import { scanTable } from '../../drivers/table';

const KEY_CACHE_SECONDS = 2;
const EMPLOYEE = '9000000001';
const PREVIOUS_TOKEN = 'test-admin-token-before-rotation';

let stack: TestStack;
let A: string;
let B: string;

const callStarts = () => stack.simulator!.requests().filter((r) => r.method === 'POST' && /\/call$/.test(r.path)).length;
const call = (project: string, token: string) => stack.api('POST', `/projects/${project}/beeline/call`, { client_phone: '79161234567', user: EMPLOYEE }, token);

/** A route's path with every parameter filled: the project given, other ids fixed. */
function pathOf(route: RouteSpec, projectId: string): string {
  return route.path.replace('{projectId}', projectId).replace(/\{(\w+)\}/g, (_, name: string) => (name === 'keyId' ? 'k0123456789abcdef' : `x-${name}`));
}

async function connectedProject(): Promise<string> {
  const id = `p-${randomUUID().slice(0, 8)}`;
  expect((await stack.api('PUT', `/projects/${id}`, { name: 'Demo' })).status).toBe(200);
  expect((await stack.api('PUT', `/projects/${id}/beeline`, { apiToken: 'sim-token' })).status).toBe(200);
  expect((await stack.api('PUT', `/projects/${id}/employees/anna`, { name: 'Anna', callMethod: 'beeline_api', beelineNumber: EMPLOYEE })).status).toBe(200);
  return id;
}

beforeAll(async () => {
  stack = await startTestStack({ keyCacheSeconds: KEY_CACHE_SECONDS, previousAdminToken: PREVIOUS_TOKEN });
  A = await connectedProject();
  B = await connectedProject();
});
afterAll(() => stack?.stop());

describe('creating and listing keys', () => {
  it('shows the key once, lists it without its secret, and stores only a hash', async () => {
    const created = await stack.api('POST', `/projects/${A}/keys`, { scope: 'call', name: 'bot engine' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ keyId: expect.stringMatching(/^k[0-9a-f]{16}$/), scope: 'call', name: 'bot engine', key: expect.any(String), createdAt: expect.any(String) });
    const secret = created.body.key.split('.').at(-1);
    expect(secret.length).toBeGreaterThanOrEqual(43);

    const listed = await stack.api('GET', `/projects/${A}/keys`);
    expect(listed.status).toBe(200);
    const entry = listed.body.keys.find((k: { keyId: string }) => k.keyId === created.body.keyId);
    expect(entry).toEqual({ keyId: created.body.keyId, scope: 'call', name: 'bot engine', createdAt: created.body.createdAt });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(await scanTable(stack.env))).not.toContain(secret);
  });

  it('refuses a scope that does not exist, unknown fields and a long name, creating nothing', async () => {
    const before = (await stack.api('GET', `/projects/${A}/keys`)).body.keys.length;
    for (const body of [{ scope: 'root' }, {}, { scope: 'admin', admin: true }, { scope: 'call', name: 'x'.repeat(101) }, { scope: 'call', name: 'a\nb' }]) {
      const answer = await stack.api('POST', `/projects/${A}/keys`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toEqual(expect.any(String));
    }
    expect((await stack.api('GET', `/projects/${A}/keys`)).body.keys.length).toBe(before);
  });
});

describe('a call key', () => {
  it('starts a call for its project, and notes when it was last used', async () => {
    const { key, keyId } = await stack.createKey(A, 'call');
    const before = callStarts();
    const answer = await call(A, key);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: '1', result: expect.stringMatching(/^Call ID: /) });
    expect(callStarts()).toBe(before + 1);
    const listed = (await stack.api('GET', `/projects/${A}/keys`)).body.keys.find((k: { keyId: string }) => k.keyId === keyId);
    expect(Date.parse(listed.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("gets 403 on every other route of its project, and on another project's beeline/call in the call contract", async () => {
    const { key } = await stack.createKey(A, 'call');
    const protectedRoutes = Object.values(ROUTES).filter((r) => r.access !== 'open' && r !== ROUTES.beelineCall);
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(20);
    for (const route of protectedRoutes) {
      const answer = await stack.api(route.method, pathOf(route, A), route.method === 'GET' || route.method === 'DELETE' ? undefined : {}, key);
      expect(answer.status, `${route.method} ${route.path}`).toBe(403);
      expect(answer.body).toEqual({ error: 'forbidden' });
    }
    const before = callStarts();
    const other = await call(B, key);
    expect(other).toEqual({ status: 403, body: { status: '0', error: 'forbidden', code: 'forbidden' } });
    expect(callStarts()).toBe(before);
  });
});

describe('an admin key', () => {
  it('runs its own project, including beeline_call, but not its keys and nothing of another project', async () => {
    const { key } = await stack.createKey(A, 'admin');
    expect((await stack.api('GET', `/projects/${A}`, undefined, key)).body).toMatchObject({ projectId: A, name: 'Demo' });
    expect((await stack.api('PUT', `/projects/${A}`, { name: 'Renamed by its admin' }, key)).status).toBe(200);
    expect((await stack.api('GET', `/projects/${A}/employees`, undefined, key)).body.employees).toHaveLength(1);
    expect((await call(A, key)).body.status).toBe('1');

    for (const route of [ROUTES.createKey, ROUTES.listKeys, ROUTES.revokeKey]) {
      expect((await stack.api(route.method, pathOf(route, A), route === ROUTES.createKey ? { scope: 'admin' } : undefined, key)).status, route.path).toBe(403);
    }
    expect((await stack.api('GET', `/projects/${B}`, undefined, key)).status).toBe(403);
    expect((await stack.api('PUT', `/projects/${B}/beeline`, { apiToken: 'attacker-token-1234' }, key)).status).toBe(403);
    expect((await stack.api('GET', `/projects/${B}`)).body.name).toBe('Demo');
  });
});

describe('revocation', () => {
  it(`a revoked key stops working within ${KEY_CACHE_SECONDS} s on every function that had it cached`, async () => {
    const admin = await stack.createKey(A, 'admin');
    const caller = await stack.createKey(A, 'call');
    // Both functions read (and cache) the keys.
    expect((await stack.api('GET', `/projects/${A}`, undefined, admin.key)).status).toBe(200);
    expect((await call(A, caller.key)).body.status).toBe('1');

    expect((await stack.api('DELETE', `/projects/${A}/keys/${admin.keyId}`)).status).toBe(204);
    expect((await stack.api('DELETE', `/projects/${A}/keys/${caller.keyId}`)).status).toBe(204);
    const revokedAt = Date.now();
    await eventually(async () => ((await stack.api('GET', `/projects/${A}`, undefined, admin.key)).status === 401 ? true : undefined), { timeoutMs: 5000 });
    await eventually(async () => ((await call(A, caller.key)).status === 401 ? true : undefined), { timeoutMs: 5000 });
    expect(Date.now() - revokedAt).toBeLessThan((KEY_CACHE_SECONDS + 1) * 1000);
    expect((await call(A, caller.key)).body).toEqual({ status: '0', error: 'unauthorized', code: 'unauthorized' });

    const listed = (await stack.api('GET', `/projects/${A}/keys`)).body.keys.map((k: { keyId: string }) => k.keyId);
    expect(listed).not.toContain(admin.keyId);
    expect((await stack.api('DELETE', `/projects/${A}/keys/${admin.keyId}`)).status).toBe(404);
  });
});

describe('the platform token', () => {
  it('works in its current and, during a rotation, its previous value; nothing else does', async () => {
    expect((await stack.api('GET', `/projects/${A}`, undefined, ADMIN_TOKEN)).status).toBe(200);
    expect((await stack.api('GET', `/projects/${A}`, undefined, PREVIOUS_TOKEN)).status).toBe(200);
    expect((await stack.api('GET', `/projects/${A}`, undefined, `${PREVIOUS_TOKEN}x`)).status).toBe(401);
    expect((await call(A, PREVIOUS_TOKEN)).body.status).toBe('1');
  });
});

describe('the audit log', () => {
  it('lists every credential change newest first, naming the credential but never a secret', async () => {
    const project = await connectedProject();
    const admin = await stack.createKey(project, 'admin', 'console');
    expect((await stack.api('PUT', `/projects/${project}/beeline`, { apiToken: 'sim-token' }, admin.key)).status).toBe(200);
    expect((await stack.api('DELETE', `/projects/${project}/beeline`, undefined, admin.key)).status).toBe(200);
    // Not connected any more: nothing was removed, so nothing is recorded.
    expect((await stack.api('DELETE', `/projects/${project}/beeline`, undefined, admin.key)).status).toBe(200);
    expect((await stack.api('DELETE', `/projects/${project}/keys/${admin.keyId}`)).status).toBe(204);

    const { status, body } = await stack.api('GET', `/projects/${project}/audit`);
    expect(status).toBe(200);
    expect(body.entries.map((e: { action: string; credential: string }) => [e.action, e.credential])).toEqual([
      ['key.revoked', 'platform'],
      ['pbx-token.removed', `key:${admin.keyId}`],
      ['pbx-token.set', `key:${admin.keyId}`],
      ['key.created', 'platform'],
      ['pbx-token.set', 'platform'],
    ]);
    expect(body.entries[2].details).toEqual({ tokenHint: expect.stringMatching(/^…/) });
    expect(JSON.stringify(body)).not.toContain('sim-token');
    expect(JSON.stringify(body)).not.toContain(admin.key);
    expect((await stack.api('GET', `/projects/${project}/audit?limit=2`)).body.entries).toHaveLength(2);
    expect((await stack.api('GET', `/projects/${project}/audit?limit=0`)).status).toBe(400);
    // Another project's log holds none of this.
    expect((await stack.api('GET', `/projects/${B}/audit`)).body.entries.every((e: { details: Record<string, string> }) => e.details.keyId !== admin.keyId)).toBe(true);
  });
});
