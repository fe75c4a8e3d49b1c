/**
 * What the ingest function does with a PBX webhook, independent of API Gateway: authenticate
 * the URL, bound and parse the body, and queue the typed event durably before answering.
 */
import { isWebhookSecret } from './domain/webhook-secret';
import { parseXsiEvent } from './domain/xsi-parser';
import { ID_PATTERN } from './http/responses';
import type { MessageQueue } from './ports';

export const MAX_WEBHOOK_BYTES = 256 * 1024;

export interface WebhookRequest {
  projectId: string | undefined;
  secret: string | undefined;
  bodyBytes: number;
  body: () => string;
}

export type WebhookAnswer =
  | { status: 200; eventId: string }
  | { status: 400 | 403 | 413; error: string };

export async function acceptWebhook(
  request: WebhookRequest,
  deps: { webhookKey: string; queue: MessageQueue; now: number },
): Promise<WebhookAnswer> {
  const { projectId, secret } = request;
  if (!projectId || !ID_PATTERN.test(projectId) || !secret || !isWebhookSecret(deps.webhookKey, projectId, secret)) {
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
