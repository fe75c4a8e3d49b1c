/** The number formats `CLICK_TO_CALL_NUMBER_FORMAT` (and the CDK context `clickToCallNumberFormat`) accept. */
/**
 * How the client's number is sent to the PBX as `phoneNumber` (the accepted formats are not
 * documented, so it is configurable): `canonical` `79161234567`, `national` `9161234567`
 * (10 digits for numbers of zone +7; other countries stay `375291234567`), `trunk` `89161234567`
 * (zone +7 dialled with the trunk prefix 8; other countries stay as they are), `plus` `+79161234567`.
 */
export const NUMBER_FORMATS = ['canonical', 'national', 'trunk', 'plus'] as const;
export type NumberFormat = (typeof NUMBER_FORMATS)[number];
/** 10-digit national: what the evidence supports best (a `7…` number was reported never to arrive). */
export const DEFAULT_NUMBER_FORMAT: NumberFormat = 'national';
