/** Builds webhook bodies in the PBX's Xsi format, for the tests, the bench and the soak. */
import { randomUUID } from 'node:crypto';

export interface LegSpec {
  callId?: string;
  /** The employee's 10-digit PBX number (the leg's targetId user part). */
  abonent: string;
  personality?: 'Terminator' | 'Originator' | 'Click-to-Dial';
  /** Remote party: a number (`tel:+7…`), hidden, or a colleague. */
  remote: { address: string; countryCode?: string } | { hidden: true } | { colleague: string };
  startTime: number;
  answerTime?: number;
  releaseTime: number;
  /** Released event without remoteParty/address, as the real PBX sends on missed legs. */
  releasedWithoutAddress?: boolean;
  /** The leg's first event, when not the usual one (e.g. `CallPickedUpEvent`, `CallTransferredEvent`). */
  firstEvent?: string;
}

/** The subscription the test events come through; harness.registerSubscription records it. */
export const TEST_SUBSCRIPTION_ID = '0f8e2c1a-5b7d-4c3e-9a61-2d4f8b0e7c13';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function xsiEvent(opts: { eventId?: string; type: string; abonent?: string; subscriptionId?: string; call?: string }): string {
  const target = opts.abonent ? `<xsi:targetId>${opts.abonent}@mpbx.sip.beeline.ru</xsi:targetId>` : '';
  const data = opts.call ? `<xsi:eventData xsi1:type="xsi:${opts.type}">${opts.call}</xsi:eventData>` : `<xsi:eventData xsi1:type="xsi:${opts.type}"/>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance" xsi1:type="xsi:SubscriptionEvent">
<xsi:eventID>${opts.eventId ?? randomUUID()}</xsi:eventID>
<xsi:sequenceNumber>1</xsi:sequenceNumber>
<xsi:userId>MPBX_E_100200_77000000001_EventSubscription@ip.beeline.ru</xsi:userId>
<xsi:externalApplicationId>77000000001_test</xsi:externalApplicationId>
<xsi:subscriptionId>${opts.subscriptionId ?? TEST_SUBSCRIPTION_ID}</xsi:subscriptionId>
<xsi:httpContact><xsi:uri>https://example.invalid/webhooks</xsi:uri></xsi:httpContact>
${target}
${data}
</xsi:Event>`;
}

function remoteXml(leg: LegSpec, withAddress: boolean): string {
  const r = leg.remote;
  if ('hidden' in r) return '<xsi:remoteParty><xsi:privacy/><xsi:callType>Network</xsi:callType></xsi:remoteParty>';
  if ('colleague' in r) {
    return `<xsi:remoteParty><xsi:userId>${r.colleague}@mpbx.sip.beeline.ru</xsi:userId><xsi:address>tel:200</xsi:address><xsi:callType>Group</xsi:callType></xsi:remoteParty>`;
  }
  if (!withAddress) return '<xsi:remoteParty><xsi:privacy/><xsi:callType>Network</xsi:callType></xsi:remoteParty>';
  return `<xsi:remoteParty><xsi:address countryCode="${r.countryCode ?? '7'}">${esc(r.address)}</xsi:address><xsi:callType>Network</xsi:callType></xsi:remoteParty>`;
}

/** The leg's events in PBX order: received/originated, answered (if answered), released. */
export function legEvents(extTrackingId: string, leg: LegSpec): string[] {
  const callId = leg.callId ?? `callhalf-${Math.floor(Math.random() * 1e9)}:0`;
  const personality = leg.personality ?? 'Terminator';
  const call = (state: string, times: string, withAddress = true) =>
    `<xsi:call><xsi:callId>${callId}</xsi:callId><xsi:extTrackingId>${extTrackingId}</xsi:extTrackingId>` +
    `<xsi:personality>${personality}</xsi:personality><xsi:state>${state}</xsi:state>${remoteXml(leg, withAddress)}` +
    `<xsi:startTime>${leg.startTime}</xsi:startTime>${times}</xsi:call>`;
  const first = leg.firstEvent ?? (personality === 'Terminator' ? 'CallReceivedEvent' : 'CallOriginatedEvent');
  const answer = leg.answerTime === undefined ? '' : `<xsi:answerTime>${leg.answerTime}</xsi:answerTime>`;
  const events = [xsiEvent({ type: first, abonent: leg.abonent, call: call('Alerting', '') })];
  if (leg.answerTime !== undefined) events.push(xsiEvent({ type: 'CallAnsweredEvent', abonent: leg.abonent, call: call('Active', answer) }));
  events.push(
    xsiEvent({
      type: 'CallReleasedEvent',
      abonent: leg.abonent,
      call: call('Released', `${answer}<xsi:releaseTime>${leg.releaseTime}</xsi:releaseTime>`, !leg.releasedWithoutAddress),
    }),
  );
  return events;
}

/** All events of a call: its legs' events concatenated in ringing order. */
export function callEvents(extTrackingId: string, legs: LegSpec[]): string[] {
  return legs.flatMap((leg) => legEvents(extTrackingId, leg));
}

/** Deterministic shuffle (seeded), so a failing order can be replayed. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
