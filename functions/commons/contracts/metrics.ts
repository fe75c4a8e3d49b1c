/**
 * Business metrics (CloudWatch EMF): their names, and which function emits each. The alarms and
 * the dashboard read a metric only from the functions listed; a function can count only the
 * metrics listed for it (adapters/metrics.ts types it so).
 */
import type { FunctionKey } from './functions';

export const METRICS_NAMESPACE = 'BeelineTelephony';
/**
 * Every business metric carries the stage beside `service`, so two stages in one account never
 * share a metric (dev's failures never fire prod's alarms); each function's stage is in this
 * environment variable, `local` when unset (the local stack and tests).
 */
export const STAGE_DIMENSION = 'stage';
export const STAGE_ENV = 'STAGE';
export const LOCAL_STAGE = 'local';

export const METRIC = {
  webhookAccepted: 'WebhookAccepted',
  webhookRejected: 'WebhookRejected',
  webhookNotQueued: 'WebhookNotQueued',
  eventProcessed: 'EventProcessed',
  eventDuplicate: 'EventDuplicate',
  eventForeign: 'EventForeign',
  callAnswered: 'CallAnswered',
  callMissed: 'CallMissed',
  callWithoutClient: 'CallWithoutClient',
  clientCreated: 'ClientCreated',
  callsRecovered: 'CallsRecovered',
  recordLinkFound: 'RecordLinkFound',
  recordGaveUp: 'RecordGaveUp',
  subscriptionActive: 'SubscriptionActive',
  subscriptionFailed: 'SubscriptionFailed',
  subscriptionTerminated: 'SubscriptionTerminated',
  renewalsQueued: 'RenewalsQueued',
  quietEmployees: 'QuietEmployees',
  callStarted: 'CallStarted',
  callStartFailed: 'CallStartFailed',
  /** Failures that are not the caller's: the PBX failed or refused, or this product did (the alarm's). */
  callStartError: 'CallStartError',
  deliveryDelivered: 'DeliveryDelivered',
  deliveryRetried: 'DeliveryRetried',
  deliveryFailed: 'DeliveryFailed',
} as const;
export type MetricKey = keyof typeof METRIC;
export type MetricName = (typeof METRIC)[MetricKey];

export const METRIC_EMITTERS = {
  webhookAccepted: ['ingest'],
  webhookRejected: ['ingest'],
  webhookNotQueued: ['ingest'],
  eventProcessed: ['processor'],
  eventDuplicate: ['processor'],
  eventForeign: ['processor'],
  callAnswered: ['processor'],
  callMissed: ['processor'],
  callWithoutClient: ['processor'],
  clientCreated: ['processor'],
  callsRecovered: ['processor'],
  recordLinkFound: ['processor'],
  recordGaveUp: ['processor'],
  subscriptionActive: ['processor', 'subscription'],
  subscriptionFailed: ['processor', 'subscription'],
  subscriptionTerminated: ['processor'],
  renewalsQueued: ['sweeper'],
  quietEmployees: ['sweeper'],
  callStarted: ['callback'],
  callStartFailed: ['callback'],
  callStartError: ['callback'],
  deliveryDelivered: ['delivery'],
  deliveryRetried: ['delivery'],
  deliveryFailed: ['delivery'],
} as const satisfies Record<MetricKey, readonly FunctionKey[]>;

/** The metrics function `F` may count. */
export type MetricOf<F extends FunctionKey> = { [K in MetricKey]: F extends (typeof METRIC_EMITTERS)[K][number] ? K : never }[MetricKey];
