/**
 * The HTTP sender of deliveries against a real server on this machine: what it refuses before
 * connecting (addresses the policy forbids, whatever the host name resolves to), redirects
 * answered but never followed, a hanging receiver given up on, and the connection pinned to the
 * address that was checked.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebhookSender } from '../../functions/commons/adapters/webhook-sender';

let server: Server;
let port: number;
const seen: IncomingMessage[] = [];
beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request);
    request.resume();
    request.on('end', () => {
      if (request.url === '/redirect') response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else if (request.url === '/hang') return;
      else if (request.url === '/big') response.writeHead(200).end('x'.repeat(1_000_000));
      else if (request.url === '/fail') response.writeHead(500).end('no');
      else response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

const HEADERS = { 'webhook-id': 'evt_1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };
const local = new HttpWebhookSender({ allowLoopback: true });

describe('the delivery sender', () => {
  it('POSTs the body with the signature headers; 2xx is delivered, anything else says what it got', async () => {
    const before = seen.length;
    expect(await local.post(`http://127.0.0.1:${port}/ok`, HEADERS, '{"a":1}', 2000)).toEqual({ ok: true, status: 204 });
    expect(seen[before]!.headers).toMatchObject({ ...HEADERS, 'content-type': 'application/json', 'content-length': '7' });
    expect(await local.post(`http://127.0.0.1:${port}/fail`, HEADERS, '{}', 2000)).toEqual({ ok: false, error: 'HTTP 500' });
    expect(await local.post(`http://127.0.0.1:${port}/big`, HEADERS, '{}', 2000)).toEqual({ ok: true, status: 200 });
  });

  it('never follows a redirect (one request, to the first URL)', async () => {
    const before = seen.length;
    expect(await local.post(`http://127.0.0.1:${port}/redirect`, HEADERS, '{}', 2000)).toEqual({ ok: false, error: 'redirect (HTTP 302) not followed' });
    expect(seen.length - before).toBe(1);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const started = Date.now();
    expect(await local.post(`http://127.0.0.1:${port}/hang`, HEADERS, '{}', 500)).toEqual({ ok: false, error: 'no answer within 0.5 s' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await local.post('http://127.0.0.1:1/x', HEADERS, '{}', 2000)).toEqual({ ok: false, error: 'connection refused' });
  });

  it('on AWS refuses, without connecting, a host name that resolves to a private or loopback address (any of its addresses)', async () => {
    const before = seen.length;
    const resolvesTo = (...addresses: string[]) => new HttpWebhookSender({ allowLoopback: false }, async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    expect(await resolvesTo('127.0.0.1').post(`https://receiver.example:${port}/ok`, HEADERS, '{}', 2000)).toEqual({
      ok: false,
      error: "the receiver's address 127.0.0.1 is private, loopback, link-local or reserved",
    });
    expect((await resolvesTo('93.184.216.34', '10.0.0.7').post('https://receiver.example/ok', HEADERS, '{}', 2000)).ok).toBe(false);
    expect((await resolvesTo('::ffff:169.254.169.254').post('https://receiver.example/ok', HEADERS, '{}', 2000)).ok).toBe(false);
    expect(await resolvesTo().post('https://receiver.example/ok', HEADERS, '{}', 2000)).toEqual({ ok: false, error: 'the receiver has no address' });
    expect(await resolvesTo('93.184.216.34').post('http://receiver.example/ok', HEADERS, '{}', 2000)).toEqual({ ok: false, error: 'only https receivers are allowed' });
    expect(seen.length).toBe(before);
  });

  it('connects to the address it checked, whatever the name would resolve to later', async () => {
    let lookups = 0;
    const pinned = new HttpWebhookSender({ allowLoopback: true }, async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 }];
    });
    const before = seen.length;
    expect(await pinned.post(`http://receiver.localhost:${port}/ok`, HEADERS, '{}', 2000)).toEqual({ ok: true, status: 204 });
    expect(lookups).toBe(1);
    expect(seen[before]!.headers.host).toBe(`receiver.localhost:${port}`);
  });
});
