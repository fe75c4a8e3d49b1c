/**
 * Xsi-Events XML exactly in the shape the Beeline Cloud PBX sends (BroadWorks Xsi):
 * prefix `xsi` = http://schema.broadsoft.com/xsi, prefix `xsi1` =
 * http://www.w3.org/2001/XMLSchema-instance, one element per line, in the element order of
 * the captured samples.
 */

export const XSI_NS = 'http://schema.broadsoft.com/xsi';
export const XSI1_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Characters XML 1.0 does not allow at all (they cannot even be escaped). */
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for element content and attribute values. */
export function escapeXml(value: string | number): string {
  return String(value).replace(INVALID_XML_CHARS, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export interface EventEnvelope {
  eventID: string;
  sequenceNumber: number;
  /** The PBX's internal subscriber id, `MPBX_E_…_EventSubscription@ip.beeline.ru`. */
  userId: string;
  externalApplicationId: string;
  subscriptionId: string;
  /** The callback URL, echoed in `httpContact/uri`. */
  httpContactUri: string;
  /** The monitored abonent's userId. */
  targetId: string;
}

export const CALL_EVENT_TYPE_NAMES = [
  'CallReceivedEvent',
  'CallOriginatingEvent',
  'CallOriginatedEvent',
  'CallPickedUpEvent',
  'CallTransferredEvent',
  'CallAnsweredEvent',
  'CallReleasedEvent',
] as const;
export type CallEventType = (typeof CALL_EVENT_TYPE_NAMES)[number];

export type Personality = 'Terminator' | 'Originator' | 'Click-to-Dial';
export type CallState = 'Alerting' | 'Active' | 'Released';

export interface RemotePartyFields {
  name?: string;
  /** `tel:+79161234567` with its country code; absent on hidden numbers and on missed
   * released events. */
  address?: { uri: string; countryCode: string };
  /** `userDN`, e.g. `tel:+79161234567`: some events carry the number only here. */
  userDN?: string;
  privacy?: boolean;
  callType: 'Network' | 'Group';
}

export interface CallFields {
  callId: string;
  extTrackingId: string;
  networkCallId?: string;
  personality: Personality;
  state: CallState;
  releasingParty?: 'localRelease' | 'remoteRelease';
  internalReleaseCause?: string;
  remoteParty: RemotePartyFields;
  /** `endpoint/addressOfRecord` (the employee's device). */
  endpointAddressOfRecord?: string;
  appearance?: number;
  startTime: number;
  answerTime?: number;
  releaseTime?: number;
  recorded?: boolean;
}

function el(name: string, value: string | number): string {
  return `<xsi:${name}>${escapeXml(value)}</xsi:${name}>`;
}

function envelopeHead(env: EventEnvelope): string[] {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<xsi:Event xmlns:xsi="${XSI_NS}" xmlns:xsi1="${XSI1_NS}" xsi1:type="xsi:SubscriptionEvent">`,
    el('eventID', env.eventID),
    el('sequenceNumber', env.sequenceNumber),
    el('userId', env.userId),
    el('externalApplicationId', env.externalApplicationId),
    el('subscriptionId', env.subscriptionId),
    `<xsi:httpContact>${el('uri', env.httpContactUri)}</xsi:httpContact>`,
    el('targetId', env.targetId),
  ];
}

function remotePartyLines(rp: RemotePartyFields): string[] {
  const lines = ['<xsi:remoteParty>'];
  if (rp.name !== undefined && rp.name !== '') lines.push(el('name', rp.name));
  if (rp.address) {
    lines.push(`<xsi:address countryCode="${escapeXml(rp.address.countryCode)}">${escapeXml(rp.address.uri)}</xsi:address>`);
  }
  if (rp.userDN !== undefined) lines.push(el('userDN', rp.userDN));
  if (rp.privacy) lines.push('<xsi:privacy/>');
  lines.push(el('callType', rp.callType));
  lines.push('</xsi:remoteParty>');
  return lines;
}

/** One call event (`eventData` with a single `call` element). */
export function buildCallEventXml(env: EventEnvelope, type: CallEventType, call: CallFields): string {
  const lines = envelopeHead(env);
  lines.push(`<xsi:eventData xsi1:type="xsi:${type}">`);
  lines.push(...callLines(call));
  lines.push('</xsi:eventData>');
  lines.push('</xsi:Event>');
  return `${lines.join('\n')}\n`;
}

/**
 * The initial state a new subscription to one abonent gets: `CallSubscriptionEvent` with the
 * hook status and a `calls` list of the abonent's calls in progress (empty when idle).
 */
export function buildCallSubscriptionXml(env: EventEnvelope, calls: CallFields[]): string {
  const lines = envelopeHead(env);
  lines.push('<xsi:eventData xsi1:type="xsi:CallSubscriptionEvent">');
  lines.push(el('hookStatus', calls.length > 0 ? 'Off-Hook' : 'On-Hook'));
  if (calls.length === 0) lines.push('<xsi:calls/>');
  else lines.push('<xsi:calls>', ...calls.flatMap(callLines), '</xsi:calls>');
  lines.push('</xsi:eventData>');
  lines.push('</xsi:Event>');
  return `${lines.join('\n')}\n`;
}

function callLines(call: CallFields): string[] {
  const lines = ['<xsi:call>'];
  lines.push(el('callId', call.callId));
  lines.push(el('extTrackingId', call.extTrackingId));
  if (call.networkCallId !== undefined) lines.push(el('networkCallId', call.networkCallId));
  lines.push(el('personality', call.personality));
  lines.push(el('state', call.state));
  if (call.releasingParty !== undefined) lines.push(el('releasingParty', call.releasingParty));
  if (call.internalReleaseCause !== undefined) {
    lines.push(`<xsi:releaseCause>${el('internalReleaseCause', call.internalReleaseCause)}</xsi:releaseCause>`);
  }
  lines.push(...remotePartyLines(call.remoteParty));
  if (call.endpointAddressOfRecord !== undefined) {
    lines.push(`<xsi:endpoint xsi1:type="xsi:AccessEndpoint">${el('addressOfRecord', call.endpointAddressOfRecord)}</xsi:endpoint>`);
  }
  if (call.appearance !== undefined) lines.push(el('appearance', call.appearance));
  lines.push(el('startTime', call.startTime));
  if (call.answerTime !== undefined) lines.push(el('answerTime', call.answerTime));
  if (call.releaseTime !== undefined) lines.push(el('releaseTime', call.releaseTime));
  if (call.recorded) lines.push('<xsi:recorded/>');
  lines.push('</xsi:call>');
  return lines;
}

/** `SubscriptionTerminatedEvent`: an empty `eventData`. */
export function buildSubscriptionTerminatedXml(env: EventEnvelope): string {
  const lines = envelopeHead(env);
  lines.push('<xsi:eventData xsi1:type="xsi:SubscriptionTerminatedEvent"/>');
  lines.push('</xsi:Event>');
  return `${lines.join('\n')}\n`;
}
