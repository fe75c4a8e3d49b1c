import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { OutboundEvent } from '../domain/outbound-events';
import type { EventBus } from '../ports';
import { EVENT_BUS_SOURCE } from '../contracts/events';

/** Outbound events on an EventBridge bus: `source` EVENT_BUS_SOURCE, `detail-type` the event's type, `detail` the event. */
export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly OutboundEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const entries = events.slice(i, i + 10).map((event) => ({
        EventBusName: this.busName,
        Source: EVENT_BUS_SOURCE,
        DetailType: event.type,
        Detail: JSON.stringify(event),
        Time: new Date(event.occurredAt),
      }));
      const { FailedEntryCount = 0, Entries = [] } = await this.client.send(new PutEventsCommand({ Entries: entries }));
      if (FailedEntryCount > 0) throw new Error(`event bus: ${FailedEntryCount} of ${entries.length} events not put (${Entries.find((e) => e.ErrorCode)?.ErrorCode ?? 'error'})`);
    }
  }
}

export function eventBridgeClient(region: string | undefined): EventBridgeClient {
  return new EventBridgeClient({ region });
}
