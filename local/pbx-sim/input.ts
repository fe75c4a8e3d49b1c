/**
 * Validation of the control-route bodies (`/_sim/...`): a PBX with its abonents and
 * behaviour, the fault switches, a call to play. Bad input throws SimInputError.
 */
import { randomUUID } from 'node:crypto';
import { findAbonent } from './abonents.js';
import { DEFAULT_BEHAVIOUR, DEFAULT_FAULTS, MAX_TIMER_MS, SimInputError, type Abonent, type Faults, type Pbx, type PbxBehaviour, type SimData } from './model.js';
import { normaliseAbonentPhone, parsePhoneNumber, type ParsedNumber } from './phone.js';
import type { LegRequest } from './scenario.js';
import { CALL_EVENT_TYPE_NAMES, type CallEventType } from './xml.js';

const ABONENT_DOMAIN = 'mpbx.sip.beeline.ru';

const BEHAVIOUR_CHOICES: { [K in keyof PbxBehaviour]: readonly PbxBehaviour[K][] } = {
  callAnswer: ['empty', 'text', 'json'],
  clickToCall: ['one-leg', 'two-legs'],
  callNumberFormat: ['national', 'any'],
  recordedElement: ['never', 'always'],
  remoteAddress: ['tel', 'sip', 'userDN'],
  continuationTrackingId: ['new', 'kept'],
  initialEvent: ['after-answer', 'before-answer', 'none'],
};

function isNonNegInt(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw new SimInputError(`${field} must be a string`);
  return v;
}

export function assertKnownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new SimInputError(`unknown field "${k}" in ${where}`);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses the faults body; throws SimInputError on bad values. `{}` = all defaults. */
export function parseFaults(body: unknown): Faults {
  if (!isPlainObject(body)) throw new SimInputError('faults body must be a JSON object');
  assertKnownKeys(
    body,
    [
      'duplicateEvents',
      'shuffleEvents',
      'dropEvents',
      'dropEventTypes',
      'failApiNext',
      'apiLatencyMs',
      'recordDelayMs',
      'maxSubscriptionSeconds',
      'retryDeliveries',
      'recordUrlTtlSeconds',
      'deliveryTimeoutMs',
      'clickToCall',
    ],
    'faults',
  );
  const f: Faults = { ...DEFAULT_FAULTS, clickToCall: { ...DEFAULT_FAULTS.clickToCall } };
  for (const k of ['duplicateEvents', 'shuffleEvents', 'dropEvents', 'retryDeliveries'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new SimInputError(`${k} must be a boolean`);
    f[k] = v;
  }
  if (body.dropEventTypes !== undefined) {
    const types = body.dropEventTypes;
    if (!Array.isArray(types) || !types.every((t): t is CallEventType => typeof t === 'string' && (CALL_EVENT_TYPE_NAMES as readonly string[]).includes(t))) {
      throw new SimInputError(`dropEventTypes must be a list of ${CALL_EVENT_TYPE_NAMES.join(', ')}`);
    }
    f.dropEventTypes = [...types];
  }
  const ints: [keyof Faults & string, number, number][] = [
    ['failApiNext', 0, 1_000_000],
    ['apiLatencyMs', 0, 600_000],
    ['recordDelayMs', 0, MAX_TIMER_MS],
    ['maxSubscriptionSeconds', 1, 10 * 365 * 86400],
    ['recordUrlTtlSeconds', 1, 10 * 365 * 86400],
    ['deliveryTimeoutMs', 1, 600_000],
  ];
  for (const [k, min, max] of ints) {
    const v = body[k];
    if (v === undefined) continue;
    if (!isNonNegInt(v, max) || v < min) throw new SimInputError(`${k} must be an integer between ${min} and ${max}`);
    (f as unknown as Record<string, number>)[k] = v;
  }
  const c = body.clickToCall;
  if (c !== undefined) {
    if (!isPlainObject(c)) throw new SimInputError('clickToCall must be an object');
    assertKnownKeys(c, ['ringMs', 'talkMs', 'employeeAnswers', 'clientAnswers'], 'clickToCall');
    for (const k of ['ringMs', 'talkMs'] as const) {
      const v = c[k];
      if (v === undefined) continue;
      if (!isNonNegInt(v, MAX_TIMER_MS)) throw new SimInputError(`clickToCall.${k} must be a non-negative integer`);
      f.clickToCall[k] = v;
    }
    for (const k of ['employeeAnswers', 'clientAnswers'] as const) {
      const v = c[k];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') throw new SimInputError(`clickToCall.${k} must be a boolean`);
      f.clickToCall[k] = v;
    }
  }
  return f;
}

/** Validates the body of `POST /_sim/pbx` into the fields of a PBX. */
export function parsePbxInput(input: unknown): Pick<Pbx, 'token' | 'abonents' | 'behaviour'> {
  if (!isPlainObject(input)) throw new SimInputError('body must be a JSON object {token, abonents}');
  assertKnownKeys(input, ['token', 'abonents', 'behaviour'], 'pbx');
  const behaviour: PbxBehaviour = { ...DEFAULT_BEHAVIOUR };
  if (input.behaviour !== undefined) {
    if (!isPlainObject(input.behaviour)) throw new SimInputError('behaviour must be an object');
    assertKnownKeys(input.behaviour, Object.keys(BEHAVIOUR_CHOICES), 'behaviour');
    for (const [key, choices] of Object.entries(BEHAVIOUR_CHOICES) as [keyof PbxBehaviour, readonly string[]][]) {
      const value = input.behaviour[key];
      if (value === undefined) continue;
      if (typeof value !== 'string' || !choices.includes(value)) throw new SimInputError(`behaviour.${key} must be one of ${choices.join(', ')}`);
      (behaviour as unknown as Record<string, string>)[key] = value;
    }
  }
  const token = input.token;
  if (typeof token !== 'string' || token.trim() === '') throw new SimInputError('token must be a non-empty string');
  if (!Array.isArray(input.abonents)) throw new SimInputError('abonents must be an array');
  const abonents: Abonent[] = [];
  input.abonents.forEach((raw: unknown, i: number) => {
    const where = `abonents[${i}]`;
    if (!isPlainObject(raw)) throw new SimInputError(`${where} must be an object`);
    assertKnownKeys(raw, ['phone', 'extension', 'firstName', 'lastName', 'recording', 'userId', 'email', 'department'], where);
    const phoneRaw = optionalString(raw.phone, `${where}.phone`);
    const phone = phoneRaw === undefined || phoneRaw === '' ? undefined : normaliseAbonentPhone(phoneRaw);
    if (phone === null) throw new SimInputError(`${where}.phone is not a phone number: ${phoneRaw}`);
    if (raw.recording !== undefined && typeof raw.recording !== 'boolean') {
      throw new SimInputError(`${where}.recording must be a boolean`);
    }
    const a: Abonent = {
      userId: optionalString(raw.userId, `${where}.userId`) ?? (phone ? `${phone}@${ABONENT_DOMAIN}` : `SIP${randomUUID().replace(/-/g, '').slice(0, 11).toUpperCase()}@ip.beeline.ru`),
      recording: raw.recording === true,
    };
    if (phone) a.phone = phone;
    const ext = optionalString(raw.extension, `${where}.extension`);
    if (ext !== undefined) a.extension = ext;
    const fn = optionalString(raw.firstName, `${where}.firstName`);
    if (fn !== undefined) a.firstName = fn;
    const ln = optionalString(raw.lastName, `${where}.lastName`);
    if (ln !== undefined) a.lastName = ln;
    const em = optionalString(raw.email, `${where}.email`);
    if (em !== undefined) a.email = em;
    const dep = optionalString(raw.department, `${where}.department`);
    if (dep !== undefined) a.department = dep;
    for (const other of abonents) {
      if (a.phone !== undefined && other.phone === a.phone) throw new SimInputError(`duplicate abonent phone ${a.phone}`);
      if (other.userId.toLowerCase() === a.userId.toLowerCase()) throw new SimInputError(`duplicate userId ${a.userId}`);
      if (a.extension !== undefined && other.extension === a.extension) {
        throw new SimInputError(`duplicate extension ${a.extension}`);
      }
    }
    abonents.push(a);
  });
  return { token, abonents, behaviour };
}

/** A `POST /_sim/calls` body, validated against the PBXs and calls known. */
export interface CallRequest {
  pbx: Pbx;
  direction: 'incoming' | 'outgoing';
  client: ParsedNumber | null;
  clientName: string | undefined;
  hideNumber: boolean;
  sequential: boolean;
  extTrackingId: string | undefined;
  legs: LegRequest<Abonent>[];
}

function resolvePbx(pbxs: SimData['pbxs'], token: unknown): Pbx {
  if (typeof token !== 'string' || token === '') throw new SimInputError('token must be a non-empty string');
  const pbx = pbxs.get(token);
  if (!pbx) throw new SimInputError('unknown PBX token (add the PBX with POST /_sim/pbx first)', 404);
  return pbx;
}

/** Validates the body of `POST /_sim/calls`. */
export function parseCallRequest(input: unknown, data: Pick<SimData, 'pbxs' | 'calls'>): CallRequest {
  if (!isPlainObject(input)) throw new SimInputError('body must be a JSON object');
  assertKnownKeys(input, ['token', 'direction', 'client', 'clientName', 'legs', 'sequential', 'hideNumber', 'extTrackingId'], 'call');
  const pbx = resolvePbx(data.pbxs, input.token);
  const direction = input.direction;
  if (direction !== 'incoming' && direction !== 'outgoing') {
    throw new SimInputError('direction must be "incoming" or "outgoing"');
  }
  for (const k of ['sequential', 'hideNumber'] as const) {
    if (input[k] !== undefined && typeof input[k] !== 'boolean') throw new SimInputError(`${k} must be a boolean`);
  }
  const hideNumber = input.hideNumber === true;
  const sequential = input.sequential === true;
  const clientRaw = optionalString(input.client, 'client');
  let client: ParsedNumber | null = null;
  if (clientRaw !== undefined && clientRaw !== '') {
    client = parsePhoneNumber(clientRaw);
    if (!client) throw new SimInputError(`client is not a phone number: ${clientRaw}`);
  } else if (!hideNumber) {
    throw new SimInputError('client is required (unless hideNumber is true)');
  }
  const clientName = optionalString(input.clientName, 'clientName');
  let extTrackingId: string | undefined;
  if (input.extTrackingId !== undefined) {
    if (typeof input.extTrackingId !== 'string' || input.extTrackingId === '') {
      throw new SimInputError('extTrackingId must be a non-empty string');
    }
    if (data.calls.has(input.extTrackingId)) throw new SimInputError('extTrackingId already used', 409);
    extTrackingId = input.extTrackingId;
  }
  if (!Array.isArray(input.legs) || input.legs.length === 0) throw new SimInputError('legs must be a non-empty array');
  if (input.legs.length > 100) throw new SimInputError('at most 100 legs');
  if (direction === 'outgoing' && input.legs.length !== 1) {
    throw new SimInputError('an outgoing call has exactly one leg: the calling employee');
  }
  const legs = input.legs.map((raw: unknown, i: number) => {
    const where = `legs[${i}]`;
    if (!isPlainObject(raw)) throw new SimInputError(`${where} must be an object`);
    assertKnownKeys(raw, ['abonent', 'answer', 'ringMs', 'talkMs', 'pickedUpBy', 'transferTo'], where);
    const pattern = optionalString(raw.abonent, `${where}.abonent`);
    if (!pattern) throw new SimInputError(`${where}.abonent is required`);
    const abonent = findAbonent(pbx, pattern, true);
    if (!abonent) throw new SimInputError(`${where}.abonent ${pattern} is not an abonent of this PBX`);
    if (typeof raw.answer !== 'boolean') throw new SimInputError(`${where}.answer must be a boolean`);
    const colleague = (key: 'pickedUpBy' | 'transferTo'): Abonent | undefined => {
      const colleaguePattern = optionalString(raw[key], `${where}.${key}`);
      if (colleaguePattern === undefined) return undefined;
      const found = findAbonent(pbx, colleaguePattern, true);
      if (!found) throw new SimInputError(`${where}.${key} ${colleaguePattern} is not an abonent of this PBX`);
      if (found === abonent) throw new SimInputError(`${where}.${key} must be another abonent than the leg's`);
      return found;
    };
    const pickedUpBy = colleague('pickedUpBy');
    const transferTo = colleague('transferTo');
    if (pickedUpBy && (raw.answer || direction !== 'incoming')) {
      throw new SimInputError(`${where}.pickedUpBy: only a ringing incoming leg (answer: false) is picked up`);
    }
    if (transferTo && !raw.answer) throw new SimInputError(`${where}.transferTo: only an answered leg (answer: true) is transferred`);
    for (const k of ['ringMs', 'talkMs'] as const) {
      if (raw[k] !== undefined && !isNonNegInt(raw[k], MAX_TIMER_MS)) {
        throw new SimInputError(`${where}.${k} must be a non-negative integer (ms)`);
      }
    }
    return {
      abonent,
      answer: raw.answer,
      ringMs: (raw.ringMs as number | undefined) ?? 50,
      talkMs: (raw.talkMs as number | undefined) ?? 100,
      ...(pickedUpBy && { pickedUpBy }),
      ...(transferTo && { transferTo }),
    };
  });
  return { pbx, direction, client, clientName, hideNumber, sequential, extTrackingId, legs };
}
