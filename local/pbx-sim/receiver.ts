/**
 * A tiny webhook receiver (node:http) for tests: records every request it gets and answers
 * with a configurable status. Point PBX subscriptions at `receiver.url + 'any/path'`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  /** Base URL ending with '/'. */
  url: string;
  received: ReceivedRequest[];
  /** Status to answer with (default 200). */
  status: number;
  /** Resolves once at least `count` requests (optionally only those matching) arrived. */
  waitFor(count: number, opts?: { timeoutMs?: number; filter?: (r: ReceivedRequest) => boolean }): Promise<ReceivedRequest[]>;
  clear(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(opts: { host?: string; port?: number } = {}): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const listeners = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      res.writeHead(receiver.status, { 'Content-Length': '0', Connection: 'close' });
      res.end();
      for (const l of [...listeners]) l();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const receiver: WebhookReceiver = {
    url: `http://${host}:${port}/`,
    received,
    status: 200,
    waitFor(count, o = {}) {
      const timeoutMs = o.timeoutMs ?? 5000;
      const pick = (): ReceivedRequest[] => (o.filter ? received.filter(o.filter) : [...received]);
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const got = pick();
          if (got.length >= count) {
            cleanup();
            resolve(got);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`webhook receiver: expected ${count} request(s), got ${pick().length} after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        const listener = (): void => {
          check();
        };
        listeners.add(listener);
        check();
      });
    },
    clear() {
      received.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return receiver;
}
