/** The console's responses: its three files only, with the headers that keep the page to itself. */
import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { contentSecurityPolicy, createConsoleSite } from '../../functions/commons/http/console-site';

const site = createConsoleSite({ files: { 'index.html': '<!doctype html>', 'console.js': 'export {}', 'console.css': 'body{}' }, loopbackMedia: false });
const get = (rawPath: string) =>
  site.route({ rawPath, headers: {}, requestContext: { http: { method: 'GET' } } } as unknown as APIGatewayProxyEventV2) as Promise<{
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  }>;

describe('the console site', () => {
  it('serves the page and its files with their types, a strict CSP and no framing, sniffing or referrer', async () => {
    const page = await get('/console');
    expect(page).toMatchObject({ statusCode: 200, body: '<!doctype html>' });
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    expect(page.headers['content-security-policy']).toBe(contentSecurityPolicy(false));
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect((await get('/console/console.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/console/console.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for any other file name and 400 for what is no file name (nothing read from disk by name)', async () => {
    expect((await get('/console/index.html')).statusCode).toBe(404);
    expect((await get('/console/secrets.json')).statusCode).toBe(404);
    expect((await get('/console/constructor.js')).statusCode).toBe(404);
    expect((await get('/console/..%2f..%2fapi.ts')).statusCode).toBe(400);
    expect((await get('/console/a/b')).statusCode).toBe(404);
  });

  it('lets recordings play from loopback http only in the local stack', () => {
    expect(contentSecurityPolicy(false)).toContain("media-src 'self' https:;");
    expect(contentSecurityPolicy(true)).toContain('http://127.0.0.1:*');
  });
});
