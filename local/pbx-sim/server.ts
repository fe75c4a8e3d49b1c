/**
 * Beeline Cloud PBX simulator over node:http: the PBX API (same paths, auth header, JSON and
 * error shapes as the real PBX, relative to the simulator's base URL) plus control routes
 * under `/_sim/` (no auth) for tests and the local stack.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiError, sendJson } from './http-io.js';
import { parseFaults } from './input.js';
import { PbxApiError, SimInputError, type CallView, type Faults, type FaultsInput, type PbxInput, type PlayCallInput, type RequestLogEntry, type SentEvent, type SubscriptionView } from './model.js';
import { createControlHandler } from './routes-control.js';
import { createPbxApiHandler } from './routes-pbx.js';
import { PbxSimState } from './state.js';

export interface PbxSimulatorOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Receives one line per API request, event delivery and notable state change. */
  log?: (line: string) => void;
}

export interface PbxSimulator {
  /** Base URL ending with '/', e.g. `http://127.0.0.1:3001/`: the PBX API base URL. */
  url: string;
  port: number;
  /** Stops the server, calls being played and deliveries in flight. Idempotent. */
  close(): Promise<void>;
  /** Adds or replaces a PBX (same as `POST /_sim/pbx`). Throws SimInputError on bad input. */
  addPbx(input: PbxInput): void;
  /** Replaces the fault switches (same as `POST /_sim/faults`; `{}` resets). */
  setFaults(faults: FaultsInput): Faults;
  getFaults(): Faults;
  /** Starts playing a call (same as `POST /_sim/calls`); returns its extTrackingId. */
  playCall(input: PlayCallInput): string;
  getCall(extTrackingId: string): CallView | undefined;
  /** Calls started by click-to-call, oldest first (their id is not in an empty `/call` answer). */
  clickToCalls(): CallView[];
  /** Resolves once the call has ended and all its deliveries finished. */
  waitForCall(extTrackingId: string, timeoutMs?: number): Promise<CallView>;
  /** Live subscriptions (same as `GET /_sim/subscriptions`). */
  subscriptions(): SubscriptionView[];
  /** Same as `POST /_sim/subscriptions/{id}/terminate`; resolves after the delivery. */
  terminateSubscription(subscriptionId: string): Promise<SentEvent>;
  /** API requests received (not `/_sim/`), oldest first, without the token. */
  requests(): RequestLogEntry[];
  /** Every event the PBX generated (call events and SubscriptionTerminatedEvents). */
  events(): SentEvent[];
  /** Forgets subscriptions, calls, events, recordings, statistics, requests and faults;
   * keeps the PBXs. */
  reset(): void;
  /** The underlying state, for white-box tests. */
  readonly state: PbxSimState;
}

/** The PBX the local stack starts with. */
export const DEFAULT_PBX: PbxInput = {
  token: 'sim-token',
  abonents: [
    { phone: '9000000001', extension: '101', firstName: 'Анна', lastName: 'Иванова', recording: true },
    { phone: '9000000002', extension: '102', firstName: 'Борис', lastName: 'Петров', recording: true },
    { phone: '9000000003', extension: '103', firstName: 'Вера', lastName: 'Сидорова', recording: true },
  ],
};

/** Seeds the default PBX (token `sim-token`, abonents 9000000001..3 with recording on),
 * either into a simulator started in this process or, given its base URL, over HTTP. */
export async function seedDefaultPbx(target: PbxSimulator | string): Promise<void> {
  if (typeof target !== 'string') {
    target.addPbx(DEFAULT_PBX);
    return;
  }
  const base = target.endsWith('/') ? target : `${target}/`;
  const res = await fetch(`${base}_sim/pbx`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(DEFAULT_PBX),
  });
  if (!res.ok) throw new Error(`seeding the PBX simulator failed: HTTP ${res.status} ${await res.text()}`);
}

export async function startPbxSimulator(opts: PbxSimulatorOptions = {}): Promise<PbxSimulator> {
  const log = opts.log ?? (() => {});
  const state = new PbxSimState(log);
  const host = opts.host ?? '127.0.0.1';
  const waiters = new Set<NodeJS.Timeout>();
  let baseUrl = '';

  const baseFor = (req: http.IncomingMessage): string => {
    const h = req.headers.host;
    return h ? `http://${h}/` : baseUrl;
  };

  /** Waits ms unless the client goes away first (→ false). */
  const delayUnlessClosed = (res: http.ServerResponse, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (res.destroyed) {
        resolve(false);
        return;
      }
      const onClose = (): void => {
        clearTimeout(t);
        waiters.delete(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        waiters.delete(t);
        res.off('close', onClose);
        resolve(!res.destroyed);
      }, ms);
      waiters.add(t);
      res.once('close', onClose);
    });

  const waitCall = async (id: string, timeoutMs: number): Promise<CallView> => {
    const call = state.calls.get(id);
    if (!call) throw new SimInputError(`unknown call ${id}`, 404);
    if (!call.settled) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        call.done.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), timeoutMs);
          waiters.add(timer);
        }),
      ]);
      if (timer) {
        clearTimeout(timer);
        waiters.delete(timer);
      }
      if (timedOut) throw new SimInputError(`call ${id} not settled after ${timeoutMs} ms`, 408);
    }
    return state.callView(call);
  };

  const handleApi = createPbxApiHandler({ state, log, delayUnlessClosed, baseFor });
  const handleControl = createControlHandler({ state, waitCall });

  // ------------------------------------------------------------------------- server

  const server = http.createServer((req, res) => {
    res.setHeader('Connection', 'close');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://pbx-sim.invalid');
    } catch {
      sendJson(res, 400, { errorCode: 'BadRequest', description: 'Некорректный URL' });
      return;
    }
    const isControl = url.pathname === '/_sim' || url.pathname.startsWith('/_sim/');
    const work = isControl ? handleControl(req, res, url) : handleApi(req, res, url);
    work.catch((err: unknown) => {
      if (err instanceof SimInputError) {
        sendJson(res, err.status, { error: err.message });
        return;
      }
      if (err instanceof PbxApiError) {
        apiError(res, err);
        return;
      }
      log(`pbx-sim: internal error on ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) {
        sendJson(res, 500, isControl ? { error: err instanceof Error ? err.message : String(err) } : { errorCode: 'InternalError', description: 'Внутренняя ошибка сервера' });
      } else {
        res.destroy();
      }
    });
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const port = address.port;
  const urlHost = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}/`;
  log(`pbx-sim: listening on ${baseUrl}`);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closing) return closing;
    closing = new Promise<void>((resolve) => {
      state.close();
      for (const t of waiters) clearTimeout(t);
      waiters.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: baseUrl,
    port,
    close,
    state,
    addPbx: (input) => {
      state.addPbx(input);
    },
    setFaults: (faults) => {
      state.faults = parseFaults(faults);
      return state.faults;
    },
    getFaults: () => state.faults,
    playCall: (input) => state.playCall(input).extTrackingId,
    getCall: (id) => {
      const call = state.calls.get(id);
      return call ? state.callView(call) : undefined;
    },
    clickToCalls: () => [...state.calls.values()].filter((call) => call.source === 'click-to-call').map((call) => state.callView(call)),
    waitForCall: (id, timeoutMs = 15_000) => waitCall(id, timeoutMs),
    subscriptions: () => state.listLiveSubscriptions(),
    terminateSubscription: (id) => state.terminateSubscription(id),
    requests: () => [...state.requestLog],
    events: () => [...state.eventLog],
    reset: () => state.reset(),
  };
}
