/**
 * Business metrics as CloudWatch EMF through Powertools. The names here are what the alarms and
 * the dashboard in lib/ refer to: one list, so they cannot drift.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'BeelineTelephony';

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
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface MetricsSink {
  count(name: MetricName, value?: number): void;
  /** Flushes the invocation's metrics (one EMF line). */
  publish(): void;
}

export function createMetrics(serviceName: string): MetricsSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  let pending = false;
  return {
    count: (name, value = 1) => {
      metrics.addMetric(name, MetricUnit.Count, value);
      pending = true;
    },
    // Publishing nothing makes Powertools warn on every such invocation: skip it.
    publish: () => {
      if (!pending) return;
      pending = false;
      metrics.publishStoredMetrics();
    },
  };
}
