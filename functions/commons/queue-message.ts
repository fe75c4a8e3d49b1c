import * as z from 'zod';
import { xsiEventSchema } from './domain/xsi-parser';
import type { QueueMessage } from './ports';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

const queueMessageSchema = z.discriminatedUnion('kind', [
  z.object({ v: z.literal(1), kind: z.literal('event'), projectId: id, receivedAt: z.number().int().positive(), event: xsiEventSchema }),
  z.object({ v: z.literal(1), kind: z.literal('settle'), projectId: id, extTrackingId: z.string().min(1).max(200) }),
  z.object({ v: z.literal(1), kind: z.literal('recover'), projectId: id }),
  z.object({ v: z.literal(1), kind: z.literal('record'), projectId: id, extTrackingId: z.string().min(1).max(200), attempt: z.number().int().min(0).max(100) }),
  z.object({ v: z.literal(1), kind: z.literal('subscription'), projectId: id, employeeId: id, reason: z.enum(['renewal', 'retry']) }),
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
