/**
 * Schema of `XsiEvent`: checks what the parser maps from XML and what the processor reads back
 * from the queue. In a module of its own so the processor does not bundle the XML parser.
 * Strict about types; unknown keys are stripped (not rejected) so a newer producer does not
 * break an older consumer.
 */
import * as z from './schema';
import { CALL_EVENT_TYPES, MAX_CALLS_PER_EVENT, MAX_EPOCH_MS, MAX_ID_CHARS, MAX_REDIRECTIONS, MAX_TEXT_CHARS, type XsiEvent } from './xsi-event';

/**
 * Every field is bounded: ids become parts of item keys and queued messages, and nothing a
 * sender writes may make either too large. Real ids are far shorter (UUIDs, `callhalf-…:0`).
 */
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const id = text(MAX_ID_CHARS);
const optionalId = z.optional(id);
const optionalText = z.optional(text(MAX_TEXT_CHARS));
/** Epoch ms up to 2100-01-01: beyond that a time is not a time (and would break date formatting). */
const epochMs = z.int().check(z.nonnegative(), z.maximum(MAX_EPOCH_MS));

const envelopeSchema = z.object({
  eventId: id,
  sequenceNumber: z.optional(z.int().check(z.nonnegative())),
  userId: optionalText,
  externalApplicationId: optionalText,
  subscriptionId: optionalId,
  targetId: optionalText,
  eventType: text(MAX_ID_CHARS),
});

const remotePartySchema = z.object({
  name: optionalText,
  address: optionalText,
  countryCode: optionalText,
  userDN: optionalText,
  userId: optionalText,
  callType: optionalText,
  privacy: z.boolean(),
});

const redirectionSchema = z.object({
  address: optionalText,
  userId: optionalText,
  userDN: optionalText,
  callType: optionalText,
  reason: optionalText,
});

const callSchema = z.object({
  callId: id,
  extTrackingId: id,
  networkCallId: optionalText,
  personality: optionalText,
  state: optionalText,
  remoteParty: z.optional(remotePartySchema),
  endpointAddressOfRecord: optionalText,
  releasingParty: optionalText,
  internalReleaseCause: optionalText,
  redirections: z.array(redirectionSchema).check(z.maxLength(MAX_REDIRECTIONS)),
  acdCall: z.boolean(),
  huntGroupUserId: optionalText,
  startTime: z.optional(epochMs),
  answerTime: z.optional(epochMs),
  releaseTime: z.optional(epochMs),
  recorded: z.boolean(),
  recordingState: optionalText,
});

export const xsiEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('call'),
    envelope: envelopeSchema,
    type: z.enum(CALL_EVENT_TYPES),
    call: callSchema,
    otherCalls: z.optional(z.array(callSchema).check(z.maxLength(MAX_CALLS_PER_EVENT - 1))),
  }),
  z.object({ kind: z.literal('subscriptionTerminated'), envelope: envelopeSchema }),
  z.object({
    kind: z.literal('ignored'),
    envelope: envelopeSchema,
    type: text(MAX_ID_CHARS),
    call: z.optional(callSchema),
  }),
]);

// Compile-time proof that the schema and the hand-written types describe the same thing.
type SchemaEvent = z.infer<typeof xsiEventSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTypes: Same<SchemaEvent, XsiEvent> = true;
void schemaMatchesTypes;
