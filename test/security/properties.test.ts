/**
 * Property-based tests (fast-check) of the two parsers every untrusted byte goes through:
 * phone numbers (spec §3) and the PBX's Xsi XML. A failure prints fast-check's seed and the
 * shrunk counterexample; replay it with `fc.assert(…, { seed, path })`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseClientPhone } from '../../functions/commons/domain/phone';
import { xsiEventSchema } from '../../functions/commons/domain/xsi-event-schema';
import { parseXsiEvent } from '../../functions/commons/domain/xsi-parser';

const RUNS = 2000;
const CANONICAL = /^[0-9]{11,15}$/;
const URI = /^\s*(?:tel|sips?):/i;

// ---------------------------------------------------------------- arbitraries

/** Anything a string can hold: every code unit, lone surrogates, NUL, RTL marks… */
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 600 }));

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const separator = fc.constantFrom('', '', '', ' ', '-', '(', ')', '.', '\u00a0', '  ');
/** Digits with the separators people type, in groups. */
const writtenDigits = fc.array(fc.tuple(digits(1, 4), separator), { minLength: 1, maxLength: 6 }).map((groups) => groups.map(([d, s]) => d + s).join(''));
/** Phone-like input: written numbers, URIs, prefixes, whitespace and a little noise. */
const phoneLike = fc.oneof(
  fc.tuple(fc.constantFrom('', '+', '8 ', '00', '8 10 ', ' +', '+7 ', '7'), writtenDigits).map(([prefix, number]) => prefix + number),
  fc
    .tuple(fc.constantFrom('tel:', 'sip:', 'sips:', 'TEL:', 'Sip:'), fc.constantFrom('', '+'), writtenDigits, fc.constantFrom('', '@mpbx.sip.beeline.ru', ';ext=200', ';user=phone', '?x=1'))
    .map(([scheme, plus, number, tail]) => scheme + plus + number + tail),
  fc.tuple(writtenDigits, fc.constantFrom('MPBX_SYS_', '_hg_', '_vxml', 'x', 'ext', '#', '*', '\u200b', '\u202e', '７')).map(([number, noise]) => number + noise),
  anyString,
);

describe('normaliseClientPhone', () => {
  it('never throws, and returns undefined or 11–15 ASCII digits', () => {
    fc.assert(
      fc.property(fc.oneof(phoneLike, anyString), (raw) => {
        const result = normaliseClientPhone(raw);
        return result === undefined || (typeof result === 'string' && CANONICAL.test(result));
      }),
      { numRuns: RUNS * 3 },
    );
    for (const odd of [undefined, null, '', ' ', '+', 'tel:', 'sip:@', 'x'.repeat(100_000), '7'.repeat(513)]) {
      expect(() => normaliseClientPhone(odd)).not.toThrow();
    }
  });

  // 11 digits starting with 8 excepted: without `+` that is the Russian trunk form (§3), so an
  // international `+8…` number's canonical form reads differently once its `+` is gone; the
  // product never normalises a stored canonical number again (phoneIndexEntries).
  it('is idempotent on its output (outputs starting with 810, and of 11 digits starting with 8, excepted)', () => {
    fc.assert(
      fc.property(phoneLike, (raw) => {
        const once = normaliseClientPhone(raw);
        fc.pre(once !== undefined && !(once.startsWith('810') && once.length > 11) && !(once.length === 11 && once.startsWith('8')));
        return normaliseClientPhone(once) === once;
      }),
      { numRuns: RUNS * 3 },
    );
  });

  // Regression (fixed): a canonical number
  // starting with 810 and longer than 11 digits (`+810…`, `00810…`, `8 10 810…`; e.g. a Japanese
  // number written with its trunk 0, `+81 090 1234 5678`) is returned, but normalising that
  // output again strips `810` as the Russian international prefix: `810123456789` → undefined.
  // The product re-normalises stored numbers (phone index entries), so such a client is not found
  // by its number.
  it('is idempotent on canonical numbers starting with 810', () => {
    fc.assert(
      fc.property(fc.constantFrom('+810', '00810', '810810'), digits(9, 12), (prefix, rest) => {
        const once = normaliseClientPhone(prefix + rest);
        fc.pre(once !== undefined);
        return normaliseClientPhone(once) === once;
      }),
    );
  });

  it('never accepts text with letters, other than tel:/sip: URIs', () => {
    fc.assert(
      fc.property(fc.oneof(phoneLike, anyString), (raw) => {
        fc.pre(/\p{L}/u.test(raw) && !URI.test(raw));
        return normaliseClientPhone(raw) === undefined;
      }),
      { numRuns: RUNS * 3 },
    );
    // Lookalike digits are not digits.
    for (const lookalike of ['７９１６１２３４５６７', '٧٩١٦١٢٣٤٥٦٧', '79161234567\u200b', '\u202e79161234567', '7916l234567', '7916I234567', '79161234567\u0000']) {
      expect(normaliseClientPhone(lookalike)).toBeUndefined();
    }
  });

  it('never accepts short numbers: fewer than 11 digits after normalisation', () => {
    fc.assert(
      fc.property(fc.constantFrom('', '+', '8 ', '00', ' ', 'tel:', 'tel:+', 'sip:', 'sip:+'), digits(1, 9), separator, (prefix, number, tail) => {
        const raw = prefix + number + tail;
        // At most 9 digits in all: no rule can make 11 of them.
        fc.pre(raw.replace(/[^0-9]/g, '').length <= 9);
        return normaliseClientPhone(raw) === undefined;
      }),
      { numRuns: RUNS },
    );
    // 10 digits count only as a Russian national number (7 is prefixed), never with +.
    fc.assert(
      fc.property(digits(10, 10), (number) => {
        const withPlus = normaliseClientPhone(`+${number}`);
        const bare = normaliseClientPhone(number);
        return withPlus === undefined && (bare === undefined || bare === `7${number}`);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- Xsi XML

const NAMES = [
  'Event',
  'eventID',
  'sequenceNumber',
  'userId',
  'externalApplicationId',
  'subscriptionId',
  'httpContact',
  'uri',
  'targetId',
  'eventData',
  'call',
  'callId',
  'extTrackingId',
  'personality',
  'state',
  'remoteParty',
  'address',
  'callType',
  'privacy',
  'startTime',
  'answerTime',
  'releaseTime',
  'redirections',
  'redirection',
  'party',
  'reason',
  'recorded',
  'acdCallInfo',
  'x',
];
const PREFIXES = ['', '', 'xsi:', 'xsi1:', 'b:', 'ns0:'];
const EVENT_TYPES = ['CallReceivedEvent', 'CallAnsweredEvent', 'CallReleasedEvent', 'CallOriginatedEvent', 'SubscriptionTerminatedEvent', 'HookStatusEvent', 'Weird', ''];
const textValue = fc.oneof(
  digits(1, 16),
  fc.uuid(),
  fc.constantFrom(
    'tel:+79161234567',
    'Terminator',
    'Alerting',
    'Released',
    '9001234567@mpbx.sip.beeline.ru',
    '&amp;',
    '&lt;x&gt;',
    '&#x1F600;',
    '&#0;',
    '&#xD800;',
    '&bogus;',
    '<![CDATA[<x>]]>',
    '<!-- c -->',
    '',
  ),
  fc.string({ maxLength: 12 }),
);

/** Random element trees with Xsi-ish names, prefixes, attributes, text and entities. */
const xmlTree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    textValue,
    fc.tuple(fc.constantFrom(...PREFIXES), fc.constantFrom(...NAMES), fc.option(fc.constantFrom(...EVENT_TYPES)), fc.array(tie('node'), { maxLength: 4 })).map(([prefix, name, type, children]) => {
      const attribute = type === null ? '' : ` xsi1:type="xsi:${type}"`;
      return `<${prefix}${name}${attribute}>${children.join('')}</${prefix}${name}>`;
    }),
  ),
})).node;

/** Mostly well-formed Xsi events with random fields, so the accepting path is exercised too. */
const xsiLike = fc
  .record({
    eventId: fc.oneof(fc.uuid(), textValue),
    type: fc.constantFrom(...EVENT_TYPES),
    subscriptionId: fc.option(fc.uuid()),
    sequence: fc.option(fc.oneof(digits(1, 6), textValue)),
    target: fc.option(fc.constantFrom('9001234567@mpbx.sip.beeline.ru', 'SIP00ABCDE@ip.beeline.ru', '')),
    call: fc.option(
      fc.record({
        callId: fc.option(textValue, { nil: undefined }),
        ext: fc.option(fc.oneof(fc.uuid(), textValue), { nil: undefined }),
        personality: fc.option(fc.constantFrom('Terminator', 'Originator', 'Click-to-Dial', 'x'), { nil: undefined }),
        address: fc.option(fc.oneof(fc.constantFrom('tel:+79161234567', 'tel:+375291234567', 'tel:200'), textValue), { nil: undefined }),
        times: fc.array(fc.tuple(fc.constantFrom('startTime', 'answerTime', 'releaseTime'), fc.oneof(digits(1, 17), textValue)), { maxLength: 3 }),
        privacy: fc.boolean(),
        extra: fc.array(xmlTree, { maxLength: 2 }),
      }),
    ),
    extra: fc.array(xmlTree, { maxLength: 2 }),
    prefix: fc.constantFrom('xsi:', '', 'b:'),
  })
  .map(({ eventId, type, subscriptionId, sequence, target, call, extra, prefix: p }) => {
    const el = (name: string, value: string | null | undefined) => (value === null || value === undefined ? '' : `<${p}${name}>${value}</${p}${name}>`);
    const callXml = call
      ? `<${p}call>${el('callId', call.callId)}${el('extTrackingId', call.ext)}${el('personality', call.personality)}` +
        `<${p}remoteParty>${el('address', call.address)}${call.privacy ? `<${p}privacy/>` : ''}</${p}remoteParty>` +
        `${call.times.map(([name, value]) => el(name, value)).join('')}${call.extra.join('')}</${p}call>`
      : '';
    return (
      `<?xml version="1.0" encoding="UTF-8"?><${p}Event xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance">` +
      `${el('eventID', eventId)}${el('sequenceNumber', sequence)}${el('subscriptionId', subscriptionId)}${el('targetId', target)}` +
      `<${p}eventData xsi1:type="xsi:${type}">${callXml}</${p}eventData>${extra.join('')}</${p}Event>`
    );
  });

/** XML-ish text: trees, real-looking events, and both cut, spliced or declared. */
const xmlish = fc.oneof(
  xsiLike,
  xmlTree,
  fc.tuple(xsiLike, fc.nat(), fc.nat()).map(([xml, a, b]) => xml.slice(Math.min(a, b) % (xml.length + 1), Math.max(a, b) % (xml.length + 1))),
  fc.tuple(xsiLike, anyString, fc.nat()).map(([xml, noise, at]) => xml.slice(0, at % (xml.length + 1)) + noise + xml.slice(at % (xml.length + 1))),
  fc
    .tuple(fc.constantFrom('<!DOCTYPE x [<!ENTITY e "e">]>', '<!ENTITY x SYSTEM "file:///etc/passwd">', '<?xml version="1.1"?>', '\ufeff', '   ', '<!-- -->'), xsiLike)
    .map(([head, xml]) => head + xml),
);

/** What crossing the queue does: JSON there and back, then the processor's schema. */
function roundTrips(event: unknown): boolean {
  const json: unknown = JSON.parse(JSON.stringify(event));
  const checked = xsiEventSchema.safeParse(json);
  expect(checked.success).toBe(true);
  expect(checked.data).toEqual(event);
  return true;
}

describe('parseXsiEvent', () => {
  it('never throws for arbitrary strings, and answers { ok, … } with a short error', () => {
    fc.assert(
      fc.property(anyString, (body) => {
        const result = parseXsiEvent(body);
        if (result.ok) return roundTrips(result.event);
        return typeof result.error === 'string' && result.error.length <= 161;
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('never throws for XML-ish strings; whatever it accepts round-trips through xsiEventSchema', () => {
    let accepted = 0;
    fc.assert(
      fc.property(xmlish, (body) => {
        const result = parseXsiEvent(body);
        if (!result.ok) return typeof result.error === 'string' && result.error.length <= 161;
        accepted++;
        return roundTrips(result.event);
      }),
      { numRuns: RUNS * 2 },
    );
    // The accepting path was exercised, not only the refusals.
    expect(accepted).toBeGreaterThan(RUNS / 10);
  });

  it('refuses every DOCTYPE/ENTITY declaration, wherever it sits', () => {
    fc.assert(
      fc.property(xsiLike, fc.constantFrom('<!DOCTYPE Event>', '<!ENTITY a "b">', '<!ELEMENT x ANY>', '<!doctype x>'), fc.nat(), (xml, declaration, at) => {
        const cut = xml.indexOf('?>') + 2 + (at % Math.max(1, xml.length - xml.indexOf('?>') - 2));
        const result = parseXsiEvent(xml.slice(0, cut) + declaration + xml.slice(cut));
        return !result.ok;
      }),
      { numRuns: RUNS },
    );
  });
});
