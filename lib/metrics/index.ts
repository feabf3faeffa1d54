/**
 * Metrics in CloudWatch's embedded metric format (Powertools Metrics): JSON lines on stdout beside
 * the logs, turned into metrics by CloudWatch Logs — no API call, no extra latency. Every metric is
 * emitted on its own with its own dimensions, and dimensions stay low-cardinality: stage, route,
 * operation, status, an error code — never a job, customer or payment-method id, nothing about a
 * card. A value that looks like an id (or is too long) is recorded as `other`: a metric never
 * breaks the flow it measures, and never multiplies the bill by the number of jobs.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 's2s-vault',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 's2s-vault',
  defaultDimensions: { stage: process.env.STAGE ?? 'local' },
});

export type MetricName =
  | 'JobsAccepted'
  | 'ApiErrors'
  | 'JobsFinished'
  | 'JobFailures'
  | 'JobLatency'
  | 'StepDuration'
  | 'HyperswitchCalls'
  | 'HyperswitchCallsByOperation'
  | 'HyperswitchLatency'
  | 'HyperswitchRetries'
  | 'RateLimiterWait'
  | 'Redeliveries'
  | 'DeadLetters'
  | 'PlainCardDrops'
  | 'WebhookDeliveries'
  | 'WebhookDeliveryLatency'
  | 'HyperswitchWebhooks';

export type Dimensions = Record<string, string>;

// Short words, route keys and codes; never ids (long runs of hex or digits) or anything longer.
const LOW_CARDINALITY = /^(?![^]*[0-9a-f]{8})[A-Za-z0-9_./{} -]{1,64}$/;

function emit(name: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, dimensions: Dimensions): void {
  const single = metrics.singleMetric();
  for (const [dimension, dimensionValue] of Object.entries(dimensions)) single.addDimension(dimension, LOW_CARDINALITY.test(dimensionValue) ? dimensionValue : 'other');
  single.addMetric(name, unit, value);
}

export const count = (name: MetricName, dimensions: Dimensions = {}): void => emit(name, MetricUnit.Count, 1, dimensions);

export const milliseconds = (name: MetricName, value: number, dimensions: Dimensions = {}): void => emit(name, MetricUnit.Milliseconds, Math.max(0, Math.round(value)), dimensions);

/**
 * The class of an HTTP status for a dimension: `2xx`…`5xx`, `429` apart (a rate limit is not a bad
 * request), or `none` when no answer came (a timeout, a reset).
 */
export const statusClass = (status: number | undefined): string => (status === undefined ? 'none' : status === 429 ? '429' : `${Math.floor(status / 100)}xx`);
