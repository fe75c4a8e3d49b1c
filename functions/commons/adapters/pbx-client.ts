/**
 * The Beeline Cloud PBX API client: the one module every function uses to talk to the PBX.
 * Timeouts on every request; retries with back-off and jitter only for requests that are safe
 * to repeat (reads and deletes); the PBX's error body mapped to a typed error. The token is a
 * header value only: never in a message, a log line or an error.
 */
import { PBX_SAFE_RETRIES, pbxBackoffMs } from '../contracts/pbx';
import { SETTINGS } from '../contracts/settings';
import type { PbxExchange } from '../domain/capture';
import { PbxError, type Abonent, type PbxClient, type PbxFailure, type PbxRecord, type PbxStatisticsRow, type Subscription } from '../ports';

export { PbxError, type Abonent, type PbxFailure, type PbxRecord, type PbxStatisticsRow, type Subscription } from '../ports';

export interface PbxClientOptions {
  baseUrl: string;
  token: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Extra attempts for safe requests. */
  retries?: number;
  fetch?: typeof fetch;
  /** Told of every request and its answer (capture mode); awaited, its failures ignored. */
  observe?: (exchange: PbxExchange) => Promise<void>;
}

interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Safe to send again after a timeout or a 5xx. */
  idempotent: boolean;
}

export class BeelinePbxClient implements PbxClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PbxClientOptions) {
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.timeoutMs = options.timeoutMs ?? SETTINGS.pbxTimeoutMs.default;
    this.retries = options.retries ?? PBX_SAFE_RETRIES;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async listAbonents(): Promise<Abonent[]> {
    const body = await this.request({ method: 'GET', path: 'abonents', idempotent: true });
    if (!Array.isArray(body)) throw new PbxError('invalid-response', 'the PBX answered the abonent list with something else');
    return body.filter(isAbonent);
  }

  async recordingEnabled(pattern: string): Promise<boolean> {
    const body = await this.request({ method: 'GET', path: `abonents/${encodeURIComponent(pattern)}/recording`, idempotent: true });
    return String(body).replace(/"/g, '').toUpperCase() === 'ON';
  }

  /**
   * Click-to-call: rings the employee, then the client. Never retried: it is not idempotent. A
   * 2xx answer means the PBX is ringing the employee, whatever its body; the call id is the
   * PBX's when the body names one (a scalar, or a `callId` / `extTrackingId` /
   * `externalTrackingId` field), else undefined.
   */
  async call(pattern: string, phoneNumber: string): Promise<{ callId?: string }> {
    const body = await this.request({
      method: 'POST',
      path: `abonents/${encodeURIComponent(pattern)}/call`,
      query: { phoneNumber },
      idempotent: false,
    });
    return { callId: callIdOf(body) };
  }

  /** A new subscription; not retried, since a repeat would create a second one. */
  /** Without a `pattern`, the subscription watches every abonent of the PBX. */
  async subscribe(input: { pattern?: string; expires: number; url: string; subscriptionType?: string }): Promise<Subscription> {
    const body = await this.request({
      method: 'PUT',
      path: 'subscription',
      body: {
        ...(input.pattern !== undefined && { pattern: input.pattern }),
        expires: input.expires,
        subscriptionType: input.subscriptionType ?? 'BASIC_CALL',
        url: input.url,
      },
      idempotent: false,
    });
    const subscription = body as Partial<Subscription> | undefined;
    if (!subscription?.subscriptionId || typeof subscription.expires !== 'number') {
      throw new PbxError('invalid-response', 'the PBX answered the subscription without an id or lifetime');
    }
    return { subscriptionId: subscription.subscriptionId, expires: subscription.expires };
  }

  /** The subscription with its remaining lifetime, or undefined when the PBX no longer knows it. */
  async getSubscription(subscriptionId: string): Promise<Subscription | undefined> {
    try {
      return (await this.request({ method: 'GET', path: 'subscription', query: { subscriptionId }, idempotent: true })) as Subscription;
    } catch (error) {
      if (error instanceof PbxError && error.failure === 'refused' && error.status !== undefined && error.status < 500) return undefined;
      throw error;
    }
  }

  /** Removes a subscription; one the PBX no longer knows counts as removed. */
  async unsubscribe(subscriptionId: string): Promise<void> {
    try {
      await this.request({ method: 'DELETE', path: 'subscription', query: { subscriptionId }, idempotent: true });
    } catch (error) {
      if (error instanceof PbxError && error.failure === 'refused' && (error.status === 404 || error.status === 400)) return;
      throw error;
    }
  }

  /** A temporary download link of the recording of that call at that abonent, if it exists yet. */
  async recordReference(extTrackingId: string, userId: string): Promise<string | undefined> {
    try {
      const body = (await this.request({
        method: 'GET',
        path: `records/${encodeURIComponent(extTrackingId)}/${encodeURIComponent(userId)}/reference`,
        idempotent: true,
      })) as { url?: string } | undefined;
      return body?.url || undefined;
    } catch (error) {
      if (error instanceof PbxError && error.failure === 'refused' && error.status !== undefined && error.status < 500) return undefined;
      throw error;
    }
  }

  /** Recordings made in a time window, oldest first (pages of up to 100, by the last id). */
  async records(dateFrom: Date, dateTo: Date, maxPages = 50): Promise<PbxRecord[]> {
    const all: PbxRecord[] = [];
    let afterId: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const body = await this.request({
        method: 'GET',
        path: 'records',
        query: { dateFrom: dateFrom.toISOString(), dateTo: dateTo.toISOString(), id: afterId },
        idempotent: true,
      });
      const rows = Array.isArray(body) ? (body as PbxRecord[]).filter((r) => typeof r?.id === 'string' && typeof r.date === 'number') : [];
      all.push(...rows);
      if (rows.length < 100) break;
      afterId = rows[rows.length - 1]!.id;
    }
    return all;
  }

  /** Call statistics of a time window (one row per leg), all pages. */
  async statistics(dateFrom: Date, dateTo: Date, maxPages = 50): Promise<PbxStatisticsRow[]> {
    const all: PbxStatisticsRow[] = [];
    const pageSize = 100;
    for (let page = 0; page < maxPages; page++) {
      const body = await this.request({
        method: 'GET',
        path: 'v2/statistics',
        query: { dateFrom: dateFrom.toISOString(), dateTo: dateTo.toISOString(), page: String(page), pageSize: String(pageSize) },
        idempotent: true,
      });
      const rows = Array.isArray(body) ? (body as PbxStatisticsRow[]).filter((r) => typeof r?.startDate === 'number') : [];
      all.push(...rows);
      if (rows.length < pageSize) break;
    }
    return all;
  }

  private async request(spec: RequestSpec): Promise<unknown> {
    const attempts = spec.idempotent ? this.retries + 1 : 1;
    let lastError: PbxError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(pbxBackoffMs(attempt));
      try {
        return await this.once(spec);
      } catch (error) {
        if (!(error instanceof PbxError)) throw error;
        lastError = error;
        const retryable = error.failure === 'timeout' || error.failure === 'unreachable' || (error.status !== undefined && error.status >= 500);
        if (!retryable) throw error;
      }
    }
    throw lastError!;
  }

  private async once(spec: RequestSpec): Promise<unknown> {
    const url = new URL(spec.path, this.baseUrl);
    for (const [name, value] of Object.entries(spec.query ?? {})) if (value !== undefined) url.searchParams.set(name, value);
    const started = Date.now();
    const observed = (status: number, body: string) =>
      this.options
        .observe?.({
          method: spec.method,
          path: `${spec.path}${url.search}`,
          status,
          ...(spec.body !== undefined && { requestBody: JSON.stringify(spec.body) }),
          body,
          durationMs: Date.now() - started,
        })
        .catch(() => undefined);
    try {
      const { status, text } = await this.exchange(spec, url);
      await observed(status, text);
      return this.answer(spec, status, text);
    } catch (error) {
      if (error instanceof PbxError && error.status === undefined) await observed(0, error.message);
      throw error;
    }
  }

  private async exchange(spec: RequestSpec, url: URL): Promise<{ status: number; text: string }> {
    const what = `${spec.method} ${spec.path}`;
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: spec.method,
        headers: {
          'X-MPBX-API-AUTH-TOKEN': this.options.token,
          accept: 'application/json',
          ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        // A redirect is an answer like any other: following it would send the token elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new PbxError('timeout', `the PBX did not answer ${what} within ${this.timeoutMs / 1000} s`);
      }
      throw new PbxError('unreachable', `the PBX could not be reached (${what})`);
    }
    try {
      return { status: response.status, text: await response.text() };
    } catch {
      throw new PbxError('timeout', `the PBX did not finish answering ${what} within ${this.timeoutMs / 1000} s`);
    }
  }

  private answer(spec: RequestSpec, status: number, text: string): unknown {
    const what = `${spec.method} ${spec.path}`;
    const body = parseJson(text);
    if (status > 204) {
      const { errorCode, description } = (typeof body === 'object' && body !== null ? body : {}) as { errorCode?: string; description?: string };
      const failure: PbxFailure = status === 401 || status === 403 ? 'unauthorized' : 'refused';
      const reason = description || errorCode || `HTTP ${status}`;
      throw new PbxError(failure, `the PBX refused ${what}: ${reason}`, status, errorCode, description);
    }
    return body;
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.trim();
  }
}

const MAX_CALL_ID_CHARS = 128;

function callIdOf(body: unknown): string | undefined {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  const raw = fields ? (fields.callId ?? fields.extTrackingId ?? fields.externalTrackingId) : body;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const id = String(raw).trim().replace(/^"|"$/g, '');
  // Anything else (an HTML page, a long text) is not an id to show a bot.
  return id !== '' && id.length <= MAX_CALL_ID_CHARS && /^[\x21-\x7e]+$/.test(id) ? id : undefined;
}

function isAbonent(value: unknown): value is Abonent {
  return typeof value === 'object' && value !== null && typeof (value as Abonent).userId === 'string';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
