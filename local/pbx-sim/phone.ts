/**
 * Phone number handling of the PBX simulator: turns whatever a test or a client sends
 * (10-digit national, `8…`, `7…`, `+7…`, `+375…`, plain international digits) into the
 * shape the real PBX uses in events (`tel:+<digits>` with a `countryCode` attribute) and in
 * JSON (`phone`: 10 digits for Russian numbers).
 */

/** Two-digit ITU-T E.164 country calling codes. `1` and `7` are the only one-digit codes;
 * everything not listed here is treated as a three-digit code. */
const TWO_DIGIT_CODES = new Set([
  '20',
  '27',
  '30',
  '31',
  '32',
  '33',
  '34',
  '36',
  '39',
  '40',
  '41',
  '43',
  '44',
  '45',
  '46',
  '47',
  '48',
  '49',
  '51',
  '52',
  '53',
  '54',
  '55',
  '56',
  '57',
  '58',
  '60',
  '61',
  '62',
  '63',
  '64',
  '65',
  '66',
  '81',
  '82',
  '84',
  '86',
  '90',
  '91',
  '92',
  '93',
  '94',
  '95',
  '98',
]);

export interface ParsedNumber {
  /** The input as given. */
  raw: string;
  /** International digits without `+`, e.g. `79161234567`, `375291234567`. */
  international: string;
  /** Country calling code, e.g. `7`, `375`. */
  countryCode: string;
  /** `tel:+<international>` as in `remoteParty/address`. */
  telUri: string;
  /** What the PBX puts in JSON `phone` fields: 10 digits for Russian numbers, the
   * international digits otherwise. */
  display: string;
}

export function countryCodeOf(international: string): string {
  if (international.startsWith('1') || international.startsWith('7')) return international.slice(0, 1);
  const two = international.slice(0, 2);
  if (TWO_DIGIT_CODES.has(two)) return two;
  return international.slice(0, 3);
}

/**
 * Parses a phone number in any of the accepted formats; `null` when it is not a number.
 * Separators (spaces, `-`, `(`, `)`, `.`) are ignored; a leading space is what an unencoded
 * `+` in a query string becomes, so it is tolerated too.
 */
export function parsePhoneNumber(input: string): ParsedNumber | null {
  const raw = input.trim();
  const s = input.trim().replace(/[\s\-().]/g, '');
  let international: string;
  if (/^\+\d{3,15}$/.test(s)) {
    international = s.slice(1);
  } else if (/^\d{3,15}$/.test(s)) {
    if (s.length === 10) international = `7${s}`;
    else if (s.length === 11 && s.startsWith('8')) international = `7${s.slice(1)}`;
    else international = s;
  } else {
    return null;
  }
  const countryCode = countryCodeOf(international);
  const display = countryCode === '7' && international.length === 11 ? international.slice(1) : international;
  return { raw, international, countryCode, telUri: `tel:+${international}`, display };
}

/** Normalises an abonent's phone to what `GET abonents` shows (10 digits for Russian numbers). */
export function normaliseAbonentPhone(input: string): string | null {
  const parsed = parsePhoneNumber(input);
  return parsed ? parsed.display : null;
}
