/**
 * Outbound delivery as configuration: the queue, the event bus and the switches the functions
 * and the CDK stack share. Plain data.
 */
/** The delivery queue's URL (the relay sends to it, the delivery function reads it). */
export const DELIVERY_QUEUE_ENV = 'DELIVERY_QUEUE_URL';
/** The EventBridge bus outbound events are also put on (AWS only; unset = none). */
export const EVENT_BUS_ENV = 'EVENT_BUS_NAME';
/** `source` of the events on the bus. */
export const EVENT_BUS_SOURCE = 'beeline.telephony';
/** `true` lets receivers be on this machine (`http://127.0.0.1…`): the local stack only, never on AWS. */
export const DELIVERY_LOOPBACK_ENV = 'DELIVERY_ALLOW_LOOPBACK';
/** The stream records the relay reads: new outbound event items (they carry this item type). */
export const OUTBOUND_EVENT_ITEM_TYPE = 'outbound-event';
export const OUTBOUND_EVENT_STREAM_FILTER = { eventName: 'INSERT', attribute: 'itemType', value: OUTBOUND_EVENT_ITEM_TYPE } as const;
