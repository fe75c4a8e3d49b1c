/**
 * Beeline Cloud PBX simulator over node:http: the PBX API (same paths, auth header, JSON and
 * error shapes as the real PBX, relative to the simulator's base URL) plus control routes
 * under `/_sim/` (no auth) for tests and the local stack.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePhoneNumber } from './phone.js';
import {
  PbxApiError,
  PbxSimState,
  SimInputError,
  abonentJson,
  isPlainObject,
  parseFaults,
  type CallView,
  type Faults,
  type FaultsInput,
  type Pbx,
  type PbxInput,
  type PlayCallInput,
  type RequestLogEntry,
  type SentEvent,
  type SubscriptionView,
} from './state.js';

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

const AUTH_HEADER = 'x-mpbx-api-auth-token';
const MAX_BODY = 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
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

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

/** ISO-8601 or epoch ms. An unencoded `+` of a time zone offset arrives as a space. */
function parseDateParam(v: string | null): number | null {
  if (v === null || v.trim() === '') return null;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const fixed = s.replace(/ (\d{2}:?\d{2})$/, '+$1');
  const t = Date.parse(fixed);
  return Number.isNaN(t) ? null : t;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(data.length),
    Connection: 'close',
  });
  res.end(data);
}

function sendEmpty(res: http.ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Length': '0', Connection: 'close' });
  res.end();
}

function sendBytes(res: http.ServerResponse, bytes: Buffer, filename: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, {
    'Content-Type': 'audio/mpeg',
    'Content-Length': String(bytes.length),
    'Content-Disposition': `attachment; filename="${filename}"`,
    Connection: 'close',
  });
  res.end(bytes);
}

function apiError(res: http.ServerResponse, err: PbxApiError): void {
  sendJson(res, err.status, { errorCode: err.errorCode, description: err.description });
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

  // ------------------------------------------------------------------------- PBX API

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = {
      time: new Date(started).toISOString(),
      method,
      path: url.pathname,
      query: queryObject(url.searchParams),
    };
    state.logRequest(entry);
    res.once('finish', () => {
      entry.status = res.statusCode;
      entry.durationMs = Date.now() - started;
      log(`pbx-sim: ${method} ${url.pathname}${url.search} → ${res.statusCode} (${entry.durationMs} ms)`);
    });
    res.once('close', () => {
      if (!res.writableFinished) {
        entry.status = 499;
        entry.durationMs = Date.now() - started;
        log(`pbx-sim: ${method} ${url.pathname}${url.search} → client closed the connection`);
      }
    });

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) apiError(res, new PbxApiError(413, 'BadRequest', 'Слишком большой запрос'));
      else res.destroy();
      return;
    }
    let body: unknown;
    let bodyInvalid = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
        entry.body = body;
      } catch {
        bodyInvalid = true;
        entry.body = raw.toString('utf8').slice(0, 2000);
      }
    }

    const latency = state.faults.apiLatencyMs;
    if (latency > 0 && !(await delayUnlessClosed(res, latency))) return;

    if (state.faults.failApiNext > 0) {
      state.faults.failApiNext--;
      apiError(res, new PbxApiError(500, 'InternalError', 'Внутренняя ошибка сервера (симуляция сбоя)'));
      return;
    }

    const tokenHeader = req.headers[AUTH_HEADER];
    const token = Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader;
    if (token === undefined || token === '') {
      apiError(res, new PbxApiError(403, 'AuthTokenNotFoundInRequest', 'В запросе отсутствует токен авторизации X-MPBX-API-AUTH-TOKEN'));
      return;
    }
    const pbx = state.pbxs.get(token);
    if (!pbx) {
      apiError(res, new PbxApiError(403, 'InvalidAuthToken', 'Токен авторизации недействителен'));
      return;
    }

    let segs: string[];
    try {
      segs = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      apiError(res, new PbxApiError(400, 'BadRequest', 'Некорректный путь запроса'));
      return;
    }
    const v2 = segs[0] === 'v2';
    const p = v2 ? segs.slice(1) : segs;

    try {
      if (bodyInvalid && (method === 'PUT' || method === 'POST')) {
        throw new PbxApiError(400, 'BadRequest', 'Некорректный JSON в теле запроса');
      }
      routeApi(req, res, url, pbx, method, v2, p, body);
    } catch (err) {
      if (err instanceof PbxApiError) apiError(res, err);
      else throw err;
    }
  }

  function routeApi(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    pbx: Pbx,
    method: string,
    v2: boolean,
    p: string[],
    body: unknown,
  ): void {
    const notFound = (): never => {
      throw new PbxApiError(404, 'NotFound', `Ресурс не найден: ${method} ${url.pathname}`);
    };
    const recordNotFound = (): never => {
      throw new PbxApiError(404, 'RecordNotFound', 'Запись разговора не найдена');
    };
    const [r0, r1, r2] = p;

    // abonents
    if (r0 === 'abonents') {
      if (p.length === 1 && method === 'GET' && !v2) {
        sendJson(res, 200, pbx.abonents.map(abonentJson));
        return;
      }
      if (r1 === undefined) return notFound();
      if (p.length === 2 && method === 'GET' && !v2) {
        sendJson(res, 200, abonentJson(state.requireAbonent(pbx, r1)));
        return;
      }
      if (p.length === 3 && r2 === 'recording' && !v2) {
        const a = state.requireAbonent(pbx, r1);
        if (method === 'GET') {
          sendJson(res, 200, a.recording ? 'ON' : 'OFF');
          return;
        }
        if (method === 'PUT' || method === 'DELETE') {
          a.recording = method === 'PUT';
          sendEmpty(res, 200);
          return;
        }
        return notFound();
      }
      if (p.length === 3 && r2 === 'call' && method === 'POST') {
        let phoneNumber = url.searchParams.get('phoneNumber');
        if (phoneNumber === null && isPlainObject(body) && typeof body.phoneNumber === 'string') {
          phoneNumber = body.phoneNumber;
        }
        if (phoneNumber === null || phoneNumber.trim() === '') {
          throw new PbxApiError(400, 'BadRequest', 'Не указан параметр phoneNumber');
        }
        const number = parsePhoneNumber(phoneNumber);
        if (!number) throw new PbxApiError(400, 'BadRequest', `Некорректный номер телефона: ${phoneNumber}`);
        // The best evidence: a Russian number is dialled as its 10 national digits; other forms never arrive.
        if (pbx.behaviour.callNumberFormat === 'national' && number.countryCode === '7' && !/^\d{10}$/.test(phoneNumber.trim())) {
          throw new PbxApiError(400, 'BadRequest', `Некорректный номер телефона: ${phoneNumber}. Укажите номер в формате 10 цифр`);
        }
        const abonent = state.requireAbonent(pbx, r1);
        const call = state.clickToCall(pbx, abonent, number);
        if (pbx.behaviour.callAnswer === 'empty') sendEmpty(res, 200);
        else if (pbx.behaviour.callAnswer === 'json') sendJson(res, 200, { extTrackingId: call.extTrackingId });
        else sendJson(res, 200, call.extTrackingId);
        return;
      }
      return notFound();
    }

    // subscriptions
    if (r0 === 'subscription' && p.length === 1 && !v2) {
      const id = url.searchParams.get('subscriptionId');
      if (method === 'PUT') {
        sendJson(res, 200, state.createSubscription(pbx, body));
        return;
      }
      if (method === 'GET') {
        sendJson(res, 200, state.getSubscription(pbx, id));
        return;
      }
      if (method === 'DELETE') {
        state.deleteSubscription(pbx, id);
        sendEmpty(res, 200);
        return;
      }
      return notFound();
    }

    // records
    if (r0 === 'records' && method === 'GET') {
      if (p.length === 1 && !v2) {
        const from = parseDateParam(url.searchParams.get('dateFrom'));
        const to = parseDateParam(url.searchParams.get('dateTo'));
        if (from === null || to === null) {
          throw new PbxApiError(400, 'BadRequest', 'Параметры dateFrom и dateTo обязательны (ISO-8601)');
        }
        const list = state.listRecords(pbx, {
          from,
          to,
          userPattern: url.searchParams.get('userId') ?? undefined,
          afterId: url.searchParams.get('id') ?? undefined,
        });
        sendJson(res, 200, list.map((r) => state.recordJson(r)));
        return;
      }
      const last = p[p.length - 1];
      // records/{recordId}/{reference|download}, records/{ext}/{userId}/{reference|download}
      if ((last === 'reference' || last === 'download') && (p.length === 3 || p.length === 4) && r1 !== undefined) {
        const rec = p.length === 3 ? state.availableRecording(pbx, r1) : state.recordingByCall(pbx, r1, r2 ?? '');
        if (!rec) return recordNotFound();
        if (last === 'reference') sendJson(res, 200, { url: state.signRecordingUrl(baseFor(req), rec) });
        else sendBytes(res, rec.bytes, `${rec.id}.mp3`);
        return;
      }
      // v2/records/{recordId}, v2/records/{ext}/{userId}: the record itself
      if (v2 && (p.length === 2 || p.length === 3) && r1 !== undefined) {
        const rec = p.length === 2 ? state.availableRecording(pbx, r1) : state.recordingByCall(pbx, r1, r2 ?? '');
        if (!rec) return recordNotFound();
        sendJson(res, 200, state.recordJson(rec));
        return;
      }
      return notFound();
    }

    // statistics
    if (r0 === 'statistics' && v2 && p.length === 1 && method === 'GET') {
      const from = parseDateParam(url.searchParams.get('dateFrom'));
      const to = parseDateParam(url.searchParams.get('dateTo'));
      if (from === null || to === null) {
        throw new PbxApiError(400, 'BadRequest', 'Параметры dateFrom и dateTo обязательны (ISO-8601)');
      }
      const pageRaw = url.searchParams.get('page') ?? '0';
      const sizeRaw = url.searchParams.get('pageSize') ?? '100';
      if (!/^\d+$/.test(pageRaw) || !/^\d+$/.test(sizeRaw) || Number(sizeRaw) < 1 || Number(sizeRaw) > 1000) {
        throw new PbxApiError(400, 'BadRequest', 'Некорректные параметры page/pageSize');
      }
      sendJson(
        res,
        200,
        state.listStats(pbx, {
          from,
          to,
          userPattern: url.searchParams.get('userId') || undefined,
          page: Number(pageRaw),
          pageSize: Number(sizeRaw),
        }),
      );
      return;
    }

    notFound();
  }

  // ------------------------------------------------------------------------- control routes

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) sendJson(res, 413, { error: 'body too large' });
      else res.destroy();
      return;
    }
    const jsonBody = (emptyAs: unknown): unknown => {
      if (raw.length === 0) return emptyAs;
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch {
        throw new SimInputError('body is not valid JSON');
      }
    };
    let segs: string[];
    try {
      segs = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s)).slice(1);
    } catch {
      sendJson(res, 400, { error: 'bad path' });
      return;
    }
    const [c0, c1, c2] = segs;
    const route = `${method} ${c0 ?? ''}`;

    switch (true) {
      case route === 'POST pbx' && segs.length === 1: {
        const pbx = state.addPbx(jsonBody(undefined));
        sendJson(res, 200, {
          token: pbx.token,
          abonents: pbx.abonents.map((a) => ({ ...abonentJson(a), recording: a.recording })),
        });
        return;
      }
      case route === 'GET pbx' && segs.length === 1: {
        sendJson(
          res,
          200,
          [...state.pbxs.values()].map((pbx) => ({
            token: pbx.token,
            abonents: pbx.abonents.map((a) => ({ ...abonentJson(a), recording: a.recording })),
          })),
        );
        return;
      }
      case route === 'GET subscriptions' && segs.length === 1:
        sendJson(res, 200, state.listLiveSubscriptions());
        return;
      case route === 'POST subscriptions' && segs.length === 3 && c2 === 'terminate' && c1 !== undefined: {
        const event = await state.terminateSubscription(c1);
        sendJson(res, 200, { subscriptionId: c1, terminated: true, event });
        return;
      }
      case route === 'POST calls' && segs.length === 1: {
        const call = state.playCall(jsonBody(undefined));
        sendJson(res, 200, { extTrackingId: call.extTrackingId });
        return;
      }
      case route === 'GET calls' && segs.length === 1:
        sendJson(res, 200, [...state.calls.values()].map((c) => state.callView(c)));
        return;
      case route === 'GET calls' && segs.length === 2 && c1 !== undefined: {
        const waitRaw = url.searchParams.get('wait');
        if (waitRaw !== null) {
          const ms = /^\d+$/.test(waitRaw) ? Math.min(Number(waitRaw), 120_000) : 30_000;
          sendJson(res, 200, await waitCall(c1, ms));
          return;
        }
        const call = state.calls.get(c1);
        if (!call) throw new SimInputError(`unknown call ${c1}`, 404);
        sendJson(res, 200, state.callView(call));
        return;
      }
      case route === 'POST faults' && segs.length === 1:
        state.faults = parseFaults(jsonBody({}));
        sendJson(res, 200, state.faults);
        return;
      case route === 'GET faults' && segs.length === 1:
        sendJson(res, 200, state.faults);
        return;
      case route === 'GET requests' && segs.length === 1:
        sendJson(res, 200, state.requestLog);
        return;
      case route === 'GET events' && segs.length === 1: {
        const sid = url.searchParams.get('subscriptionId');
        sendJson(res, 200, sid ? state.eventLog.filter((e) => e.subscriptionId === sid) : state.eventLog);
        return;
      }
      case route === 'POST reset' && segs.length === 1:
        state.reset();
        sendJson(res, 200, { reset: true });
        return;
      case (route === 'GET recordings' || route === 'HEAD recordings') && segs.length === 2 && c1 !== undefined: {
        const id = c1.replace(/\.mp3$/, '');
        const rec = state.signedRecording(id, url.searchParams.get('sig'));
        if (!rec) {
          sendJson(res, 403, { error: 'link expired or invalid' });
          return;
        }
        sendBytes(res, rec.bytes, `${rec.id}.mp3`);
        return;
      }
      default:
        sendJson(res, 404, { error: `no such simulator route: ${method} ${url.pathname}` });
    }
  }

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
        sendJson(
          res,
          500,
          isControl
            ? { error: err instanceof Error ? err.message : String(err) }
            : { errorCode: 'InternalError', description: 'Внутренняя ошибка сервера' },
        );
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
  const urlHost =
    host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
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
