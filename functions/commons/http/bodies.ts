/**
 * The JSON bodies the HTTP routes accept, as the schemas the handlers validate with. The API
 * reference (docs/openapi.json, `npm run openapi`) is generated from the same schemas, so the two
 * cannot drift.
 */
import { KEY_SCOPES } from '../domain/access';
import { CAPTURE_MAX_MINUTES } from '../domain/capture';
import { MAX_DELIVERY_URL_CHARS } from '../domain/delivery';
import { isValidTimeZone } from '../domain/effects';
import { normaliseClientPhone } from '../domain/phone';
import { MAX_MISSED_CALL_RETURN_MINUTES } from '../domain/clients';
import { BEELINE_CALL_METHOD } from '../domain/subscriptions';
import * as z from '../domain/schema';
import type { RouteName } from './routes';

const channel = z.string().check(z.regex(/^[a-z][a-z0-9_]{0,31}$/, 'channel must be a lower-case channel name such as telephony or whatsapp'));

export const projectBody = z.strictObject({
  name: z.optional(z.string().check(z.maxLength(200))),
  timezone: z.optional(z.string().check(z.maxLength(64), z.refine(isValidTimeZone, 'timezone must be an IANA time zone name such as Europe/Moscow'))),
  messengers: z.optional(z.array(channel).check(z.maxLength(20))),
  missedCallReturnMinutes: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_MISSED_CALL_RETURN_MINUTES))),
});

export const MAX_VARIABLES_BYTES = 64 * 1024;
export const clientBody = z
  .strictObject({
    channel,
    phone: z.optional(z.string().check(z.maxLength(64))),
    variables: z.optional(z.record(z.string().check(z.minLength(1), z.maxLength(128)), z.string().check(z.maxLength(4096)))),
  })
  .check(
    z.refine((body) => Object.keys(body.variables ?? {}).length <= 200, 'variables: at most 200 variables'),
    // A client is one item (DynamoDB's limit is 400 KB) that every call of it rewrites: its
    // variables stay far below, so a call can always be finalized.
    z.refine((body) => Buffer.byteLength(JSON.stringify(body.variables ?? {}), 'utf8') <= MAX_VARIABLES_BYTES, `variables: at most ${MAX_VARIABLES_BYTES / 1024} KB in total`),
  );

export const keyBody = z.strictObject({
  scope: z.enum(KEY_SCOPES),
  name: z.optional(z.string().check(z.maxLength(100), z.regex(/^[^\u0000-\u001f\u007f]*$/, 'name: no control characters'))),
});

export const captureBody = z.strictObject({ minutes: z.int().check(z.minimum(1), z.maximum(CAPTURE_MAX_MINUTES)) });

export const connectBody = z.strictObject({
  apiToken: z.string().check(
    z.trim(),
    z.minLength(8, 'apiToken: the PBX API token is required'),
    z.maxLength(256),
    // It travels in an HTTP header: printable ASCII only.
    z.regex(/^[\x21-\x7e]+$/, 'apiToken: only printable ASCII characters, no spaces'),
  ),
});

export const watchBody = z.strictObject({ wholePbx: z.boolean() });

export const employeeBody = z.strictObject({
  name: z.optional(z.string().check(z.maxLength(200))),
  callMethod: z.enum([BEELINE_CALL_METHOD, 'none']),
  beelineNumber: z.optional(z.string().check(z.maxLength(64))),
});

const CLIENT_PHONE_HINT = 'the client\'s phone number as a string, e.g. "79220001122"';
const USER_HINT = 'the employee\'s PBX number as a string of 10 digits starting with 9, e.g. "9333221100" (a SIP account\'s extension, e.g. "101")';

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const typed = (hint: string) => (issue: { input?: unknown }) => (issue.input === undefined ? `required (${hint})` : `must be ${hint} (got ${jsonType(issue.input)})`);

/** `beeline_call` (its messages are what the bot engine shows: each names what is expected). */
export const callBody = z.strictObject({
  client_phone: z
    .string({ error: typed(CLIENT_PHONE_HINT) })
    .check(z.refine((value) => normaliseClientPhone(value) !== undefined, 'not a client phone number (expected e.g. "79220001122"; extensions and short numbers are not client numbers)')),
  user: z.string({ error: typed(USER_HINT) }).check(z.regex(/^(9[0-9]{9}|[0-9]{2,6})$/, `must be ${USER_HINT}`)),
});

/** The receiver of outbound events; its scheme and host are checked by the delivery rules (domain/delivery.ts). */
export const deliveryBody = z.strictObject({
  url: z.string().check(z.minLength(1), z.maxLength(MAX_DELIVERY_URL_CHARS)),
  rotateSecret: z.optional(z.boolean()),
});

/** Each route that takes a JSON body, and its schema. */
export const REQUEST_BODIES: Partial<Record<RouteName, z.ZodMiniType>> = {
  putProject: projectBody,
  putClient: clientBody,
  createKey: keyBody,
  startCapture: captureBody,
  connectPbx: connectBody,
  putWatch: watchBody,
  putEmployee: employeeBody,
  beelineCall: callBody,
  putDelivery: deliveryBody,
};
