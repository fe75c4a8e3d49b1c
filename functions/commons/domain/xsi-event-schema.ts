/**
 * Schema of `XsiEvent`: checks what the parser maps from XML and what the processor reads back
 * from the queue. In a module of its own so the processor does not bundle the XML parser.
 * Strict about types; unknown keys are stripped (not rejected) so a newer producer does not
 * break an older consumer.
 */
import * as z from '../schema';
import { CALL_EVENT_TYPES, MAX_CALLS_PER_EVENT, type XsiEvent } from './xsi-event';

const text = z.string().check(z.minLength(1));
const optionalText = z.optional(text);
const epochMs = z.int().check(z.nonnegative());

const envelopeSchema = z.object({
  eventId: text,
  sequenceNumber: z.optional(z.int().check(z.nonnegative())),
  userId: optionalText,
  externalApplicationId: optionalText,
  subscriptionId: optionalText,
  targetId: optionalText,
  eventType: text,
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
  callId: text,
  extTrackingId: text,
  networkCallId: optionalText,
  personality: optionalText,
  state: optionalText,
  remoteParty: z.optional(remotePartySchema),
  endpointAddressOfRecord: optionalText,
  releasingParty: optionalText,
  internalReleaseCause: optionalText,
  redirections: z.array(redirectionSchema),
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
    type: text,
    call: z.optional(callSchema),
  }),
]);

// Compile-time proof that the schema and the hand-written types describe the same thing.
type SchemaEvent = z.infer<typeof xsiEventSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTypes: Same<SchemaEvent, XsiEvent> = true;
void schemaMatchesTypes;
