/** Bundle sizes and cold starts: each function as serverless.yml builds it, with and without tracing. */
import { execFile } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FUNCTION_BUILD, tracingDefine } from '../local/function-build';
import { median, OUT, record, ROOT, round } from './figures';

const FUNCTIONS = ['checkout', 'charges', 'job-status', 'payment-methods', 'vault-worker', 'dead-letter'];
/** The functions whose cost with tracing on is measured: the API's hot path and the worker. */
const TRACED = ['checkout', 'vault-worker'];

/** A function's bundle as serverless.yml builds it; `tracing` is the stage's switch (a build-time define). */
async function bundle(entry: string, outfile: string, { tracing = false }: { tracing?: boolean } = {}): Promise<number> {
  await build({ ...FUNCTION_BUILD, entryPoints: [entry], outfile, minify: true, define: tracingDefine(tracing) });
  return round(statSync(outfile).size / 1024, 1);
}

/**
 * Every function bundled as serverless.yml bundles it (everything inside, aws-lite its AWS client),
 * against the AWS SDK's three clients bundled alone — what the functions carried or loaded from the
 * runtime before lib/aws.ts; the worker and the checkout with tracing compiled in.
 */
export async function bundles(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(SDK_ALONE, SDK_CLIENTS_ALONE);
  const baseline = await bundle(SDK_ALONE, join(OUT, 'sdk-clients-alone.bundled.cjs'));
  for (const fn of FUNCTIONS) {
    const ours = await bundle(join(ROOT, `functions/${fn}.ts`), join(OUT, `${fn}.cjs`));
    const target = fn === 'checkout' ? 400 : Infinity;
    record({ name: `bundle_kb_${fn}`, ours, baseline, target: fn === 'checkout' ? '≤ 400 KB' : 'report', met: ours <= target, unit: 'KB', detail: 'ours: the whole function, its AWS client (aws-lite) inside; baseline: the AWS SDK\'s three clients alone, bundled' });
  }
  for (const fn of TRACED) {
    const ours = await bundle(join(ROOT, `functions/${fn}.ts`), join(OUT, `${fn}.traced.cjs`), { tracing: true });
    const baseline = round(statSync(join(OUT, `${fn}.cjs`)).size / 1024, 1);
    record({ name: `bundle_kb_${fn}_traced`, ours, baseline, target: 'report (decides the tracing default)', met: true, unit: 'KB', detail: `tracing compiled in vs out: +${round(ours - baseline, 1)} KB` });
  }
}

/** What a function needs in its environment to load (fake values: nothing is called). */
export const FAKE_ENV = {
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

/** The AWS SDK's clients the checkout built at init before lib/aws.ts (aws-lite) replaced them, and nothing else. */
const SDK_CLIENTS_ALONE = `const { SecretsManagerClient } = require('@aws-sdk/client-secrets-manager');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
const { SQSClient } = require('@aws-sdk/client-sqs');
new SecretsManagerClient({});
DynamoDBDocumentClient.from(new DynamoDBClient({}));
new SQSClient({});
`;
/** Written by `bundles`, which the cold starts need anyway (`--only bundles,cold_starts`). */
const SDK_ALONE = join(OUT, 'sdk-clients-alone.cjs');

/**
 * The checkout's whole load against the AWS SDK's three clients alone, as the runtime carries them,
 * timed inside the process (Node's own start left out), in turn: what the SDK would take of the
 * init-overhead target on this machine today, which the empty module's pairs cannot say.
 */
async function sdkShareOfCheckout(): Promise<void> {
  const checkout = join(OUT, 'checkout.cjs');
  const requireMs = async (file: string) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t))`], { cwd: ROOT, env: { ...process.env, ...FAKE_ENV } });
    return Number(stdout);
  };
  // One untimed load of each first, as for the cold starts.
  await requireMs(SDK_ALONE);
  await requireMs(checkout);
  const ours: number[] = [];
  const sdk: number[] = [];
  for (let i = 0; i < 20; i++) {
    ours.push(await requireMs(checkout));
    sdk.push(await requireMs(SDK_ALONE));
  }
  const checkoutMs = round(median(ours), 1);
  const sdkMs = round(median(sdk), 1);
  record({
    name: 'cold_start_checkout_sdk_share',
    ours: checkoutMs,
    baseline: sdkMs,
    target: 'report (what the SDK would take of the init-overhead target)',
    met: true,
    unit: 'ms',
    detail: `the checkout's whole bundle (aws-lite its AWS client) loaded vs the AWS SDK's three clients alone (Secrets Manager, DynamoDB with its document client, SQS) from node_modules, as the runtime carries them, required and built; time inside the process, medians of 20 rounds in turn`,
  });
}

/** A fresh Node process loading each bundle and running its init, against one loading an empty module. */
export async function coldStarts(): Promise<void> {
  const empty = join(OUT, 'empty.cjs');
  writeFileSync(empty, 'module.exports = {};\n');
  const run = async (file: string, env: Record<string, string> = {}) => {
    const started = performance.now();
    await promisify(execFile)(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { cwd: ROOT, env: { ...process.env, ...FAKE_ENV, ...env } });
    return performance.now() - started;
  };
  // Each function against the empty module in pairs, in turn, after one untimed load of each: this VM's
  // speed drifts within a minute, and a baseline measured once before every function's runs put that
  // drift into the later ones.
  const baseline: number[] = [];
  for (const fn of FUNCTIONS) {
    const bundle = join(OUT, `${fn}.cjs`);
    const empties: number[] = [];
    const times: number[] = [];
    await run(empty);
    await run(bundle);
    for (let i = 0; i < 10; i++) {
      empties.push(await run(empty));
      times.push(await run(bundle));
    }
    baseline.push(...empties);
    const ours = round(median(times), 1);
    const pairedBase = round(median(empties), 1);
    record({ name: `cold_start_${fn}`, ours, baseline: pairedBase, target: fn === 'checkout' ? 'init overhead ≤ 150 ms' : 'report', met: fn !== 'checkout' || ours - pairedBase <= 150, unit: 'ms', detail: `init overhead ${round(ours - pairedBase, 1)} ms (medians of 10 pairs, the empty module and the bundle in turn)` });
  }
  const base = round(median(baseline), 1);
  await sdkShareOfCheckout();
  // Tracing on, as in Lambda (the tracer enables itself where AWS_EXECUTION_ENV is set), against the
  // same function without it, interleaved (20 pairs) so that drift in the machine hits both alike.
  for (const fn of TRACED) {
    const traced: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < 20; i++) {
      plain.push(await run(join(OUT, `${fn}.cjs`)));
      traced.push(await run(join(OUT, `${fn}.traced.cjs`), { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }));
    }
    const ours = round(median(traced), 1);
    const without = round(median(plain), 1);
    record({ name: `cold_start_${fn}_traced`, ours, baseline: without, target: 'report (decides the tracing default)', met: true, unit: 'ms', detail: `tracing costs ${round(ours - without, 1)} ms (median of 20 interleaved pairs); init overhead traced ${round(ours - base, 1)} ms` });
  }
}
