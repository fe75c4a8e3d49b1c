/**
 * Capture mode for the first real deployment: for a bounded time, a project keeps the raw
 * bodies of its webhooks and of the PBX's answers, so what the real PBX sends can be compared
 * with what the simulator plays and turned into test fixtures. Secrets never reach a captured
 * body: the webhook secret of a URL, query strings of links (signed download links), the PBX
 * token and any other value the caller names are replaced before anything is stored.
 */

/** A capture runs at most a day. */
export const CAPTURE_MAX_MINUTES = 24 * 60;
/** At most this many exchanges per capture (the rest are counted as skipped). */
export const CAPTURE_MAX_ITEMS = 2_000;
/** Bodies are kept up to this many characters. */
export const CAPTURE_MAX_BODY_CHARS = 64 * 1024;
/** Captured exchanges are deleted (TTL) this long after they were captured. */
export const CAPTURE_RETENTION_SECONDS = 7 * 86_400;
export const REDACTED = 'REDACTED';

export interface CaptureSetting {
  /** ISO time the capture ends; absent when none was ever started. */
  until?: string;
  startedAt?: string;
  /** Exchanges kept so far in this capture. */
  captured: number;
}

export type CapturedExchange =
  | { kind: 'webhook'; at: string; contentType?: string; body: string; truncated: boolean }
  | { kind: 'pbx'; at: string; method: string; path: string; status: number; requestBody?: string; body: string; truncated: boolean; durationMs: number };

/** One request to the PBX and its answer, as the PBX client saw it (status 0: no answer). */
export interface PbxExchange {
  method: string;
  /** Relative to the API's base URL, with the query. */
  path: string;
  status: number;
  requestBody?: string;
  body: string;
  durationMs: number;
}

export function isCapturing(setting: CaptureSetting | undefined, now: number): boolean {
  return setting?.until !== undefined && Date.parse(setting.until) > now && setting.captured < CAPTURE_MAX_ITEMS;
}

/** The end of a capture started now for `minutes` (1 … CAPTURE_MAX_MINUTES). */
export function captureUntil(now: number, minutes: number): string {
  return new Date(now + Math.min(Math.max(1, Math.floor(minutes)), CAPTURE_MAX_MINUTES) * 60_000).toISOString();
}

/** The secret segment of this product's webhook URLs (`/webhooks/beeline/{projectId}/{secret}`). */
const WEBHOOK_PATH_SECRET = /(\/webhooks\/beeline\/[A-Za-z0-9_-]{1,64}\/)[^/?#\s"'<>&]+/g;
/** The query string of any http(s) link: signed PBX download links carry their signature there. */
const LINK_QUERY = /(https?:\/\/[^\s"'<>?#]+)\?[^\s"'<>#]*/g;

/**
 * `text` with secrets replaced: webhook URL secrets, link query strings, and each of `secrets`
 * (the PBX token…) wherever it occurs. Then cut to `CAPTURE_MAX_BODY_CHARS`.
 */
export function redacted(text: string, secrets: readonly string[] = []): { body: string; truncated: boolean } {
  let body = text.replace(WEBHOOK_PATH_SECRET, `$1${REDACTED}`).replace(LINK_QUERY, `$1?${REDACTED}`);
  for (const secret of secrets) if (secret.length >= 8) body = body.split(secret).join(REDACTED);
  const truncated = body.length > CAPTURE_MAX_BODY_CHARS;
  return { body: truncated ? body.slice(0, CAPTURE_MAX_BODY_CHARS) : body, truncated };
}
