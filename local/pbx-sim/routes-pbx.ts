/**
 * The PBX API routes of the simulator: same paths, auth header, JSON and error shapes as
 * the real PBX, relative to the simulator's base URL.
 */
import type http from 'node:http';
import { abonentJson } from './abonents.js';
import { BodyTooLarge, apiError, readBody, sendBytes, sendEmpty, sendJson } from './http-io.js';
import { isPlainObject } from './input.js';
import { PbxApiError, type Pbx, type RequestLogEntry } from './model.js';
import { parsePhoneNumber } from './phone.js';
import type { PbxSimState } from './state.js';

const AUTH_HEADER = 'x-mpbx-api-auth-token';

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

export interface PbxApiContext {
  state: PbxSimState;
  log: (line: string) => void;
  /** Waits ms unless the client goes away first (→ false). */
  delayUnlessClosed: (res: http.ServerResponse, ms: number) => Promise<boolean>;
  /** The simulator's base URL as the client addressed it (for recording links). */
  baseFor: (req: http.IncomingMessage) => string;
}

/** The handler of every request outside `/_sim/`. */
export function createPbxApiHandler(ctx: PbxApiContext): (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> {
  const { state, log, delayUnlessClosed, baseFor } = ctx;

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
      segs = url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
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
      await routeApi(req, res, url, pbx, method, v2, p, body);
    } catch (err) {
      if (err instanceof PbxApiError) apiError(res, err);
      else throw err;
    }
  }

  async function routeApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, pbx: Pbx, method: string, v2: boolean, p: string[], body: unknown): Promise<void> {
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
        const created = state.createSubscription(pbx, body);
        // The initial state may reach the subscriber before the PUT has answered.
        if (pbx.behaviour.initialEvent === 'before-answer') await state.sendInitialState(created.subscriptionId);
        sendJson(res, 200, created);
        if (pbx.behaviour.initialEvent === 'after-answer') void state.sendInitialState(created.subscriptionId);
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
        sendJson(
          res,
          200,
          list.map((r) => state.recordJson(r)),
        );
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

  return handleApi;
}
