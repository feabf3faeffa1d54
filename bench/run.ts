/**
 * `npm run bench [-- --json] [--only bundles,cold_starts,…]`: the performance figures, each against a baseline measured in the same
 * run, printed as a table (and with --json, one JSON array on the last line). Localhost only.
 * Sections: bundles.ts, checkout.ts, worker-throughput.ts (on worker-stack.ts), rate-limit.ts, fault-suite-scaling.ts, aws-requests.ts, counts.ts (with meter.ts, cost.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsRequestCost } from './aws-requests';
import { bundles, coldStarts } from './bundles';
import { checkoutOverhead } from './checkout';
import { countJobs, perJobCounts } from './counts';
import { figures, round } from './figures';
import { faultSuiteScaling } from './fault-suite-scaling';
import { rateLimitDiscipline } from './rate-limit';
import { workerCpu, workerThroughput } from './worker-throughput';

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
    ['aws_requests', awsRequestCost],
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

