/**
 * The admin console's page and its two files, with the headers that keep them to themselves:
 * a Content-Security-Policy allowing only this origin's scripts, styles and API (and the
 * recordings the player follows a record link to), no framing, no sniffing, no referrer.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ROUTES } from './routes';
import { Router, type Credentials } from './router';
import { error } from './responses';

/** The console's files by the name in their URL (`/console/{asset}`); `index.html` is `/console` itself. */
export const CONSOLE_FILES = { 'index.html': 'text/html', 'console.js': 'text/javascript', 'console.css': 'text/css' } as const;
export type ConsoleFile = keyof typeof CONSOLE_FILES;

export interface ConsoleSiteOptions {
  files: Record<ConsoleFile, string>;
  /**
   * Where recordings may play from: a record link answers a redirect to the PBX's own https
   * URL; the local stack's simulator serves them over loopback http.
   */
  loopbackMedia: boolean;
}

/** The console routes are open: no credential is ever asked for or accepted here. */
const NO_CREDENTIALS: Credentials = { authenticate: async () => undefined, used: async () => undefined };

export function contentSecurityPolicy(loopbackMedia: boolean): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    `media-src 'self' https:${loopbackMedia ? ' http://127.0.0.1:* http://localhost:*' : ''}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function createConsoleSite({ files, loopbackMedia }: ConsoleSiteOptions) {
  const headers = {
    'content-security-policy': contentSecurityPolicy(loopbackMedia),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    'strict-transport-security': 'max-age=31536000',
    // Small files: always revalidated, so a deploy shows at once.
    'cache-control': 'no-cache',
  };
  const serve = (file: ConsoleFile): APIGatewayProxyStructuredResultV2 => ({
    statusCode: 200,
    headers: { ...headers, 'content-type': `${CONSOLE_FILES[file]}; charset=utf-8` },
    body: files[file],
  });
  const router = new Router(NO_CREDENTIALS)
    .on(ROUTES.console, async () => serve('index.html'))
    .on(ROUTES.consoleAsset, async ({ params }) => {
      const asset = params.asset!;
      // Only the files of the table: deny by default.
      if (asset === 'index.html' || !Object.hasOwn(CONSOLE_FILES, asset)) return error(404, 'not found');
      return serve(asset as ConsoleFile);
    });
  return { route: router.route.bind(router) };
}
