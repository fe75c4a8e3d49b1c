/**
 * Business metrics as CloudWatch EMF through Powertools. Names and emitters are in
 * contracts/metrics.ts (the alarms and the dashboard read the same); a function's sink takes only
 * the metrics listed for that function.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FUNCTIONS, type FunctionKey } from '../contracts/functions';
import { LOCAL_STAGE, METRIC, METRICS_NAMESPACE, type MetricOf, STAGE_DIMENSION, STAGE_ENV } from '../contracts/metrics';
import type { Environment } from '../environment';

export interface MetricsSink<K extends string> {
  count(metric: K, value?: number): void;
  /** Flushes the invocation's metrics (one EMF line). */
  publish(): void;
}

export function createMetrics<F extends FunctionKey>(fn: F, env: Environment): MetricsSink<MetricOf<F>> {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: FUNCTIONS[fn].serviceName,
    defaultDimensions: { [STAGE_DIMENSION]: env[STAGE_ENV] || LOCAL_STAGE },
  });
  let pending = false;
  return {
    count: (metric, value = 1) => {
      metrics.addMetric(METRIC[metric], MetricUnit.Count, value);
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
