/** SQS's limits and this product's redrive policy, for the functions, the CDK stack and the local stack. */

/** SQS caps a message's delay (settle timers, look-up back-off) at 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;
/** SQS takes messages of at most 256 KiB. */
export const MAX_QUEUED_BYTES = 256 * 1024;
/** A message failing this many receives is parked in the dead-letter queue (AWS and local). */
export const MAX_RECEIVE_COUNT = 5;
