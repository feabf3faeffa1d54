/**
 * Metrics in CloudWatch's embedded metric format (EMF): JSON lines on stdout beside the logs,
 * turned into metrics by CloudWatch Logs — no API call, no extra latency. Written here rather than
 * with Powertools Metrics, which puts one dimension set in a document: an invocation's metrics are
 * gathered and written at its end in as few lines as their dimensions allow (`documents`), a fifth
 * of the bytes. Every metric keeps its own dimensions, and dimensions stay low-cardinality: stage, route,
 * operation, status, an error code — never a job, customer or payment-method id, nothing about a
 * card. A value that looks like an id (or is too long) is recorded as `other`: a metric never
 * breaks the flow it measures, and never multiplies the bill by the number of jobs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 's2s-vault';
/** On every metric, as Powertools set them: the service, and the stage. */
const BASE_DIMENSIONS = { service: process.env.POWERTOOLS_SERVICE_NAME ?? 's2s-vault', stage: process.env.STAGE ?? 'local' };

export type MetricName =
  | 'ColdStart'
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

type Unit = 'Count' | 'Milliseconds';

/** The values of one metric under one set of dimension values, gathered over an invocation. */
interface Series {
  name: MetricName;
  unit: Unit;
  dimensions: Dimensions;
  values: number[];
}

/** While an invocation runs (`collectMetrics`): its series, by metric and dimension values. */
const invocation = new AsyncLocalStorage<Map<string, Series>>();

function emit(name: MetricName, unit: Unit, value: number, dimensions: Dimensions): void {
  const clean: Dimensions = { ...BASE_DIMENSIONS };
  for (const [dimension, dimensionValue] of Object.entries(dimensions)) clean[dimension] = LOW_CARDINALITY.test(dimensionValue) ? dimensionValue : 'other';
  const series: Series = { name, unit, dimensions: clean, values: [value] };
  const open = invocation.getStore();
  if (!open) return write(documents([series]));
  const key = JSON.stringify([name, Object.entries(clean).sort()]);
  const existing = open.get(key);
  if (existing && existing.values.length < MAX_VALUES) return void existing.values.push(value);
  // A full series is kept under a key of its own; the series that takes the next values is the new one.
  if (existing) open.set(`${key}#${open.size}`, existing);
  open.set(key, series);
}

/** EMF takes up to 100 values of a metric in one document. */
const MAX_VALUES = 100;

/**
 * Series packed into as few EMF documents as their dimension values allow. One document may hold
 * several metric directives, each with its own dimension set, as long as every property has one
 * value in it (a dimension's value, a metric's values): a Hyperswitch call's count, its count by
 * operation and its latency, the step's duration and a cold start share a line. Per invocation that
 * is a few lines instead of one per value — most of a job's log bytes were metric lines.
 */
function documents(series: Series[]): Array<Record<string, unknown>> {
  const docs: Array<{ root: Record<string, unknown>; directives: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: Unit }> }> }> = [];
  for (const one of series) {
    const fits = (root: Record<string, unknown>) => !(one.name in root) && Object.entries(one.dimensions).every(([key, value]) => root[key] === undefined || root[key] === value);
    let doc = docs.find((candidate) => fits(candidate.root));
    if (!doc) docs.push((doc = { root: {}, directives: [] }));
    Object.assign(doc.root, one.dimensions, { [one.name]: one.values.length === 1 ? one.values[0] : one.values });
    doc.directives.push({ Namespace: NAMESPACE, Dimensions: [Object.keys(one.dimensions)], Metrics: [{ Name: one.name, Unit: one.unit }] });
  }
  return docs.map(({ root, directives }) => ({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: directives }, ...root }));
}

/**
 * One write for all the documents: each is a line of its own, and Lambda makes a log event of each
 * line written to stdout (so CloudWatch extracts each document), while every write is a syscall on
 * the invocation's path.
 */
function write(docs: Array<Record<string, unknown>>): void {
  if (docs.length > 0) process.stdout.write(docs.map((doc) => `${JSON.stringify(doc)}\n`).join(''));
}

/**
 * Runs one invocation with its metrics gathered and written at its end, packed (`documents`); a
 * metric recorded outside an invocation is written at once.
 */
export async function collectMetrics<T>(fn: () => Promise<T>): Promise<T> {
  const series = new Map<string, Series>();
  try {
    return await invocation.run(series, fn);
  } finally {
    write(documents([...series.values()]));
  }
}

let coldStart = true;

/** Counts the container's first invocation (`ColdStart` {function_name}), as Powertools did. */
export function countColdStart(functionName: string): void {
  if (!coldStart) return;
  coldStart = false;
  emit('ColdStart', 'Count', 1, { function_name: functionName });
}

export const count = (name: MetricName, dimensions: Dimensions = {}): void => emit(name, 'Count', 1, dimensions);

export const milliseconds = (name: MetricName, value: number, dimensions: Dimensions = {}): void => emit(name, 'Milliseconds', Math.max(0, Math.round(value)), dimensions);

/**
 * The class of an HTTP status for a dimension: `2xx`…`5xx`, `429` apart (a rate limit is not a bad
 * request), or `none` when no answer came (a timeout, a reset).
 */
export const statusClass = (status: number | undefined): string => (status === undefined ? 'none' : status === 429 ? '429' : `${Math.floor(status / 100)}xx`);
