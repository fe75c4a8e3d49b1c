import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from '../schema';
import { error, ID_PATTERN } from './responses';

export interface Request {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  event: APIGatewayProxyEventV2;
}

type RouteHandler = (request: Request) => Promise<APIGatewayProxyStructuredResultV2>;

interface Route {
  method: string;
  segments: string[];
  handle: RouteHandler;
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

/**
 * A small path router: `/projects/{projectId}` style patterns; every `{…Id}` parameter must be
 * a valid id (else 400). Unknown paths and methods are 404, per the contract.
 */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handle: RouteHandler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handle });
    return this;
  }

  async route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const method = event.requestContext.http.method;
    const path = pathSegments(event.rawPath);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== path.length) continue;
      const params = matchSegments(route.segments, path);
      if (!params) continue;
      const invalid = Object.entries(params).find(([, value]) => !ID_PATTERN.test(value));
      if (invalid) return error(400, `${invalid[0]} must be 1-64 characters of A-Z, a-z, 0-9, _ and -`);
      try {
        return await route.handle({ params, query: event.queryStringParameters ?? {}, event });
      } catch (caught) {
        if (caught instanceof HttpError) return error(caught.statusCode, caught.message);
        throw caught;
      }
    }
    return error(404, 'not found');
  }
}

/** The path as the router sees it: non-empty segments. */
export function pathSegments(rawPath: string): string[] {
  return rawPath.split('/').filter(Boolean);
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    let actual: string;
    try {
      actual = decodeURIComponent(path[i]!);
    } catch {
      return undefined;
    }
    if (expected.startsWith('{') && expected.endsWith('}')) params[expected.slice(1, -1)] = actual;
    else if (expected !== actual) return undefined;
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
