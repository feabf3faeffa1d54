/**
 * `npm run bench [-- --json] [--only bundles,cold_starts,…]`: the performance figures, each against a baseline measured in the same
 * run, printed as a table (and with --json, one JSON array on the last line). Localhost only.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Server } from 'node:http';
import { build } from 'esbuild';
import dynalite from 'dynalite';
import { hashApiKey } from '../lib/auth';
import { HyperswitchTransport, VaultClient } from '../lib/hyperswitch';
import { DEFAULT_MAX_CHARGE_AMOUNT, sealVaultJob, vaultRequestSchema } from '../lib/jobs';
import { SIM_DEFAULTS, startSimulator } from '../local/hyperswitch-sim/server';
import { LocalSecretsManager } from '../local/secrets-manager';
import { LOCAL_API_KEYS, LOCAL_CARD_KEYS } from '../local/stack';
import { eventually, startStackProcess } from '../local/stack-process';
import baselineCounts from './baseline-counts.json';
import { costPerMillion, PRICES_DATE, total } from './cost';
import { countJobs, type JobCounts, type JobKind } from './counts';
import { treeCpuMs } from './cpu';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, '.bench');
const FUNCTIONS = ['checkout', 'charges', 'job-status', 'payment-methods', 'vault-worker', 'dead-letter'];
/** The functions whose cost with tracing on is measured: the API's hot path and the worker. */
const TRACED = ['checkout', 'vault-worker'];

export interface Figure {
  name: string;
  ours: number;
  baseline: number;
  ratio: number;
  target: string;
  met: boolean;
  unit: string;
  detail?: string;
}

const figures: Figure[] = [];
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
function record(figure: Omit<Figure, 'ratio'> & { ratio?: number }) {
  // Equal figures are a ratio of 1 (also both zero, e.g. reads a job does not make).
  const full = { ...figure, ratio: round(figure.ratio ?? (figure.ours === figure.baseline ? 1 : figure.ours / figure.baseline), 3) };
  figures.push(full);
  console.error(`  ${full.name}: ${full.ours} vs ${full.baseline} ${full.unit} (×${full.ratio}) ${full.met ? 'met' : 'NOT met'}`);
}
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
const median = (values: number[]) => percentile(values, 50);

/** A function's bundle as serverless.yml builds it; `tracing` is the stage's switch (a build-time define). */
async function bundle(fn: string, outfile: string, { sdk = 'runtime', tracing = false }: { sdk?: 'runtime' | 'bundled'; tracing?: boolean } = {}): Promise<number> {
  await build({
    entryPoints: [join(ROOT, `functions/${fn}.ts`)],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    logLevel: 'silent',
    external: sdk === 'runtime' ? ['@aws-sdk/*'] : [],
    define: { 'process.env.S2S_TRACING': JSON.stringify(String(tracing)) },
  });
  return round(statSync(outfile).size / 1024, 1);
}

/** Every function bundled as serverless.yml bundles it (SDK from the runtime), and with the SDK inside; the worker with tracing compiled in. */
async function bundles(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  for (const fn of FUNCTIONS) {
    const ours = await bundle(fn, join(OUT, `${fn}.runtime.cjs`));
    const baseline = await bundle(fn, join(OUT, `${fn}.bundled.cjs`), { sdk: 'bundled' });
    const target = fn === 'checkout' ? 400 : Infinity;
    record({ name: `bundle_kb_${fn}`, ours, baseline, target: fn === 'checkout' ? '≤ 400 KB' : 'report', met: ours <= target, unit: 'KB', detail: 'ours: SDK from the runtime; baseline: SDK bundled' });
  }
  for (const fn of TRACED) {
    const ours = await bundle(fn, join(OUT, `${fn}.traced.cjs`), { tracing: true });
    const baseline = round(statSync(join(OUT, `${fn}.runtime.cjs`)).size / 1024, 1);
    record({ name: `bundle_kb_${fn}_traced`, ours, baseline, target: 'report (decides the tracing default)', met: true, unit: 'KB', detail: `tracing compiled in vs out: +${round(ours - baseline, 1)} KB` });
  }
}

const FAKE_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench-fake',
  AWS_SECRET_ACCESS_KEY: 'bench-fake',
  JOBS_TABLE_NAME: 'bench-jobs',
  CARD_KEYS_SECRET_ID: 'bench/card-keys',
  MERCHANT_KEYS_SECRET_ID: 'bench/merchant-keys',
  HYPERSWITCH_VAULT_SECRET_ID: 'bench/vault',
  HYPERSWITCH_PAYMENT_SECRET_ID: 'bench/payment',
  VAULT_JOBS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/bench-jobs',
  WEBHOOK_DELIVERIES_QUEUE_URL: 'http://127.0.0.1:9/000000000000/bench-deliveries',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

/** A fresh Node process loading each bundle and running its init, against one loading an empty module. */
async function coldStarts(): Promise<void> {
  const empty = join(OUT, 'empty.cjs');
  writeFileSync(empty, 'module.exports = {};\n');
  const run = async (file: string, env: Record<string, string> = {}) => {
    const started = performance.now();
    await promisify(execFile)(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { cwd: ROOT, env: { ...process.env, ...FAKE_ENV, ...env } });
    return performance.now() - started;
  };
  const medianOf10 = async (file: string, env?: Record<string, string>) => {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) times.push(await run(file, env));
    return round(median(times), 1);
  };
  const baseline: number[] = [];
  for (let i = 0; i < 10; i++) baseline.push(await run(empty));
  const base = round(median(baseline), 1);
  for (const fn of FUNCTIONS) {
    const ours = await medianOf10(join(OUT, `${fn}.runtime.cjs`));
    record({ name: `cold_start_${fn}`, ours, baseline: base, target: fn === 'checkout' ? 'init overhead ≤ 150 ms' : 'report', met: fn !== 'checkout' || ours - base <= 150, unit: 'ms', detail: `init overhead ${round(ours - base, 1)} ms (median of 10)` });
  }
  // Tracing on, as in Lambda (the tracer enables itself where AWS_EXECUTION_ENV is set), against the
  // same function without it, interleaved (20 pairs) so that drift in the machine hits both alike.
  for (const fn of TRACED) {
    const traced: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < 20; i++) {
      plain.push(await run(join(OUT, `${fn}.runtime.cjs`)));
      traced.push(await run(join(OUT, `${fn}.traced.cjs`), { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }));
    }
    const ours = round(median(traced), 1);
    const without = round(median(plain), 1);
    record({ name: `cold_start_${fn}_traced`, ours, baseline: without, target: 'report (decides the tracing default)', met: true, unit: 'ms', detail: `tracing costs ${round(ours - without, 1)} ms (median of 20 interleaved pairs); init overhead traced ${round(ours - base, 1)} ms` });
  }
}

/** The emulators and secrets the in-process figures need. */
async function emulators() {
  const { startFauxqs } = await import('fauxqs');
  const sqsServer = await startFauxqs({ port: 0, logger: false });
  const dynamo: Server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as { port: number }).port}`;
  const secrets = new LocalSecretsManager();
  const secretsUrl = await secrets.listen();
  const hmac = Buffer.from('bench-fake-api-hmac-key-32-bytes').toString('base64');
  secrets.put(FAKE_ENV.CARD_KEYS_SECRET_ID, JSON.stringify(LOCAL_CARD_KEYS));
  secrets.put(FAKE_ENV.MERCHANT_KEYS_SECRET_ID, JSON.stringify({ hmac_key: hmac, server_key_hashes: [hashApiKey(hmac, LOCAL_API_KEYS.server)], publishable_key_hashes: [hashApiKey(hmac, LOCAL_API_KEYS.publishable)] }));
  sqsServer.createQueue('bench-jobs');
  const queueUrl = `http://127.0.0.1:${sqsServer.port}/000000000000/bench-jobs`;
  const credentials = { accessKeyId: 'bench-fake', secretAccessKey: 'bench-fake' };
  const dynamoClient = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamoUrl, credentials });
  await dynamoClient.send(new CreateTableCommand({ TableName: FAKE_ENV.JOBS_TABLE_NAME, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'job_id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }] }));
  Object.assign(process.env, FAKE_ENV, {
    VAULT_JOBS_QUEUE_URL: queueUrl,
    AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${sqsServer.port}`,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
  });
  return {
    secrets,
    queueUrl,
    dynamoClient,
    sqsClient: new SQSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${sqsServer.port}`, credentials }),
    async stop() {
      await sqsServer.stop();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      await secrets.close();
    },
  };
}

function checkoutEvent(body: unknown) {
  return {
    version: '2.0',
    routeKey: 'POST /checkouts',
    rawPath: '/checkouts',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEYS.publishable}` },
    requestContext: { http: { method: 'POST', path: '/checkouts' }, requestId: randomBytes(8).toString('hex') },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** A checkout body of about `bytes`: the card and customer, metadata up to its limits, then whitespace. */
function bodyOfSize(body: Record<string, unknown>, bytes: number): string {
  const metadata: Record<string, string> = {};
  for (let i = 0; i < 20 && JSON.stringify({ ...body, metadata }).length + 520 < bytes; i++) metadata[`key_${i}`] = 'v'.repeat(480);
  const json = JSON.stringify({ ...body, ...(Object.keys(metadata).length > 0 ? { metadata } : {}) });
  return json.length >= bytes ? json : json.replace(/^\{/, `{${' '.repeat(bytes - json.length)}`);
}

/** The bundled checkout handler in-process against the emulators, versus a bare PutItem + SendMessage. */
async function checkoutOverhead(): Promise<void> {
  // The handler reads its configuration from this process's environment; the stacks started later must not.
  const saved = { ...process.env };
  const env = await emulators();
  // The handler writes its metric lines to stdout, as in Lambda: they are written, then dropped, so the table stays readable.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle, as Lambda loads it
    const { handler } = require(join(OUT, 'checkout.runtime.cjs')) as { handler: (event: unknown, context: unknown) => Promise<{ statusCode: number }> };
    const body = { customer: { name: 'Jane Doe', email: 'jane@example.com' }, card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe', issuing_country: 'US' } };
    const context = { awsRequestId: 'bench', functionName: 'checkout', getRemainingTimeInMillis: () => 10_000 };
    const ours = async () => {
      const response = await handler(checkoutEvent(body), context);
      if (response.statusCode !== 202) throw new Error(`checkout answered ${response.statusCode}`);
    };
    const bare = async () => {
      const jobId = `bare_${randomBytes(16).toString('hex')}`;
      await env.dynamoClient.send(new PutItemCommand({ TableName: FAKE_ENV.JOBS_TABLE_NAME, Item: { job_id: { S: jobId }, status: { S: 'queued' } } }));
      await env.sqsClient.send(new SendMessageCommand({ QueueUrl: env.queueUrl, MessageBody: JSON.stringify({ job_id: jobId, card: body.card }) }));
    };
    const measure = async (fn: () => Promise<void>, n: number) => {
      for (let i = 0; i < 30; i++) await fn();
      const latencies: number[] = [];
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await fn();
        latencies.push(performance.now() - t);
      }
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: n / ((performance.now() - started) / 1000) };
    };
    // Interleaved rounds, so that drift (GC, the emulators' growth) hits both alike.
    const oursRuns = [];
    const bareRuns = [];
    for (let round_ = 0; round_ < 3; round_++) {
      bareRuns.push(await measure(bare, 200));
      oursRuns.push(await measure(ours, 200));
    }
    const o = { p50: median(oursRuns.map((r) => r.p50)), p99: median(oursRuns.map((r) => r.p99)), perSecond: median(oursRuns.map((r) => r.perSecond)) };
    const b = { p50: median(bareRuns.map((r) => r.p50)), p99: median(bareRuns.map((r) => r.p99)), perSecond: median(bareRuns.map((r) => r.perSecond)) };
    record({
      name: 'checkout_overhead',
      ours: round(o.p50, 3),
      baseline: round(b.p50, 3),
      target: 'p50 ratio ≤ 1.10',
      met: o.p50 / b.p50 <= 1.1,
      unit: 'ms p50',
      detail: `p99 ${round(o.p99)} vs ${round(b.p99)} ms (×${round(o.p99 / b.p99)}); ${round(o.perSecond, 0)} vs ${round(b.perSecond, 0)} requests/s`,
    });

    // How the latency grows with the body: metadata (and, past what metadata holds, insignificant
    // whitespace, as a pretty-printed body has) up to the API's 16 KB limit; the bare handler sends the same body.
    for (const kilobytes of [1, 8, 16]) {
      const sized = bodyOfSize(body, kilobytes * 1024 - (kilobytes === 16 ? 512 : 0));
      const event = { ...checkoutEvent(body), body: sized };
      const oursSized = async () => {
        const response = await handler({ ...event, requestContext: { ...event.requestContext, requestId: randomBytes(8).toString('hex') } }, context);
        if (response.statusCode !== 202) throw new Error(`checkout answered ${response.statusCode}`);
      };
      const bareSized = async () => {
        const jobId = `bare_${randomBytes(16).toString('hex')}`;
        await env.dynamoClient.send(new PutItemCommand({ TableName: FAKE_ENV.JOBS_TABLE_NAME, Item: { job_id: { S: jobId }, status: { S: 'queued' } } }));
        await env.sqsClient.send(new SendMessageCommand({ QueueUrl: env.queueUrl, MessageBody: sized }));
      };
      const bareRun = await measure(bareSized, 200);
      const oursRun = await measure(oursSized, 200);
      record({
        name: `checkout_latency_${kilobytes}kb`,
        ours: round(oursRun.p50, 3),
        baseline: round(bareRun.p50, 3),
        target: 'report (growth with the body)',
        met: true,
        unit: 'ms p50',
        detail: `${Buffer.byteLength(sized)} B body; p99 ${round(oursRun.p99)} vs ${round(bareRun.p99)} ms`,
      });
    }

    // Secrets Manager calls per 1000 invocations of a fresh container: one per secret per TTL, not one per request.
    const bundle = join(OUT, 'checkout.runtime.cjs');
    delete require.cache[bundle];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a new container: a fresh load of the bundle
    const fresh = (require(bundle) as { handler: typeof handler }).handler;
    const before = new Map(env.secrets.calls);
    for (let i = 0; i < 1000; i++) await fresh(checkoutEvent(body), context);
    const perSecret = [FAKE_ENV.CARD_KEYS_SECRET_ID, FAKE_ENV.MERCHANT_KEYS_SECRET_ID].map((id) => (env.secrets.calls.get(id) ?? 0) - (before.get(id) ?? 0));
    record({ name: 'secret_fetches', ours: Math.max(...perSecret), baseline: 1000, target: '1 per secret per TTL', met: perSecret.every((calls) => calls === 1), unit: 'calls / 1000 invocations', detail: `per secret: ${perSecret.join(', ')}; baseline: a fetch per invocation` });
  } finally {
    process.stdout.write = stdoutWrite;
    await env.stop();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

const sealed = (jobId: string) =>
  JSON.stringify(
    sealVaultJob(jobId, vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse({ customer: { name: 'Jane Doe', email: 'jane@example.com' }, card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe', issuing_country: 'US' } }), LOCAL_CARD_KEYS).message,
  );

async function publish(stack: Awaited<ReturnType<typeof startStackProcess>>, ids: string[]) {
  for (let i = 0; i < ids.length; i += 10) {
    await stack.sqs.send(new SendMessageBatchCommand({ QueueUrl: stack.queueUrl, Entries: ids.slice(i, i + 10).map((id, j) => ({ Id: String(j), MessageBody: sealed(id) })) }));
  }
}

/** Waits until every job succeeded, looking once a second (a table scan is not free for the stack). */
async function drained(stack: Awaited<ReturnType<typeof startStackProcess>>, ids: string[]) {
  const wanted = new Set(ids);
  await eventually(async () => (await stack.jobs()).filter((job) => wanted.has(job.job_id) && job.status === 'succeeded').length, (n) => n === ids.length, 600_000, 1_000);
}

/** CPU milliseconds per job of the worker's c4 run: our stack's process, and the emulators' and simulator's. */
const cpuPerJob: { ours?: number; apart?: number; concurrency?: number } = {};

/**
 * Vault-only jobs through the real local stack at a fixed 50 ms per Hyperswitch call, the emulators
 * and the simulator in processes of their own: the stack's process runs only our functions (and the
 * local plumbing that stands in for Lambda and API Gateway), so its CPU time per job is ours.
 */
async function workerThroughput(concurrency: number, jobs: number): Promise<void> {
  const stack = await startStackProcess(
    {
      LOCAL_WORKER_MAX_CONCURRENCY: String(concurrency),
      LOCAL_WORKER_BATCH_SIZE: '1',
      WORKER_RECORD_CONCURRENCY: '1',
      HYPERSWITCH_RATE_LIMIT_PER_SECOND: '0',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    { apart: true },
  );
  try {
    await stack.faults({ latencyMs: 50 });
    const ids = Array.from({ length: jobs }, (_, i) => `bench-c${concurrency}-${i}-${randomBytes(3).toString('hex')}`);
    const cpuBefore = { ours: treeCpuMs(stack.pids.stack), apart: stack.pids.apart.reduce((sum, pid) => sum + treeCpuMs(pid), 0) };
    const started = performance.now();
    await publish(stack, ids);
    await drained(stack, ids);
    const seconds = (performance.now() - started) / 1000;
    const ours = jobs / seconds;
    const cpu = { ours: (treeCpuMs(stack.pids.stack) - cpuBefore.ours) / jobs, apart: (stack.pids.apart.reduce((sum, pid) => sum + treeCpuMs(pid), 0) - cpuBefore.apart) / jobs };
    if (concurrency === 4) Object.assign(cpuPerJob, { ...cpu, concurrency });
    const callsPerJob = 2;
    const ideal = concurrency / (callsPerJob * 0.05);
    const target = WORKER_TARGETS[concurrency] ?? 0.85;
    // The machine's two cores bound what any design can do: past them the limit is CPU, named in the detail.
    const busiest = cpu.ours >= cpu.apart ? 'the stack (our functions)' : 'the emulators and simulator';
    record({
      name: `worker_throughput_c${concurrency}`,
      ours: round(ours, 1),
      baseline: round(ideal, 1),
      target: `≥ ${target} of ideal`,
      met: ours / ideal >= target,
      unit: 'jobs/s',
      detail: `${jobs} jobs in ${round(seconds, 1)} s; ideal = concurrency / (2 calls × 50 ms); CPU per job: stack ${round(cpu.ours, 1)} ms, emulators + simulator ${round(cpu.apart, 1)} ms (busiest: ${busiest}); CPU-bound ceiling on 2 cores ≈ ${round(2000 / (cpu.ours + cpu.apart), 0)} jobs/s`,
    });
  } finally {
    await stack.stop();
  }
}

/** Share of the ideal throughput each concurrency must reach (issue #17: 0.90 at 1, 0.85 at 4, 0.6 at 16 on 2 cores). */
const WORKER_TARGETS: Record<number, number> = { 1: 0.9, 4: 0.85, 16: 0.6 };

/** The worker's CPU per job, from the c4 run: ours against everything the run needed. */
function workerCpu(): void {
  if (cpuPerJob.ours === undefined) return;
  const all = cpuPerJob.ours + cpuPerJob.apart!;
  record({
    name: 'worker_cpu_ms_per_job',
    ours: round(cpuPerJob.ours, 1),
    baseline: round(all, 1),
    ratio: cpuPerJob.ours / all,
    target: 'report (machine-dependent; comparable within a run)',
    met: true,
    unit: 'CPU ms / job',
    detail: `at ${cpuPerJob.concurrency} jobs in flight: the stack's process (our functions and the local Lambda/API stand-ins) vs all processes of the run (plus emulators and simulator)`,
  });
}

/** A backlog against Hyperswitch's 80 requests/s: our worker (rate limiter on) versus a naive unthrottled loop. */
async function rateLimitDiscipline(jobs: number): Promise<void> {
  const calls = jobs * 2;
  // Naive: the client alone, 20 at a time, no limiter.
  const simulator = await startSimulator({ port: 0 });
  simulator.faults.configure({ rateLimitPerSecond: 80, retryAfterSeconds: 1 });
  const transport = new HyperswitchTransport({ baseUrl: simulator.url, timeoutMs: 5_000, log: { debug() {}, info() {}, warn() {}, error() {} }, retry: { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 2_000 } });
  const vault = new VaultClient(transport, { secretId: 'naive', get: async () => ({ api_key: SIM_DEFAULTS.vaultApiKey, profile_id: SIM_DEFAULTS.profileId }), invalidate: () => undefined });
  let next = 0;
  let lostNaive = 0;
  const naiveStarted = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < jobs) {
        next += 1;
        try {
          const customer = await vault.createCustomer({ name: 'Jane Doe', email: 'jane@example.com' });
          await vault.createPaymentMethod({ payment_method_type: 'card', customer_id: customer.id, storage_type: 'persistent', payment_method_data: { card: { card_number: '4242424242424242', card_exp_month: '12', card_exp_year: '2030', card_holder_name: 'Jane Doe', card_issuing_country: 'US', card_cvc: '123' } } });
        } catch {
          lostNaive += 1;
        }
      }
    }),
  );
  const naiveSeconds = (performance.now() - naiveStarted) / 1000;
  const naive429 = simulator.inspect().faults_injected.rate_limited;
  await simulator.close();

  const stack = await startStackProcess({ POWERTOOLS_LOG_LEVEL: 'WARN' });
  try {
    await stack.faults({ rateLimitPerSecond: 80, retryAfterSeconds: 1 });
    const ids = Array.from({ length: jobs }, (_, i) => `bench-rl-${i}-${randomBytes(3).toString('hex')}`);
    const started = performance.now();
    await publish(stack, ids);
    await drained(stack, ids);
    const seconds = (performance.now() - started) / 1000;
    const ours429 = (await stack.inspect()).faults_injected.rate_limited;
    const floor = calls / 80;
    record({
      name: 'rate_limit_discipline',
      ours: ours429,
      baseline: naive429,
      ratio: naive429 === 0 ? 0 : ours429 / naive429,
      target: 'no lost job, fewer 429s than naive, time ≤ 1.2 × calls/80 s',
      met: ours429 < naive429 && seconds <= 1.2 * floor,
      unit: '429s',
      detail: `ours ${jobs}/${jobs} jobs in ${round(seconds, 1)} s (floor ${round(floor, 1)} s, ×${round(seconds / floor)}); naive ${round(naiveSeconds, 1)} s, ${lostNaive} jobs lost`,
    });
  } finally {
    await stack.stop();
  }
}

/** How the fault suite's wall time grows with its jobs: against the smallest run scaled linearly. */
async function faultSuiteScaling(sizes: number[]): Promise<void> {
  const { runFaultSuite } = await import('../tests/faults/suite');
  const seconds: number[] = [];
  for (const jobs of sizes) {
    const summary = await runFaultSuite({ jobs, seed: 7 });
    seconds.push(summary.duration_ms / 1000);
    const linear = (seconds[0]! * jobs) / sizes[0]!;
    record({ name: `fault_suite_seconds_${jobs}`, ours: round(seconds.at(-1)!, 1), baseline: round(linear, 1), target: 'report (growth with the jobs)', met: true, unit: 's', detail: `${jobs} jobs, seed 7; baseline: the ${sizes[0]}-job run scaled linearly; ${summary.succeeded_jobs} succeeded` });
  }
}

/** Counts of a vault-only and a charged job: DynamoDB requests, events, log bytes, and what a million cost. */
async function perJobCounts(jobs: number): Promise<void> {
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

async function main(args: string[]): Promise<void> {
  const started = performance.now();
  // `--record-baseline "<design>"`: measures the per-job counts of the code checked out and keeps them
  // (bench/baseline-counts.json), so that later runs compare against that design.
  if (args.includes('--record-baseline')) {
    const counts = { vault: await countJobs('vault', 40), charge: await countJobs('charge', 40) };
    writeFileSync(join(__dirname, 'baseline-counts.json'), `${JSON.stringify({ design: args[args.indexOf('--record-baseline') + 1], recorded_at: new Date().toISOString(), counts }, null, 2)}\n`);
    console.log(JSON.stringify(counts, null, 2));
    return;
  }
  // `--only bundles,cold_starts`: some sections (cold starts need the bundles).
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
  const sections: Array<[string, () => Promise<void>]> = [
    ['bundles', bundles],
    ['cold_starts', coldStarts],
    ['checkout', checkoutOverhead],
    ...[1, 4, 16].map((concurrency): [string, () => Promise<void>] => [`worker_c${concurrency}`, () => workerThroughput(concurrency, 500)]),
    ['worker_cpu', async () => workerCpu()],
    ['rate_limit', () => rateLimitDiscipline(400)],
    ['counts', () => perJobCounts(40)],
    ['fault_scaling', () => faultSuiteScaling([100, 200, 400])],
  ];
  for (const [name, run] of sections) {
    if (only && !only.includes(name)) continue;
    console.error(`${name}…`);
    await run();
  }
  console.log(`${'figure'.padEnd(30)} ${'ours'.padStart(10)} ${'baseline'.padStart(10)} ${'ratio'.padStart(8)}  unit / target / detail`);
  for (const f of figures) {
    console.log(`${f.name.padEnd(30)} ${String(f.ours).padStart(10)} ${String(f.baseline).padStart(10)} ${String(f.ratio).padStart(8)}  ${f.unit}; ${f.target}: ${f.met ? 'met' : 'NOT met'}${f.detail ? ` — ${f.detail}` : ''}`);
  }
  console.log(`(${round((performance.now() - started) / 1000, 0)} s)`);
  if (args.includes('--json')) console.log(JSON.stringify(figures.map(({ name, ours, baseline, ratio, target, met }) => ({ name, ours, baseline, ratio, target, met }))));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
