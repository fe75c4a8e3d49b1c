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
  /** Answers these in turn, then `then` for good (default 200); with `onlyType`, only to events of that type (the others get 200). */
  script(answers: Behaviour[], then?: Behaviour, onlyType?: string): void;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks/beeline'): Promise<TestReceiver> {
  const received: Received[] = [];
  let queue: Behaviour[] = [];
  let steady: Behaviour = { status: 200 };
  let scriptedType: string | undefined;
  const typeOf = (body: string) => {
    try {
      return (JSON.parse(body) as { type?: unknown }).type;
    } catch {
      return undefined;
    }
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: request.headers, body, at: Date.now() });
      const scripted = scriptedType === undefined || typeOf(body) === scriptedType;
      const behaviour = scripted ? (queue.shift() ?? steady) : { status: 200 };
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
    script(answers, then = { status: 200 }, onlyType) {
      queue = [...answers];
      steady = then;
      scriptedType = onlyType;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
