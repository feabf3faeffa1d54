/**
 * What one job costs in requests, counted at the wire: checkouts through the local stack's API,
 * the emulators and the simulator in processes of their own behind metering proxies (meter.ts),
 * merchant events delivered to an endpoint that accepts them, Hyperswitch's webhooks coming back.
 * Everything the functions write to stdout is kept to count log bytes; the stack's local lines
 * (its pollers, its per-invocation reports) are not the functions' and are counted apart.
 */
import { LOCAL_API_KEYS } from '../local/stack';
import { eventually, startStackProcess } from '../local/stack-process';
import baselineCounts from './baseline-counts.json';
import { costPerMillion, PRICES_DATE, total } from './cost';
import { record, round } from './figures';
import { merchantEndpoint } from './merchant-endpoint';
import { Meter } from './meter';

export type JobKind = 'vault' | 'charge';

/** Per job, averaged over the jobs of one run. */
export interface JobCounts {
  jobs: number;
  /** The job table's job and hold items: what the intake and the worker write. */
  dynamodbWrites: number;
  dynamodbReads: number;
  dynamodbWriteUnits: number;
  dynamodbReadUnits: number;
  /** Events: event items (a new one is also written to the two event indexes) and webhook receipts. */
  events: number;
  eventWrites: number;
  eventWriteUnits: number;
  receiptWrites: number;
  receiptReads: number;
  /** SQS requests that move messages (sends, deletes, visibility changes, receives that got some). */
  sqsRequests: number;
  /** API Gateway requests: the checkout, and Hyperswitch's webhooks. */
  apiRequests: number;
  /** Lambda invocations, and GB-seconds at each function's memory (duration rounded up to the ms). */
  invocations: number;
  gbSeconds: number;
  /** Bytes the functions wrote to stdout: log lines and EMF metric lines. */
  logBytes: number;
  emfBytes: number;
  logLines: number;
}

const body = (kind: JobKind) => ({
  customer: { name: 'Jane Doe', email: 'jane@example.com' },
  card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe' },
  ...(kind === 'charge' ? { charge: { amount: 6540, currency: 'USD' } } : {}),
});

/** Waits until `read` stops changing for `quietMs`. */
async function quiet(read: () => number, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error('the stack did not go quiet');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = read();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

/**
 * The production settings of the parts that decide how often the record is written: the lease and
 * the call budget (so a create's intent stays fresh as long as in AWS), the settle time, the visibility.
 */
const PRODUCTION_TIMING = {
  LOCAL_JOB_LEASE_SECONDS: '45',
  LOCAL_VISIBILITY_TIMEOUT_SECONDS: '180',
  HYPERSWITCH_TIMEOUT_MS: '10000',
  HYPERSWITCH_MAX_RETRY_AFTER_MS: '5000',
  HYPERSWITCH_SETTLE_MS: '30000',
};

export async function countJobs(kind: JobKind, jobs: number, env: Record<string, string> = {}): Promise<JobCounts> {
  const endpoint = await merchantEndpoint();
  const meters: { dynamoDb?: Meter; sqs?: Meter } = {};
  const stack = await startStackProcess(
    { ...PRODUCTION_TIMING, S2S_VAULT_WEBHOOK_URL: endpoint.url, LOCAL_LAMBDA_REPORT: '1', ...env },
    {
      apart: true,
      via: async ({ sqs, dynamoDb }) => {
        const [sqsMeter, dynamoDbMeter] = await Promise.all([Meter.start(sqs), Meter.start(dynamoDb)]);
        Object.assign(meters, { sqs: sqsMeter, dynamoDb: dynamoDbMeter });
        return { sqs: sqsMeter.url, dynamoDb: dynamoDbMeter.url };
      },
    },
  );
  try {
    const hyperswitchWebhooksBefore = (await stack.inspect()).webhooks?.webhooks ?? 0;
    meters.dynamoDb!.reset();
    meters.sqs!.reset();
    const outputBefore = stack.output().length;
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      const response = await stack.request('/checkouts', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEYS.publishable}` },
        body: JSON.stringify(body(kind)),
      });
      if (response.status !== 202) throw new Error(`checkout answered ${response.status}: ${response.text}`);
      ids.push(response.body.job_id as string);
    }
    const wanted = new Set(ids);
    // Read through the meters' backs (a scan is the bench's, not the stack's): wait, then count.
    await eventually(async () => (await stack.jobs()).filter((job) => wanted.has(job.job_id) && job.status === 'succeeded').length, (n) => n === jobs, 300_000, 1_000);
    await quiet(() => endpoint.received() + stack.output().length, 3_000, 120_000);
    const hyperswitchWebhooks = ((await stack.inspect()).webhooks?.webhooks ?? 0) - hyperswitchWebhooksBefore;

    const lines = stack.output().slice(outputBefore).split('\n').filter(Boolean);
    const ours = lines.filter((line) => !line.startsWith('{"component":"local-'));
    const reports = lines.filter((line) => line.startsWith('{"component":"local-lambda"')).map((line) => JSON.parse(line) as { durationMs: number; memoryMB: number });
    const bytes = (set: string[]) => set.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    const emf = ours.filter((line) => line.startsWith('{"_aws"'));
    const dynamoDb = meters.dynamoDb!;
    const sqs = meters.sqs!;
    const writes = dynamoDb.dynamoDb('write', ['job', 'hold']);
    const reads = dynamoDb.dynamoDb('read', ['job', 'hold']);
    const eventWrites = dynamoDb.dynamoDb('write', ['event']);
    const events = dynamoDb.counts.get('PutItem:event')?.requests ?? 0;
    const per = (n: number) => n / jobs;
    return {
      jobs,
      dynamodbWrites: per(writes.requests),
      dynamodbReads: per(reads.requests),
      dynamodbWriteUnits: per(writes.units),
      dynamodbReadUnits: per(reads.units),
      events: per(events),
      eventWrites: per(eventWrites.requests),
      // Each new event is also written to the two event indexes (keys and type: a unit each); its
      // delivery updates change neither, so they are the table's alone (lib/events/store.ts).
      eventWriteUnits: per(eventWrites.units + 2 * events),
      receiptWrites: per(dynamoDb.dynamoDb('write', ['receipt']).requests),
      receiptReads: per(dynamoDb.dynamoDb('read', ['receipt', 'event']).requests),
      sqsRequests: per(sqs.requests(['SendMessage', 'SendMessageBatch', 'DeleteMessage', 'DeleteMessageBatch', 'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch']) + sqs.nonEmptyReceives),
      apiRequests: per(jobs + hyperswitchWebhooks),
      invocations: per(reports.length),
      gbSeconds: per(reports.reduce((sum, report) => sum + (Math.ceil(report.durationMs) / 1000) * (report.memoryMB / 1024), 0)),
      logBytes: per(bytes(ours)),
      emfBytes: per(bytes(emf)),
      logLines: per(ours.length),
    };
  } finally {
    await stack.stop();
    await Promise.all([meters.dynamoDb?.stop(), meters.sqs?.stop(), endpoint.close()]);
  }
}

/** Counts of a vault-only and a charged job: DynamoDB requests, events, log bytes, and what a million cost. */
export async function perJobCounts(jobs: number): Promise<void> {
  const measured: Record<JobKind, JobCounts> = { vault: await countJobs('vault', jobs), charge: await countJobs('charge', jobs) };
  const baseline = baselineCounts.counts as Record<JobKind, JobCounts>;
  const targets: Record<JobKind, number> = { vault: 4, charge: 5 };
  for (const kind of ['vault', 'charge'] as const) {
    const ours = measured[kind];
    const before = baseline[kind];
    record({ name: `dynamodb_writes_per_job_${kind}`, ours: round(ours.dynamodbWrites), baseline: before.dynamodbWrites, target: `≤ ${targets[kind]}`, met: ours.dynamodbWrites <= targets[kind], unit: 'writes / job', detail: `intake and worker, counted at the wire over ${ours.jobs} checkouts; baseline: ${baselineCounts.design}` });
    record({ name: `dynamodb_reads_per_job_${kind}`, ours: round(ours.dynamodbReads), baseline: before.dynamodbReads, target: 'report', met: true, unit: 'reads / job', detail: 'the job table (jobs, holds), all functions' });
  }
  const charge = measured.charge;
  record({
    name: 'dynamodb_writes_per_event',
    ours: round(charge.eventWrites / charge.events),
    baseline: round(baseline.charge.eventWrites / baseline.charge.events),
    target: 'report',
    met: true,
    unit: 'writes / event',
    detail: `${round(charge.events)} events per charged job: a put (also in both event indexes), an update per delivery attempt; ${round(charge.eventWriteUnits / charge.events)} WRU per event (before: ${round(baseline.charge.eventWriteUnits / baseline.charge.events)}); receipts of Hyperswitch webhooks ${round(charge.receiptWrites)} write(s) per job`,
  });
  const logLines = charge.logBytes - charge.emfBytes;
  const baselineLogLines = baseline.charge.logBytes - baseline.charge.emfBytes;
  record({ name: 'log_bytes_per_job', ours: round(logLines, 0), baseline: round(baselineLogLines, 0), target: '≤ 1500 B (charged job, INFO)', met: logLines <= 1500, unit: 'bytes / job', detail: `log lines of every function a charged job runs through, ${round(charge.logLines, 1)} lines with metrics; metric (EMF) lines in metric_bytes_per_job` });
  record({ name: 'metric_bytes_per_job', ours: round(charge.emfBytes, 0), baseline: round(baseline.charge.emfBytes, 0), target: 'report (billed as log ingestion)', met: true, unit: 'bytes / job', detail: 'EMF lines, packed per invocation' });
  for (const kind of ['vault', 'charge'] as const) {
    const lines = costPerMillion(measured[kind]);
    const before = total(costPerMillion(baseline[kind]));
    const ours = total(lines);
    record({
      name: `cost_per_million_jobs_${kind}`,
      ours,
      baseline: before,
      target: 'below the design before (recorded counts)',
      met: ours < before,
      unit: 'USD / million jobs',
      detail: `prices of ${PRICES_DATE} (bench/prices.json), Hyperswitch's fees not included: ${lines.filter((line) => line.usd > 0).map((line) => `${line.item} ${line.usd}`).join(', ')}`,
    });
  }
}
