/** A receiver of outbound deliveries on this machine, for the local-stack tests: keeps what it gets, answers as told. */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What it answers next: a status, or never (the connection hangs until the sender gives up). */
export type Behaviour = { status: number } | 'hang';

export interface TestReceiver {
  url: string;
  received: Received[];
  /** Answers these in turn, then `then` for good (default 200). */
  script(answers: Behaviour[], then?: Behaviour): void;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks/beeline'): Promise<TestReceiver> {
  const received: Received[] = [];
  let queue: Behaviour[] = [];
  let steady: Behaviour = { status: 200 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const behaviour = queue.shift() ?? steady;
      if (behaviour === 'hang') return;
      response.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    script(answers, then = { status: 200 }) {
      queue = [...answers];
      steady = then;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
