import { xsiEventSchema } from '../domain/xsi-event-schema';
import type { QueueMessage } from '../ports';
import * as z from '../domain/schema';

const id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));
const extTrackingId = z.string().check(z.minLength(1), z.maxLength(200));
/** Look-ups go on until the give-up time (at most a day) with delays from 1 s doubling to 900 s: about 110 attempts at most. */
const MAX_RECORD_ATTEMPTS = 1000;

const queueMessageSchema = z.discriminatedUnion('kind', [
  z.object({ v: z.literal(1), kind: z.literal('event'), projectId: id, receivedAt: z.int().check(z.positive()), event: xsiEventSchema }),
  z.object({ v: z.literal(1), kind: z.literal('settle'), projectId: id, extTrackingId }),
  z.object({
    v: z.literal(1),
    kind: z.literal('recover'),
    projectId: id,
    page: z.optional(z.object({ from: z.int().check(z.positive()), to: z.int().check(z.positive()), afterAt: z.int(), afterId: extTrackingId })),
  }),
  z.object({ v: z.literal(1), kind: z.literal('record'), projectId: id, extTrackingId, attempt: z.int().check(z.minimum(0), z.maximum(MAX_RECORD_ATTEMPTS)) }),
  z.object({ v: z.literal(1), kind: z.literal('missed'), projectId: id, extTrackingId }),
  z.object({ v: z.literal(1), kind: z.literal('subscription'), projectId: id, employeeId: id, reason: z.enum(['renewal', 'retry', 'rotated', 'terminated']) }),
]);

export class PoisonMessageError extends Error {}

/** A queued message, checked: anything else is poison and goes to the dead-letter queue. */
export function parseQueueMessage(body: string): QueueMessage {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  const result = queueMessageSchema.safeParse(data);
  if (!result.success) throw new PoisonMessageError(`message does not match the schema: ${z.prettifyError(result.error)}`);
  return result.data as QueueMessage;
}
