import { describe, it, expect } from 'vitest';
import { employeeNumberFromTargetId, isClientPhone, normaliseClientPhone, normaliseEmployeeNumber } from '../../functions/commons/domain/phone';

const CLIENT_NUMBERS: [raw: string, canonical: string][] = [
  // Written with `+`: international as written, never the Russian trunk form (§3)
  ['+81 3 1234 5678', '81312345678'],
  ['tel:+81312345678', '81312345678'],
  ['+82 2 1234 5678', '82212345678'],
  ['+84 912 345 678', '84912345678'],
  ['+852 1234 5678', '85212345678'],
  ['sip:+86 10 1234 5678@host', '861012345678'],
  // URIs
  ['tel:+79161234567', '79161234567'],
  ['sip:+79161234567@host', '79161234567'],
  ['sip:+79161234567@mpbx.sip.beeline.ru;user=phone', '79161234567'],
  ['sips:+79161234567@host', '79161234567'],
  ['SIP:+79161234567@host', '79161234567'],
  ['tel:+79161234567;ext=200', '79161234567'],
  ['tel:+7-916-123-45-67', '79161234567'],
  ['tel:89161234567', '79161234567'],
  ['sip:9161234567@host', '79161234567'],
  ['tel:+375291234567', '375291234567'],
  // Russian national formats
  ['8 (916) 123-45-67', '79161234567'],
  ['89161234567', '79161234567'],
  ['9161234567', '79161234567'],
  ['(916) 123-45-67', '79161234567'],
  ['4951112233', '74951112233'],
  ['8 800 123-45-67', '78001234567'],
  // Russian international formats
  ['+7 916 123 45 67', '79161234567'],
  ['+7 (916) 123-45-67', '79161234567'],
  ['7-916-123-45-67', '79161234567'],
  ['79161234567', '79161234567'],
  ['  79161234567\n', '79161234567'],
  ['+7\u00a0916\u00a0123\u00a045\u00a067', '79161234567'],
  ['7.916.123.45.67', '79161234567'],
  // Other countries
  ['+375 29 123-45-67', '375291234567'],
  ['375291234567', '375291234567'],
  ['00375291234567', '375291234567'],
  ['00 375 29 123 45 67', '375291234567'],
  ['8 10 375 29 123 45 67', '375291234567'],
  ['+49 30 12345678', '493012345678'],
  ['+123456789012345', '123456789012345'], // 15 digits: E.164 maximum
];

const NOT_CLIENT_NUMBERS: [raw: string | undefined | null, why: string][] = [
  [undefined, 'missing'],
  [null, 'missing'],
  ['', 'empty'],
  ['   ', 'blank'],
  ['anonymous', 'hidden'],
  ['Anonymous', 'hidden'],
  ['unavailable', 'hidden'],
  ['tel:anonymous', 'hidden'],
  ['sip:anonymous@host', 'hidden'],
  ['sip:anonymous@anonymous.invalid', 'hidden'],
  ['tel:', 'empty URI'],
  ['sip:@host', 'empty URI'],
  ['200', 'extension'],
  ['tel:200', 'extension'],
  ['sip:200@mpbx.sip.beeline.ru', 'extension'],
  ['12345', 'short number'],
  ['tel:;ext=200', 'extension only'],
  ['+4930123456', '10 digits with a country code is too short'],
  ['MPBX_SYS_123@ip.beeline.ru', 'service id'],
  ['MPBX_SYS_123', 'service id'],
  ['sip:MPBX_SYS_123@ip.beeline.ru', 'service id'],
  ['9001234567_hg_1@mpbx.sip.beeline.ru', 'hunt group'],
  ['sip:9001234567_hg_1@mpbx.sip.beeline.ru', 'hunt group'],
  ['9001234567_vxml@mpbx.sip.beeline.ru', 'IVR'],
  ['tel:9001234567_vxml_2', 'IVR'],
  ['abc', 'text'],
  ['SIP00ABCDE00A0J@ip.beeline.ru', 'SIP account id'],
  ['79161234567@host', 'not a URI'],
  ['+7 916 123 45 67 доб. 200', 'text'],
  ['1234567890123456', 'more than 15 digits'],
  ['+1234567890123456', 'more than 15 digits'],
  ['0079161234567890123', 'more than 15 digits after 00'],
  ['0123456789', '10 digits starting with 0'],
  ['+0 916 123 45 67', 'country code 0'],
  ['++79161234567', 'two plus signs'],
  ['7916+1234567', 'plus inside'],
  ['٩١٦١٢٣٤٥٦٧', 'Arabic-Indic digits'],
  ['７９１６１２３４５６７', 'full-width digits'],
  ['7916\u00001234567', 'NUL inside'],
  ['\u00017916123456', 'control character'],
  ['7916123456\u200b7', 'zero-width space'],
  ['-- ()', 'separators only'],
  ['9'.repeat(100_000), 'huge'],
  [`tel:+7${'1'.repeat(600)}`, 'huge URI'],
];

describe('normaliseClientPhone', () => {
  it.each(CLIENT_NUMBERS)('%j → %s', (raw, canonical) => {
    expect(normaliseClientPhone(raw)).toBe(canonical);
    expect(isClientPhone(raw)).toBe(true);
  });

  it.each(NOT_CLIENT_NUMBERS)('%j is not a client number (%s)', (raw) => {
    expect(normaliseClientPhone(raw)).toBeUndefined();
    expect(isClientPhone(raw)).toBe(false);
  });

  it('is idempotent on canonical numbers (except 11 digits starting with 8, which without `+` are the Russian trunk form)', () => {
    for (const [, canonical] of CLIENT_NUMBERS) {
      if (canonical.length === 11 && canonical.startsWith('8')) continue;
      expect(normaliseClientPhone(canonical)).toBe(canonical);
    }
    expect(normaliseClientPhone('+81312345678')).toBe('81312345678');
  });
});

describe('normaliseEmployeeNumber', () => {
  it.each([
    ['+7 (900) 123-45-67', '9001234567'],
    ['8 900 123 45 67', '9001234567'],
    ['79001234567', '9001234567'],
    ['9001234567', '9001234567'],
    ['tel:+79001234567', '9001234567'],
    ['sip:9001234567@mpbx.sip.beeline.ru', '9001234567'],
  ])('%j → %s', (raw, employee) => {
    expect(normaliseEmployeeNumber(raw)).toBe(employee);
  });

  it.each([
    undefined,
    null,
    '',
    '200',
    '74951112233', // landline, not a 9… PBX number
    '4951112233',
    '375291234567',
    '+7 900 123 45 6',
    '790012345678',
    'anonymous',
    'MPBX_SYS_123@ip.beeline.ru',
    '9001234567@mpbx.sip.beeline.ru', // a targetId: use employeeNumberFromTargetId
  ])('%j → undefined', (raw) => {
    expect(normaliseEmployeeNumber(raw)).toBeUndefined();
  });
});

describe('employeeNumberFromTargetId', () => {
  it.each([
    ['9001234567@mpbx.sip.beeline.ru', '9001234567'],
    ['9001234567@msk.ims.mnc099.mcc250.3gppnetwork.org', '9001234567'],
    ['79001234567@mpbx.sip.beeline.ru', '9001234567'],
    ['sip:9001234567@mpbx.sip.beeline.ru', '9001234567'],
    [' 9001234567@mpbx.sip.beeline.ru ', '9001234567'],
    ['9001234567', '9001234567'],
  ])('%j → %s', (targetId, employee) => {
    expect(employeeNumberFromTargetId(targetId)).toBe(employee);
  });

  it.each([
    undefined,
    '',
    '@mpbx.sip.beeline.ru',
    'SIP00ABCDE00A0J@ip.beeline.ru',
    'MPBX_SYS_123@ip.beeline.ru',
    'MPBX_E_100200_77000000001_EventSubscription@ip.beeline.ru',
    '9001234567_hg_1@mpbx.sip.beeline.ru',
    '9001234567_vxml@mpbx.sip.beeline.ru',
    '9001234567_vxml_3@mpbx.sip.beeline.ru',
    '200@mpbx.sip.beeline.ru',
    '4951112233@mpbx.sip.beeline.ru',
    'abc@mpbx.sip.beeline.ru',
  ])('%j → undefined', (targetId) => {
    expect(employeeNumberFromTargetId(targetId)).toBeUndefined();
  });
});

/** Deterministic PRNG (mulberry32) so the fuzz cases are the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function oddStrings(count: number): string[] {
  const random = prng(20261129);
  const pieces = [
    '0',
    '1',
    '7',
    '8',
    '9',
    '00',
    '+',
    '+7',
    '8 10',
    ' ',
    '-',
    '(',
    ')',
    '.',
    '@',
    ':',
    ';',
    '?',
    'tel:',
    'sip:',
    'sips:',
    'TEL:',
    '@host',
    ';ext=200',
    'ext',
    'anonymous',
    'MPBX_SYS_',
    '_hg_',
    '_vxml',
    'SIP00ABC',
    '٩',
    '７',
    '\u0000',
    '\u0001',
    '\u001f',
    '\u007f',
    '\u00a0',
    '\u200b',
    '\ud800',
    '\udfff',
    '😀',
    '\n',
    '\t',
    '\\',
    '"',
    '%',
    'é',
    'д',
    '9161234567',
    '375291234567',
  ];
  const out: string[] = ['__proto__', 'constructor', 'toString', '\u0000'.repeat(1000), '+'.repeat(10_000)];
  while (out.length < count) {
    const parts = 1 + Math.floor(random() * 12);
    let s = '';
    for (let i = 0; i < parts; i++) {
      s += random() < 0.2 ? String.fromCharCode(Math.floor(random() * 0x10000)) : (pieces[Math.floor(random() * pieces.length)] ?? '');
    }
    out.push(s);
  }
  return out;
}

describe('robustness', () => {
  const inputs = oddStrings(500);

  it('never throws and returns only canonical numbers', () => {
    for (const raw of inputs) {
      const canonical = normaliseClientPhone(raw);
      if (canonical !== undefined) {
        expect(canonical).toMatch(/^[1-9][0-9]{10,14}$/);
        expect(normaliseClientPhone(canonical)).toBe(canonical);
      }
      const employee = normaliseEmployeeNumber(raw);
      if (employee !== undefined) expect(employee).toMatch(/^9[0-9]{9}$/);
      const fromTarget = employeeNumberFromTargetId(raw);
      if (fromTarget !== undefined) expect(fromTarget).toMatch(/^9[0-9]{9}$/);
      expect(typeof isClientPhone(raw)).toBe('boolean');
    }
  });

  it('does not throw on values that are not strings at run time', () => {
    for (const value of [42, {}, [], true, Symbol('x'), () => '79161234567']) {
      expect(normaliseClientPhone(value as unknown as string)).toBeUndefined();
      expect(normaliseEmployeeNumber(value as unknown as string)).toBeUndefined();
      expect(employeeNumberFromTargetId(value as unknown as string)).toBeUndefined();
    }
  });
});
