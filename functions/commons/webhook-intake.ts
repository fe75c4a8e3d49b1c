/**
 * What the ingest function does with a PBX webhook, independent of API Gateway: authenticate
 * the URL, bound and parse the body, and queue the typed event durably before answering.
 */
import { acceptedGenerations, isWebhookSecret, type WebhookSecretState } from './domain/webhook-secret';
import { parseXsiEvent } from './domain/xsi-parser';
import { ID_PATTERN } from './http/responses';
import type { MessageQueue } from './ports';

export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Secrets are 32 characters; anything much longer is refused unread. */
const MAX_SECRET_CHARS = 64;
const SECRETS_CACHE_MS = 60_000;
const SECRETS_REFRESH_MS = 5_000;
const MAX_CACHED_PROJECTS = 10_000;

/**
 * The webhook secret generations of projects as the ingest function sees them: read once a
 * minute per project, and again on a mismatch at most every 5 s (a flood of wrong secrets
 * costs one read per 5 s per project).
 */
export function cachedWebhookSecrets(load: (projectId: string) => Promise<WebhookSecretState>, now: () => number = Date.now): WebhookSecretSource {
  const cache = new Map<string, { state: WebhookSecretState; at: number }>();
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
    async refresh(projectId) {
      const hit = cache.get(projectId);
      return hit && now() - hit.at < SECRETS_REFRESH_MS ? undefined : read(projectId);
    },
  };
}

export interface WebhookRequest {
  projectId: string | undefined;
  secret: string | undefined;
  bodyBytes: number;
  body: () => string;
}

export type WebhookAnswer =
  | { status: 200; eventId: string }
  | { status: 400 | 403 | 413; error: string };

/** A project's webhook secret generations, cached; `refresh` reads again unless it just did. */
export interface WebhookSecretSource {
  get(projectId: string): Promise<WebhookSecretState>;
  refresh(projectId: string): Promise<WebhookSecretState | undefined>;
}

export async function acceptWebhook(
  request: WebhookRequest,
  deps: { webhookKey: string; secrets: WebhookSecretSource; queue: MessageQueue; now: number },
): Promise<WebhookAnswer> {
  const { projectId, secret } = request;
  if (!projectId || !ID_PATTERN.test(projectId) || !secret || secret.length > MAX_SECRET_CHARS) return { status: 403, error: 'forbidden' };
  const matches = (state: WebhookSecretState | undefined) =>
    state !== undefined && acceptedGenerations(state, deps.now).some((generation) => isWebhookSecret(deps.webhookKey, projectId, secret, generation));
  // A miss may be a rotation this process has not seen yet: read again (at most every few seconds).
  if (!matches(await deps.secrets.get(projectId)) && !matches(await deps.secrets.refresh(projectId))) {
    return { status: 403, error: 'forbidden' };
  }
  if (request.bodyBytes > MAX_WEBHOOK_BYTES) {
    return { status: 413, error: `body over ${MAX_WEBHOOK_BYTES} bytes` };
  }
  const parsed = parseXsiEvent(request.body());
  if (!parsed.ok) return { status: 400, error: `not an Xsi event: ${parsed.error}` };
  await deps.queue.send({ v: 1, kind: 'event', projectId, receivedAt: deps.now, event: parsed.event });
  return { status: 200, eventId: parsed.event.envelope.eventId };
}
