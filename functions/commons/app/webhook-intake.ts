/**
 * What the ingest function does with a PBX webhook, independent of API Gateway: authenticate
 * the URL, bound and parse the body, and queue the typed event durably before answering.
 */
import { acceptedGenerations, isWebhookSecret, type WebhookSecretState } from '../domain/webhook-secret';
import { parseXsiEvent } from '../domain/xsi-parser';
import { ID_PATTERN } from '../http/responses';
import { MessageTooLargeError, type MessageQueue } from '../ports';

export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Secrets are 32 characters; anything much longer is refused unread. */
const MAX_SECRET_CHARS = 64;
const SECRETS_CACHE_MS = 60_000;
/** Reads of one project's secret generations after a miss are at least this far apart. */
export const SECRETS_REFRESH_MS = 1_000;
const MAX_CACHED_PROJECTS = 10_000;

/**
 * The webhook secret generations of projects as the ingest function sees them: read once a
 * minute per project, and again on a mismatch. A mismatch is judged on a read made after the
 * request arrived (a subscription made right after a rotation sends its first event at once),
 * and reads after mismatches are at least `SECRETS_REFRESH_MS` apart: a request waits for the
 * next one, and requests waiting together share it. A flood of wrong secrets thus costs at most
 * one read per second per project.
 */
export function cachedWebhookSecrets(
  load: (projectId: string) => Promise<WebhookSecretState>,
  now: () => number = Date.now,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): WebhookSecretSource {
  const cache = new Map<string, { state: WebhookSecretState; at: number }>();
  /** A re-read not started yet: callers that arrive before it starts may share it. */
  const waiting = new Map<string, Promise<WebhookSecretState>>();
  const read = async (projectId: string) => {
    const state = await load(projectId);
    if (cache.size >= MAX_CACHED_PROJECTS) cache.clear();
    cache.set(projectId, { state, at: now() });
    return state;
  };
  return {
    async get(projectId) {
      const hit = cache.get(projectId);
      return hit && now() - hit.at < SECRETS_CACHE_MS ? hit.state : read(projectId);
    },
    refresh(projectId) {
      const shared = waiting.get(projectId);
      if (shared) return shared;
      const hit = cache.get(projectId);
      const wait = hit ? hit.at + SECRETS_REFRESH_MS - now() : 0;
      // Registered before it can start: a read that already started is never shared.
      const next = (wait > 0 ? sleep(wait) : Promise.resolve()).then(() => {
        waiting.delete(projectId);
        return read(projectId);
      });
      waiting.set(projectId, next);
      return next;
    },
  };
}

export interface WebhookRequest {
  projectId: string | undefined;
  secret: string | undefined;
  bodyBytes: number;
  body: () => string;
}

export type WebhookAnswer = { status: 200; eventId: string } | { status: 400 | 403 | 413; error: string };

/** A project's webhook secret generations, cached; `refresh` reads them again (no earlier than a moment after the last read). */
export interface WebhookSecretSource {
  get(projectId: string): Promise<WebhookSecretState>;
  refresh(projectId: string): Promise<WebhookSecretState>;
}

export async function acceptWebhook(
  request: WebhookRequest,
  deps: {
    webhookKey: string;
    secrets: WebhookSecretSource;
    queue: MessageQueue;
    now: number;
    /** Capture mode: told of every authenticated body within the size limit (parseable or not), with the URL's secret. */
    capture?: (projectId: string, body: string, secret: string) => Promise<void>;
  },
): Promise<WebhookAnswer> {
  const { projectId, secret } = request;
  if (!projectId || !ID_PATTERN.test(projectId) || !secret || secret.length > MAX_SECRET_CHARS) return { status: 403, error: 'forbidden' };
  const matches = (state: WebhookSecretState | undefined) =>
    state !== undefined && acceptedGenerations(state, deps.now).some((generation) => isWebhookSecret(deps.webhookKey, projectId, secret, generation));
  // A miss may be a rotation this process has not seen yet: judged again on a newer read.
  if (!matches(await deps.secrets.get(projectId)) && !matches(await deps.secrets.refresh(projectId))) {
    return { status: 403, error: 'forbidden' };
  }
  if (request.bodyBytes > MAX_WEBHOOK_BYTES) {
    return { status: 413, error: `body over ${MAX_WEBHOOK_BYTES} bytes` };
  }
  const body = request.body();
  await deps.capture?.(projectId, body, secret);
  const parsed = parseXsiEvent(body);
  if (!parsed.ok) return { status: 400, error: `not an Xsi event: ${parsed.error}` };
  try {
    await deps.queue.send({ v: 1, kind: 'event', projectId, receivedAt: deps.now, event: parsed.event });
  } catch (error) {
    // What is queued is bounded, not only what arrives: JSON escaping can double a body.
    if (error instanceof MessageTooLargeError) return { status: 413, error: 'the event is too large to queue' };
    throw error;
  }
  return { status: 200, eventId: parsed.event.envelope.eventId };
}
