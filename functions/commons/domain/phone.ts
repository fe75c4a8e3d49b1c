/**
 * Phone numbers as the product sees them (spec §3). Pure functions, no dependencies.
 *
 * Canonical client number: ASCII digits only, country code first, 11–15 digits
 * (`79161234567`, `375291234567`). The employee's PBX number: 10 digits starting with 9
 * (`9001234567`).
 */

/** Anything longer cannot be a phone number or a SIP URI worth reading. */
const MAX_INPUT_LENGTH = 512;
/** `tel:`, `sip:`, `sips:` (any case). */
const URI_SCHEME = /^(?:tel|sips?):/i;
/** PBX service ids: `MPBX_SYS_…`, hunt groups `…_hg_…`, IVR `…_vxml…`. */
const SERVICE_ID = /mpbx_|_hg_|_vxml/i;
/** A written number: optional leading `+`, ASCII digits and the usual separators. */
const WRITTEN_NUMBER = /^\+?[0-9 ().\u00a0-]+$/;
/** Where the user part of a URI ends: host, parameters, headers. */
const USER_PART_END = /[@;?]/;
const NON_DIGITS = /[^0-9]/g;
const EMPLOYEE = /^79[0-9]{9}$/;

/**
 * The user part of a `tel:`/`sip:` URI without scheme, host and parameters
 * (`sip:+7916…@host;user=phone` → `+7916…`, `tel:+7916…;ext=200` → `+7916…`); other text as is.
 */
function userPart(value: string): string {
  if (!URI_SCHEME.test(value)) return value;
  const rest = value.slice(value.indexOf(':') + 1);
  const end = rest.search(USER_PART_END);
  return end === -1 ? rest : rest.slice(0, end);
}

/**
 * The canonical client number (`79161234567`), or undefined when `raw` is not a client
 * number: extensions and other short numbers, hidden numbers (`anonymous`, empty), PBX service
 * ids, text that is not a number or a `tel:`/`sip:` URI, more than 15 digits. Never throws.
 *
 * Russian national forms become `7…`: 11 digits starting with 8, and 10 digits without `+`.
 * International prefixes `00` and `8 10` (without `+`) are dropped; `8 10` only when written
 * with separators, so canonical digits (which may start with 810, e.g. Japan) stay as they are.
 */
export function normaliseClientPhone(raw: string | undefined | null): string | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_INPUT_LENGTH) return undefined;
  const number = userPart(raw.trim()).trim();
  if (SERVICE_ID.test(number) || !WRITTEN_NUMBER.test(number)) return undefined;

  const international = number.startsWith('+');
  let digits = number.replace(NON_DIGITS, '');
  if (!international) {
    if (digits.startsWith('00')) digits = digits.slice(2);
    else if (digits.startsWith('810') && digits.length > 11 && digits !== number) digits = digits.slice(3);
    else if (digits.length === 10 && !digits.startsWith('0')) digits = `7${digits}`;
    // The Russian trunk form: only without `+` (`+81…` is Japan, `+852…` Hong Kong).
    else if (digits.length === 11 && digits.startsWith('8')) digits = `7${digits.slice(1)}`;
  }

  // Country codes never start with 0; E.164 allows at most 15 digits.
  if (digits.startsWith('0') || digits.length < 11 || digits.length > 15) return undefined;
  return digits;
}

/** True when `raw` normalises to a client number. */
export function isClientPhone(raw: string | undefined | null): boolean {
  return normaliseClientPhone(raw) !== undefined;
}

/**
 * The employee's PBX number, 10 digits starting with 9 (`+7 (900) 123-45-67`,
 * `8 900 123 45 67`, `tel:+79001234567` → `9001234567`), else undefined. Never throws.
 */
export function normaliseEmployeeNumber(raw: string | undefined | null): string | undefined {
  const canonical = normaliseClientPhone(raw);
  return canonical !== undefined && EMPLOYEE.test(canonical) ? canonical.slice(1) : undefined;
}

/**
 * The employee's PBX number from an Xsi `targetId`/`userId`/address of record
 * (`9001234567@mpbx.sip.beeline.ru` → `9001234567`); undefined for SIP-account ids
 * (`SIP00ABCDE00A0J@ip.beeline.ru`), call-centre/hunt-group/IVR ids and anything else.
 */
export function employeeNumberFromTargetId(targetId: string | undefined): string | undefined {
  if (typeof targetId !== 'string' || targetId.length > MAX_INPUT_LENGTH) return undefined;
  const user = userPart(targetId.trim());
  const at = user.indexOf('@');
  return normaliseEmployeeNumber(at === -1 ? user : user.slice(0, at));
}

/** A phone number as logs may show it: its last four digits only (personal data). */
export function maskedPhone(phone: string): string {
  const digits = phone.replace(NON_DIGITS, '');
  return digits.length <= 4 ? '…' : `…${digits.slice(-4)}`;
}
