/**
 * A small stand-in for API Gateway (HTTP API, payload 2.0): turns HTTP requests into the same
 * events the Lambda functions receive on AWS and writes their answers back.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type ProxyHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface GatewayRoute {
  method: string;
  /** e.g. `/webhooks/beeline/{projectId}/{secret}` */
  pattern: string;
  handler: ProxyHandler;
}

/** API Gateway's own payload limit is 10 MB; the functions enforce tighter ones. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function createGateway(routes: GatewayRoute[], fallback: ProxyHandler, onError: (error: unknown) => void): Server {
  return createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'request too large' }));
        return;
      }
      const event = toEvent(req, body);
      const route = routes.find((r) => r.method === event.requestContext.http.method && matchPath(r.pattern, event.rawPath, event));
      const result = await (route ? route.handler : fallback)(event);
      const payload = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(payload);
    } catch (error) {
      onError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    }
  });
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  // Dot segments resolved, as a URL parser does; the target is appended to the origin (not
  // resolved against it), or `//projects/…` would be read as a host name.
  const url = new URL(`http://local${(req.url ?? '/').startsWith('/') ? '' : '/'}${req.url ?? '/'}`);
  const rawPath = url.pathname;
  const rawQueryString = url.search.slice(1);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const method = (req.method ?? 'GET').toUpperCase();
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length > 0 ? body.toString('utf8') : undefined,
    isBase64Encoded: false,
  };
}

/** Matches `{name}` segments and fills pathParameters, as API Gateway does for a route. */
function matchPath(pattern: string, path: string, event: APIGatewayProxyEventV2): boolean {
  const expected = pattern.split('/').filter(Boolean);
  const actual = path.split('/').filter(Boolean);
  if (expected.length !== actual.length) return false;
  const params: Record<string, string> = {};
  for (let i = 0; i < expected.length; i++) {
    const segment = expected[i]!;
    if (segment.startsWith('{')) params[segment.slice(1, -1)] = decodeURIComponentSafe(actual[i]!);
    else if (segment !== actual[i]) return false;
  }
  event.pathParameters = params;
  event.routeKey = `${event.requestContext.http.method} ${pattern}`;
  event.requestContext.routeKey = event.routeKey;
  return true;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
