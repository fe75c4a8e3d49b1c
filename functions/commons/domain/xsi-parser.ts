/**
 * Parser for Beeline (BroadWorks Xsi-Events) webhook bodies: XML text → typed `XsiEvent`.
 * Pure domain code (no AWS). Never throws: every failure is `{ ok: false, error }` with a short
 * reason that never quotes the body.
 *
 * Elements and attributes are matched by LOCAL name only (senders use different prefixes).
 * No DTDs: a body with `<!DOCTYPE`/`<!ENTITY` (or any other `<!` declaration) is refused before
 * parsing, and the parser never expands entities. Only the five predefined XML entities and
 * numeric character references in text are decoded, in one pass, by this module.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { xsiEventSchema } from './xsi-event-schema';
import {
  CALL_EVENT_TYPES,
  type CallEventType,
  type ParseResult,
  type XsiCall,
  type XsiEnvelope,
  type XsiEvent,
  type XsiRedirection,
  type XsiRemoteParty,
  MAX_CALLS_PER_EVENT,
  MAX_REDIRECTIONS,
} from './xsi-event';

// ---------------------------------------------------------------------------------------------
// XML parsing: one parser, one set of regexes, for the life of the module
// ---------------------------------------------------------------------------------------------

const ATTR = '@_';
const TEXT_NODE = '#text';

const parser = new XMLParser({
  processEntities: false, // never expand entities (DTD entities included)
  htmlEntities: false,
  removeNSPrefix: true, // `xsi:eventID`, `b:eventID`, `eventID` → `eventID`; `xsi1:type` → `type`
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  textNodeName: TEXT_NODE,
  parseTagValue: false, // keep strings; numbers are converted below
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  jPath: false, // no path strings built per node
});

/** Any markup declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`…): comments and CDATA are fine. */
const DECLARATION = /<!(?!--|\[CDATA\[)/;
/** Characters XML 1.0 forbids anywhere in a document (NUL, C0 controls other than tab/LF/CR). */
const FORBIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const DIGITS = /^[0-9]{1,16}$/;
const ENTITY_REF = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const CALL_TYPES: ReadonlySet<string> = new Set(CALL_EVENT_TYPES);
const WHITESPACE_RUN = /\s+/g;
const MAX_ERROR_LENGTH = 160;

type XmlNode = Record<string, unknown>;

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(node: unknown, name: string): unknown {
  return isNode(node) ? node[name] : undefined;
}

function decodeReference(ref: string, named?: string, dec?: string, hex?: string): string {
  if (named !== undefined) return PREDEFINED[named] ?? ref;
  const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
  const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
  return valid ? String.fromCodePoint(code) : ref;
}

function decodeText(value: string): string {
  return value.includes('&') ? value.replace(ENTITY_REF, decodeReference) : value;
}

/** Text content of a simple element (also one with attributes); undefined if empty or repeated. */
function textOf(value: unknown): string | undefined {
  const raw = isNode(value) ? value[TEXT_NODE] : value;
  return typeof raw === 'string' && raw !== '' ? decodeText(raw) : undefined;
}

function textAt(node: unknown, name: string): string | undefined {
  return textOf(child(node, name));
}

function attrOf(value: unknown, name: string): string | undefined {
  const raw = child(value, ATTR + name);
  if (typeof raw !== 'string') return undefined;
  const trimmed = decodeText(raw).trim();
  return trimmed === '' ? undefined : trimmed;
}

function integerAt(node: unknown, name: string): number | undefined {
  const raw = textAt(node, name);
  if (raw === undefined || !DIGITS.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

function present(node: unknown, name: string): boolean {
  return child(node, name) !== undefined;
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Copies only the defined values, so results compare and serialise cleanly. */
function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

function localName(qualified: string | undefined): string | undefined {
  if (qualified === undefined) return undefined;
  const name = qualified.slice(qualified.lastIndexOf(':') + 1);
  return name === '' ? undefined : name;
}

function short(message: string): string {
  const oneLine = message.replace(WHITESPACE_RUN, ' ').trim();
  return oneLine.length > MAX_ERROR_LENGTH ? `${oneLine.slice(0, MAX_ERROR_LENGTH)}…` : oneLine;
}

function fail(error: string): ParseResult {
  return { ok: false, error: short(error) };
}

// ---------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------

function mapRemoteParty(node: unknown): XsiRemoteParty | undefined {
  if (node === undefined) return undefined;
  const address = child(node, 'address');
  return compact({
    name: textAt(node, 'name'),
    address: textOf(address),
    countryCode: attrOf(address, 'countryCode'),
    userDN: textAt(node, 'userDN'),
    userId: textAt(node, 'userId'),
    callType: textAt(node, 'callType'),
    privacy: present(node, 'privacy'),
  });
}

function mapRedirection(node: unknown): XsiRedirection {
  const party = child(node, 'party');
  return compact({
    address: textAt(party, 'address'),
    userId: textAt(party, 'userId'),
    userDN: textAt(party, 'userDN'),
    callType: textAt(party, 'callType'),
    reason: textAt(node, 'reason'),
  });
}

/** The `call` element, or undefined when it is absent or lacks `callId`/`extTrackingId`. */
function mapCall(node: unknown): XsiCall | undefined {
  const callId = textAt(node, 'callId');
  const extTrackingId = textAt(node, 'extTrackingId');
  if (callId === undefined || extTrackingId === undefined) return undefined;
  return compact({
    callId,
    extTrackingId,
    networkCallId: textAt(node, 'networkCallId'),
    personality: textAt(node, 'personality'),
    state: textAt(node, 'state'),
    remoteParty: mapRemoteParty(child(node, 'remoteParty')),
    endpointAddressOfRecord: textAt(child(node, 'endpoint'), 'addressOfRecord'),
    releasingParty: textAt(node, 'releasingParty'),
    internalReleaseCause: textAt(child(node, 'releaseCause'), 'internalReleaseCause'),
    redirections: asList(child(child(node, 'redirections'), 'redirection'))
      .slice(0, MAX_REDIRECTIONS)
      .map(mapRedirection),
    acdCall: present(node, 'acdCallInfo'),
    huntGroupUserId: textAt(node, 'huntGroupUserId'),
    startTime: integerAt(node, 'startTime'),
    answerTime: integerAt(node, 'answerTime'),
    releaseTime: integerAt(node, 'releaseTime'),
    recorded: present(node, 'recorded'),
    recordingState: textAt(node, 'recordingState'),
  });
}

function mapEvent(root: XmlNode): XsiEvent | string {
  const eventId = textAt(root, 'eventID');
  if (eventId === undefined) return 'missing eventID';
  const eventData = child(root, 'eventData');
  const eventType = localName(attrOf(eventData, 'type'));
  if (eventType === undefined) return 'missing eventData type';

  const envelope: XsiEnvelope = compact({
    eventId,
    sequenceNumber: integerAt(root, 'sequenceNumber'),
    userId: textAt(root, 'userId'),
    externalApplicationId: textAt(root, 'externalApplicationId'),
    subscriptionId: textAt(root, 'subscriptionId'),
    // `httpContact/uri` echoes the webhook URL with its secret: never kept, so never queued or logged.
    targetId: textAt(root, 'targetId'),
    eventType,
  });

  if (eventType === 'SubscriptionTerminatedEvent') return { kind: 'subscriptionTerminated', envelope };
  const single = mapCall(child(eventData, 'call'));
  if (CALL_TYPES.has(eventType)) {
    // One `call`, or (CallRedirectedEvent) a `calls` list of them.
    const listed = asList(child(child(eventData, 'calls'), 'call'))
      .slice(0, MAX_CALLS_PER_EVENT)
      .map(mapCall)
      .filter((listedCall): listedCall is XsiCall => listedCall !== undefined);
    const call = single ?? listed.shift();
    if (call !== undefined) {
      const type = eventType as CallEventType;
      return listed.length > 0 ? { kind: 'call', envelope, type, call, otherCalls: listed } : { kind: 'call', envelope, type, call };
    }
  }
  // The initial CallSubscriptionEvent's `calls` list is a snapshot, not a change: never read.
  return single === undefined ? { kind: 'ignored', envelope, type: eventType } : { kind: 'ignored', envelope, type: eventType, call: single };
}

/** Parses one webhook body. Never throws. */
export function parseXsiEvent(xml: string): ParseResult {
  try {
    if (typeof xml !== 'string') return fail('body is not a string');
    let body = xml;
    if (body.length > 0 && body.charCodeAt(0) <= 0x20) body = body.trimStart();
    if (body.length === 0) return fail('empty body');
    if (DECLARATION.test(body)) return fail('DOCTYPE/ENTITY declarations are not allowed');
    if (FORBIDDEN_CHARACTER.test(body)) return fail('characters XML does not allow (NUL or control characters)');

    const valid = XMLValidator.validate(body);
    if (valid !== true) return fail(`invalid XML: ${valid.err.msg} (line ${valid.err.line})`);

    const document: unknown = parser.parse(body);
    const roots = isNode(document) ? Object.keys(document) : [];
    const root = child(document, 'Event');
    if (roots.length !== 1 || !isNode(root)) {
      return fail(root === '' ? 'missing eventID' : 'root element is not a single Event');
    }

    const mapped = mapEvent(root);
    if (typeof mapped === 'string') return fail(mapped);

    const checked = xsiEventSchema.safeParse(mapped);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      return fail(`invalid event: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
    }
    return { ok: true, event: checked.data };
  } catch (error) {
    return fail(`cannot parse: ${error instanceof Error ? error.message : 'unknown error'}`);
  }
}
