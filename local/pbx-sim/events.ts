/**
 * Events the simulated PBX sends: their envelopes, the event log, and delivery to the
 * subscription's URL (one chain per subscription, with optional retries).
 */
import { randomUUID } from 'node:crypto';
import type { SimClock } from './clock.js';
import { postXml } from './delivery.js';
import type { DeliveryAttempt, Leg, SentEvent, SimCall, SimData, Subscription } from './model.js';
import type { EventEnvelope } from './xml.js';

const MAX_EVENT_LOG = 10_000;

export class EventSender {
  private subscriptionChains = new Map<string, Promise<void>>();

  constructor(
    private readonly sim: SimData,
    private readonly clock: SimClock,
    private readonly log: (line: string) => void,
  ) {}

  /** Forgets the delivery chains (the deliveries in flight stop on the clock's signal). */
  reset(): void {
    this.subscriptionChains.clear();
  }

  nextEnvelope(sub: Subscription, targetId: string): EventEnvelope {
    return {
      eventID: randomUUID(),
      sequenceNumber: sub.nextSeq++,
      userId: sub.subscriberUserId,
      externalApplicationId: sub.externalApplicationId,
      subscriptionId: sub.subscriptionId,
      httpContactUri: sub.url,
      targetId,
    };
  }

  newEvent(sub: Subscription, env: EventEnvelope, type: string, xml: string, call?: SimCall, leg?: Leg): SentEvent {
    const ev: SentEvent = {
      eventID: env.eventID,
      type,
      sequenceNumber: env.sequenceNumber,
      subscriptionId: sub.subscriptionId,
      targetId: env.targetId,
      url: sub.url,
      xml,
      createdAt: new Date().toISOString(),
      dropped: false,
      held: false,
      duplicated: false,
      deliveries: [],
    };
    if (call) ev.extTrackingId = call.extTrackingId;
    if (leg) ev.callId = leg.callId;
    const eventLog = this.sim.eventLog;
    eventLog.push(ev);
    if (eventLog.length > MAX_EVENT_LOG) eventLog.splice(0, eventLog.length - MAX_EVENT_LOG);
    return ev;
  }

  /** Queues the delivery of an event on its subscription's chain (events of one
   * subscription are delivered one after another, in order). */
  dispatch(ev: SentEvent, sub: Subscription, call?: SimCall): Promise<void> {
    const copies = this.sim.faults.duplicateEvents ? 2 : 1;
    ev.duplicated = copies > 1;
    const prev = this.subscriptionChains.get(sub.subscriptionId) ?? Promise.resolve();
    const p = prev.then(async () => {
      for (let i = 0; i < copies; i++) await this.deliver(ev);
    });
    this.subscriptionChains.set(sub.subscriptionId, p);
    if (call) {
      call.pending.add(p);
      void p.then(() => call.pending.delete(p));
    }
    return p;
  }

  private async deliver(ev: SentEvent): Promise<void> {
    const signal = this.clock.signal;
    const maxAttempts = this.sim.faults.retryDeliveries ? 4 : 1;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (signal.aborted) return;
      const at = new Date().toISOString();
      const r = await postXml(ev.url, ev.xml, { timeoutMs: this.sim.faults.deliveryTimeoutMs, signal });
      const rec: DeliveryAttempt = { attempt, at, durationMs: r.durationMs };
      if (r.status !== undefined) rec.status = r.status;
      if (r.error !== undefined) rec.error = r.error;
      ev.deliveries.push(rec);
      ev.status = r.status;
      ev.error = r.error;
      if (ev.status === undefined) delete ev.status;
      if (ev.error === undefined) delete ev.error;
      this.log(`pbx-sim: event ${ev.type} #${ev.sequenceNumber} ${ev.callId ?? ''} → ${ev.url} ${r.status ?? r.error ?? ''}`);
      const ok = r.status !== undefined && r.status >= 200 && r.status < 300;
      if (ok || attempt === maxAttempts) return;
      if (!(await this.clock.sleep(100 * 2 ** (attempt - 1)))) return;
    }
  }
}
