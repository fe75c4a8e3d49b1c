/** Request-body reading and response writing shared by the simulator's routes. */
import type http from 'node:http';
import type { PbxApiError } from './model.js';

const MAX_BODY = 1024 * 1024;

export class BodyTooLarge extends Error {}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY) {
        failed = true;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(data.length),
    Connection: 'close',
  });
  res.end(data);
}

export function sendEmpty(res: http.ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Length': '0', Connection: 'close' });
  res.end();
}

export function sendBytes(res: http.ServerResponse, bytes: Buffer, filename: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, {
    'Content-Type': 'audio/mpeg',
    'Content-Length': String(bytes.length),
    'Content-Disposition': `attachment; filename="${filename}"`,
    Connection: 'close',
  });
  res.end(bytes);
}

export function apiError(res: http.ServerResponse, err: PbxApiError): void {
  sendJson(res, err.status, { errorCode: err.errorCode, description: err.description });
}
