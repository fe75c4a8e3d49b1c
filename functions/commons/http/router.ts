import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decideAccess, type Principal } from '../domain/access';
import type * as z from '../domain/schema';
import { error, ID_PATTERN, TRACKING_ID_PATTERN } from './responses';
import { PROTECTED_PREFIX, ROUTES, type RouteSpec } from './routes';

export interface Request {
  route: RouteSpec;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  event: APIGatewayProxyEventV2;
  /** Who is calling; undefined only on open routes. */
  principal: Principal | undefined;
}

type RouteHandler = (request: Request) => Promise<APIGatewayProxyStructuredResultV2>;

/** How a route answers a refusal (401/403/400/404); default `{"error": message}`. */
export type Refusal = (statusCode: number, message: string) => APIGatewayProxyStructuredResultV2;

export interface Credentials {
  /** The caller behind an `Authorization` header value, or undefined when it is not a valid credential. */
  authenticate(authorization: string | undefined): Promise<Principal | undefined>;
  /** The caller was allowed through (a key notes its last use); never fails the request. */
  used(principal: Principal): Promise<void>;
}

/** The caller of a protected route (the router has checked there is one). */
export function callerOf(request: Request): Principal {
  if (!request.principal) throw new Error(`${request.route.method} ${request.route.path} is open: it has no caller`);
  return request.principal;
}

/** Thrown by handlers for a clear 4xx answer. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Path parameters that are not ids (those follow ID_PATTERN), with the rule a refusal states. */
const PARAM_PATTERNS: Record<string, RegExp> = { extTrackingId: TRACKING_ID_PATTERN, asset: /^[a-z0-9-]{1,32}\.[a-z]{1,8}$/ };
const PARAM_RULES: Record<string, string> = {
  extTrackingId: 'extTrackingId must be 1-128 characters of A-Z, a-z, 0-9 and _ : . @ + = ~ -',
  asset: 'asset must be a file name such as console.js',
};

interface Served {
  handle: RouteHandler;
  refuse: Refusal;
}

const REFUSED: Record<'unauthenticated' | 'forbidden', [number, string]> = { unauthenticated: [401, 'unauthorized'], forbidden: [403, 'forbidden'] };

/**
 * The router of the HTTP functions. Deny by default, decided on the route that matched: the
 * path is decoded and normalised first (percent-encoding, empty and dot segments), matched
 * against every route of the product's table, and the matched route's access level decides
 * with the caller's credential, before any parameter is used. A route of the table that this
 * function does not serve answers 404 only to a caller allowed to call it; so does a path under
 * the protected prefix that matches no route.
 */
export class Router {
  private readonly served = new Map<RouteSpec, Served>();

  constructor(
    private readonly credentials: Credentials,
    private readonly routes: readonly RouteSpec[] = Object.values(ROUTES),
  ) {}

  on(spec: RouteSpec, handle: RouteHandler, refuse: Refusal = error): this {
    if (!this.routes.includes(spec)) throw new Error(`route ${spec.method} ${spec.path} is not in the route table`);
    this.served.set(spec, { handle, refuse });
    return this;
  }

  async route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const method = event.requestContext.http.method.toUpperCase();
    const path = canonicalSegments(event.rawPath);
    const match = path && this.match(method, path);
    if (!match) {
      const first = (path ?? event.rawPath.split('/').filter(Boolean))[0]?.normalize('NFKC').toLowerCase() ?? '';
      if (first.startsWith(PROTECTED_PREFIX) && !(await this.principalOf(event))) return error(...REFUSED.unauthenticated);
      return error(404, 'not found');
    }
    const { spec, params } = match;
    const served = this.served.get(spec);
    const refuse = served?.refuse ?? error;
    const principal = spec.access === 'open' ? undefined : await this.principalOf(event);
    if (spec.access !== 'open' && !principal) return refuse(...REFUSED.unauthenticated);
    const invalid = Object.entries(params).find(([name, value]) => name !== 'secret' && !(PARAM_PATTERNS[name] ?? ID_PATTERN).test(value));
    if (invalid) {
      return refuse(400, PARAM_RULES[invalid[0]] ?? `${invalid[0]} must be 1-64 characters of A-Z, a-z, 0-9, _ and -`);
    }
    const decision = decideAccess(principal, spec.access, params.projectId);
    if (decision !== 'allow') return refuse(...REFUSED[decision]);
    if (!served) return refuse(404, 'not found');
    if (principal) await this.credentials.used(principal);
    try {
      return await served.handle({ route: spec, params, query: event.queryStringParameters ?? {}, event, principal });
    } catch (caught) {
      if (caught instanceof HttpError) return refuse(caught.statusCode, caught.message);
      throw caught;
    }
  }

  /** `METHOD /pattern` of the route a request matches, for logs: never the path itself, which may carry a secret. */
  routeKey(event: APIGatewayProxyEventV2): string {
    const path = canonicalSegments(event.rawPath);
    const match = path && this.match(event.requestContext.http.method.toUpperCase(), path);
    return match ? `${match.spec.method} ${match.spec.path}` : '(no route)';
  }

  private match(method: string, path: string[]): { spec: RouteSpec; params: Record<string, string> } | undefined {
    for (const spec of this.routes) {
      if (spec.method !== method) continue;
      const params = matchSegments(spec.path, path);
      if (params) return { spec, params };
    }
    return undefined;
  }

  private principalOf(event: APIGatewayProxyEventV2): Promise<Principal | undefined> {
    return this.credentials.authenticate(event.headers?.authorization ?? event.headers?.Authorization);
  }
}

/**
 * The path as every decision sees it: split on `/` with empty segments dropped, each segment
 * percent-decoded once (an encoded `/` stays inside its segment, so it can only make an id
 * invalid, never reach another route; API Gateway may have decoded the path already, and a
 * second decoding can only do the same), `.` and `..` resolved as a URL parser would.
 * Undefined when a segment's percent-encoding is malformed.
 */
export function canonicalSegments(rawPath: string): string[] | undefined {
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return segments;
}

function matchSegments(pattern: string, path: string[]): Record<string, string> | undefined {
  const expected = pattern.split('/').filter(Boolean);
  if (expected.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < expected.length; i++) {
    const segment = expected[i]!;
    if (segment.startsWith('{') && segment.endsWith('}')) params[segment.slice(1, -1)] = path[i]!;
    else if (segment !== path[i]) return undefined;
  }
  return params;
}

/** Parses a JSON body against a strict schema: bad JSON, wrong types or unknown fields → 400. */
export function parseBody<T>(text: string, schema: z.ZodMiniType<T>): T {
  if (text.length === 0) throw new HttpError(400, 'a JSON body is required');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
  const forbidden = forbiddenKey(data);
  if (forbidden) throw new HttpError(400, `"${forbidden}" is not allowed as a name`);
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new HttpError(400, `${where}${issue?.message ?? 'invalid body'}`);
  }
  return result.data;
}

/** `__proto__` survives JSON.parse as an own key and then vanishes in object handling: refuse it. */
function forbiddenKey(value: unknown, depth = 0): string | undefined {
  if (depth > 20 || typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return key;
    const nested = forbiddenKey((value as Record<string, unknown>)[key], depth + 1);
    if (nested) return nested;
  }
  return undefined;
}
