/** How the client's number is written in the PBX request. */
import { DEFAULT_NUMBER_FORMAT, NUMBER_FORMATS, type NumberFormat } from '../../contracts/click-to-call';
import type { Environment } from '../../environment';

export { DEFAULT_NUMBER_FORMAT, NUMBER_FORMATS, type NumberFormat };

/** A canonical client number (digits, country code first) in the given format. */
export function formatPhoneNumber(canonical: string, format: NumberFormat): string {
  switch (format) {
    case 'canonical':
      return canonical;
    case 'plus':
      return `+${canonical}`;
    case 'national':
      return /^7[0-9]{10}$/.test(canonical) ? canonical.slice(1) : canonical;
    case 'trunk':
      return /^7[0-9]{10}$/.test(canonical) ? `8${canonical.slice(1)}` : canonical;
  }
}

/** `CLICK_TO_CALL_NUMBER_FORMAT` (default `national`); anything else is a configuration error. */
export function numberFormatFrom(env: Environment): NumberFormat {
  const raw = env.CLICK_TO_CALL_NUMBER_FORMAT?.trim() || DEFAULT_NUMBER_FORMAT;
  if (!(NUMBER_FORMATS as readonly string[]).includes(raw)) {
    throw new Error(`configuration: CLICK_TO_CALL_NUMBER_FORMAT must be one of ${NUMBER_FORMATS.join(', ')}, got "${raw}"`);
  }
  return raw as NumberFormat;
}
