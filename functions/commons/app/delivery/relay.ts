/**
 * From the table's stream of outbound events to their deliveries: each event of a project with a
 * receiver becomes a delivery job on the delivery queue, and every event goes to the event bus
 * when there is one. Nothing here waits on a receiver, so one project's slow receiver delays
 * no other project and no call processing.
 */
import type { OutboundEvent } from '../../domain/outbound-events';
import type { DeliveryJob, DeliveryQueue, DeliveryStore, EventBus } from '../../ports';

export interface RelayDeps {
  store: Pick<DeliveryStore, 'getSettings'>;
  queue: DeliveryQueue;
  bus?: EventBus;
  now: () => number;
}

/** A stored event: its JSON exactly as kept (the body every attempt sends). */
export interface StoredEvent {
  body: string;
  event: OutboundEvent;
}

export async function relayEvents(deps: RelayDeps, stored: readonly StoredEvent[]): Promise<{ queued: number }> {
  const projects = [...new Set(stored.map(({ event }) => event.projectId))];
  const receivers = new Set<string>();
  await Promise.all(
    projects.map(async (projectId) => {
      if (await deps.store.getSettings(projectId)) receivers.add(projectId);
    }),
  );
  const since = deps.now();
  const jobs: DeliveryJob[] = stored
    .filter(({ event }) => receivers.has(event.projectId))
    .map(({ body, event }) => ({ v: 1, projectId: event.projectId, eventId: event.eventId, type: event.type, occurredAt: event.occurredAt, body, attempts: 0, since }));
  if (jobs.length > 0) await deps.queue.send(jobs);
  if (deps.bus && stored.length > 0) await deps.bus.publish(stored.map(({ event }) => event));
  return { queued: jobs.length };
}

/** A stored event item's JSON (from the stream): refused when it is not an outbound event. */
export function storedEventOf(body: string | undefined): StoredEvent | undefined {
  if (!body || body.length > 200_000) return undefined;
  try {
    const event = JSON.parse(body) as OutboundEvent;
    return typeof event.eventId === 'string' && typeof event.projectId === 'string' && typeof event.type === 'string' && typeof event.occurredAt === 'string' ? { body, event } : undefined;
  } catch {
    return undefined;
  }
}
