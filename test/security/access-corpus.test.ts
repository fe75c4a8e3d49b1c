/**
 * No spelling of a path reaches a protected route without the credential its plain spelling
 * needs. Generated from the route table (functions/commons/http/routes.ts), so a new route is
 * covered without anyone remembering: every protected route × every spelling × every wrong
 * credential, over raw HTTP on the local stack (paths go out exactly as written) and straight
 * into the api and callback functions with the path as API Gateway may hand it over (decoded
 * once). Every answer must be a refusal; nothing is written, queued or dialled; and the same
 * spellings with the right credential do get through, so the corpus can fail.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createApiHandler } from '../../functions/api';
import { createHandler as createCallbackHandler } from '../../functions/callback';
import { ROUTES, type RouteSpec } from '../../functions/commons/http/routes';
import { ADMIN_TOKEN, startTestStack, type TestStack } from '../support/harness';
import { scanTable } from '../../drivers/table';
import { rawRequest } from './raw-http';

const A = 'victim';
const B = 'intruder';
let stack: TestStack;
let keys: { callA: string; adminA: string; adminB: string; revokedA: string };

const PROTECTED = Object.values(ROUTES).filter((route) => route.access !== 'open');

/** The plain path of a route: the victim project, fixed other ids. */
function plainPath(route: RouteSpec, projectId = A): string {
  return route.path.replace('{projectId}', projectId).replace(/\{(\w+)\}/g, (_, name: string) => (name === 'keyId' ? 'k0123456789abcdef' : `x-${name}`));
}

const encodeAll = (text: string, upper = false) =>
  [...text]
    .map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .map((e) => (upper ? e.toUpperCase() : e))
    .join('');
/** Each literal (non-parameter) segment rewritten by `f`. */
function literals(route: RouteSpec, f: (segment: string, index: number) => string): string {
  const pattern = route.path.split('/').filter(Boolean);
  return `/${plainPath(route)
    .split('/')
    .filter(Boolean)
    .map((segment, i) => (pattern[i]!.startsWith('{') ? segment : f(segment, i)))
    .join('/')}`;
}

/**
 * Spellings of a route's path. `same`: it normalises to the plain path (so a caller allowed
 * there must get through); the others (case, encoded slashes, doubled encoding) name no route
 * and must be refused whoever asks.
 */
function spellings(route: RouteSpec): { name: string; path: string; same: boolean }[] {
  const plain = plainPath(route);
  const segments = plain.split('/').filter(Boolean);
  return [
    { name: 'plain', path: plain, same: true },
    { name: 'first letter %-encoded', path: plain.replace('/projects', '/%70rojects'), same: true },
    { name: 'every literal %-encoded', path: literals(route, (s) => encodeAll(s)), same: true },
    { name: 'every literal %-encoded, upper-case hex', path: literals(route, (s) => encodeAll(s, true)), same: true },
    { name: 'last literal letter %-encoded', path: literals(route, (s, i) => (i === segments.length - 1 || i === 0 ? `${s.slice(0, -1)}${encodeAll(s.slice(-1))}` : s)), same: true },
    { name: 'doubled slashes', path: `//${segments.join('//')}`, same: true },
    { name: 'a trailing slash', path: `${plain}/`, same: true },
    { name: 'dot segments', path: `/./${segments.join('/./')}`, same: true },
    { name: 'a detour through ..', path: `/health/../${segments.join('/')}`, same: true },
    { name: 'an encoded detour through %2e%2e', path: `/x/%2e%2e/${segments.join('/')}`, same: true },
    { name: 'an encoded detour, upper-case', path: `/x/%2E%2E/${segments.join('/')}`, same: true },
    { name: 'everything at once', path: `//%70rojects//${segments.slice(1).join('/./')}/`, same: true },
    { name: 'upper case', path: plain.toUpperCase(), same: false },
    { name: 'capitalised', path: plain.replace('/projects', '/Projects'), same: false },
    { name: 'encoded slashes', path: `/${segments.join('%2F')}`, same: false },
    { name: 'encoded slashes, lower-case', path: `/${segments.join('%2f')}`, same: false },
    { name: 'double-encoded letter', path: plain.replace('/projects', '/%2570rojects'), same: false },
    { name: 'a backslash', path: plain.replace('/projects/', '/projects\\'), same: false },
  ];
}

interface Credential {
  name: string;
  authorization?: () => string;
  /** The answer a refused request of this credential gets on a route that matched. */
  refused: (route: RouteSpec) => number;
}

const CREDENTIALS: Credential[] = [
  { name: 'no credential', refused: () => 401 },
  { name: 'a wrong token', authorization: () => 'Bearer not-the-token', refused: () => 401 },
  { name: 'the token in another scheme', authorization: () => `Basic ${ADMIN_TOKEN}`, refused: () => 401 },
  { name: 'a revoked admin key of the project', authorization: () => `Bearer ${keys.revokedA}`, refused: () => 401 },
  { name: 'a key with a forged secret', authorization: () => `Bearer ${keys.adminA.slice(0, -4)}AAAA`, refused: () => 401 },
  { name: "another project's admin key", authorization: () => `Bearer ${keys.adminB}`, refused: () => 403 },
  { name: "the project's call key", authorization: () => `Bearer ${keys.callA}`, refused: (route) => (route === ROUTES.beelineCall ? 0 : 403) },
  { name: "the project's admin key", authorization: () => `Bearer ${keys.adminA}`, refused: (route) => (route.access === 'platform' ? 403 : 0) },
];

const BODY = JSON.stringify({ name: 'pwned', apiToken: 'attacker-token-1234', scope: 'admin', channel: 'whatsapp', callMethod: 'none', client_phone: '79161234567', user: '9000000001' });

const callStarts = () => stack.simulator!.requests().filter((r) => r.method === 'POST' && /\/call$/.test(r.path)).length;
const snapshot = async () => JSON.stringify((await scanTable(stack.env)).map(({ lastUsedAt: _, ...item }) => item).sort((x, y) => `${x.pk}|${x.sk}`.localeCompare(`${y.pk}|${y.sk}`)));

beforeAll(async () => {
  stack = await startTestStack();
  for (const project of [A, B]) {
    expect((await stack.api('PUT', `/projects/${project}`, { name: project })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/beeline`, { apiToken: 'sim-token' })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/clients/x-clientId`, { channel: 'whatsapp', variables: { secret: `data of ${project}` } })).status).toBe(200);
  }
  const revoked = await stack.createKey(A, 'admin');
  expect((await stack.api('DELETE', `/projects/${A}/keys/${revoked.keyId}`)).status).toBe(204);
  keys = { callA: (await stack.createKey(A, 'call')).key, adminA: (await stack.createKey(A, 'admin')).key, adminB: (await stack.createKey(B, 'admin')).key, revokedA: revoked.key };
});
afterAll(() => stack?.stop());

describe('access control corpus', () => {
  it('every protected route in every spelling refuses every credential that its plain spelling refuses', async () => {
    const before = await snapshot();
    const startsBefore = callStarts();
    const queuedBefore = await stack.queueDepth();
    const failures: string[] = [];
    let tried = 0;

    for (const route of PROTECTED) {
      for (const spelling of spellings(route)) {
        for (const credential of CREDENTIALS) {
          const expected = credential.refused(route);
          if (expected === 0) continue; // allowed there: the positive checks below
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (credential.authorization) headers.authorization = credential.authorization();
          const withBody = route.method === 'PUT' || route.method === 'POST';
          if (withBody) headers['content-length'] = String(Buffer.byteLength(BODY));
          const answer = await rawRequest(stack.port, route.method, spelling.path, { headers, body: withBody ? BODY : undefined });
          tried++;
          // A spelling that names no route is refused as 401 without a credential, 404 with one.
          const allowed = spelling.same ? [expected] : credential.authorization && expected === 403 ? [403, 404] : [401, 404];
          if (!allowed.includes(answer.status)) failures.push(`${route.method} ${spelling.path} (${spelling.name}) with ${credential.name}: ${answer.status}, expected ${allowed.join('|')}`);
          if (answer.text.includes('data of')) failures.push(`${route.method} ${spelling.path} with ${credential.name}: leaked data`);
        }
      }
    }
    for (const failure of failures.slice(0, 40)) console.log(`  ${failure}`);
    console.log(`access corpus over HTTP: ${PROTECTED.length} routes × ${spellings(ROUTES.getProject).length} spellings × ${CREDENTIALS.length} credentials → ${tried} refused requests`);

    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(2500);
    expect(await snapshot()).toBe(before);
    expect(callStarts()).toBe(startsBefore);
    expect(await stack.queueDepth()).toEqual(queuedBefore);
  }, 180_000);

  it('the same spellings with the right credential get through (the corpus can fail)', async () => {
    const reads = [ROUTES.getProject, ROUTES.getClient, ROUTES.listKeys, ROUTES.listCalls, ROUTES.getPbx];
    for (const route of reads) {
      const plain = await rawRequest(stack.port, 'GET', plainPath(route), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(plain.status, route.path).toBe(200);
      for (const spelling of spellings(route).filter((s) => s.same)) {
        const answer = await rawRequest(stack.port, 'GET', spelling.path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(answer.status, `${spelling.path} (${spelling.name})`).toBe(200);
        expect(answer.json, spelling.path).toEqual(plain.json);
      }
    }
    const admin = await rawRequest(stack.port, 'GET', `//%70rojects//${A}/./clients/x-clientId/`, { headers: { authorization: `Bearer ${keys.adminA}` } });
    expect(admin.json).toMatchObject({ variables: { secret: `data of ${A}` } });
  });

  it('behind API Gateway alike: either function, with the path as sent or decoded once, refuses the same', async () => {
    const logger = new Logger({ serviceName: 'corpus', logLevel: 'SILENT' });
    const functions = { api: createApiHandler(stack.env, { logger }), callback: createCallbackHandler(stack.env, { logger }) };
    const before = await snapshot();
    const startsBefore = callStarts();
    const failures: string[] = [];
    let tried = 0;
    for (const route of PROTECTED) {
      for (const spelling of spellings(route)) {
        let decoded: string;
        try {
          decoded = decodeURIComponent(spelling.path);
        } catch {
          decoded = spelling.path;
        }
        for (const rawPath of new Set([spelling.path, decoded])) {
          for (const [name, handler] of Object.entries(functions)) {
            for (const credential of CREDENTIALS.filter((c) => c.refused(route) !== 0)) {
              const answer = await handler(gatewayEvent(route.method, rawPath, credential.authorization?.()));
              tried++;
              const status = answer.statusCode ?? 200;
              if (![401, 403, 404].includes(status)) failures.push(`${name}: ${route.method} ${rawPath} with ${credential.name}: ${status}`);
              if (spelling.same && rawPath === decoded && status !== credential.refused(route) && !(name === 'callback' && status === 404)) {
                failures.push(`${name}: ${route.method} ${rawPath} with ${credential.name}: ${status}, expected ${credential.refused(route)}`);
              }
            }
          }
        }
      }
    }
    for (const failure of failures.slice(0, 40)) console.log(`  ${failure}`);
    console.log(`access corpus through the functions: ${tried} refused invocations`);
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(5000);
    expect(await snapshot()).toBe(before);
    expect(callStarts()).toBe(startsBefore);
  }, 180_000);
});

function gatewayEvent(method: string, rawPath: string, authorization?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
    requestContext: {
      accountId: '000000000000',
      apiId: 'corpus',
      domainName: 'example.test',
      domainPrefix: 'example',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'corpus' },
      requestId: 'corpus',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body: method === 'PUT' || method === 'POST' ? BODY : undefined,
    isBase64Encoded: false,
  };
}
