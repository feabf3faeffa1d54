/**
 * `npm run test:faults [-- --jobs N] [--seed S] [--json]`: the fault-injection suite on N jobs (default
 * 1000). Prints one summary; exits 1 unless every harm counter is zero. Evidence goes to reports/.
 */
import { HARM, runFaultSuite } from './suite';

async function main(args: string[]): Promise<number> {
  const jobsFlag = args.indexOf('--jobs');
  const jobs = jobsFlag >= 0 ? Number(args[jobsFlag + 1]) : 1000;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error('--jobs takes a positive whole number');
  const seedFlag = args.indexOf('--seed');
  const seed = seedFlag >= 0 ? Number(args[seedFlag + 1]) : 7;
  if (!Number.isInteger(seed)) throw new Error('--seed takes a whole number');
  const json = args.includes('--json');
  const summary = await runFaultSuite({ jobs, seed, timeoutMs: Math.max(10 * 60_000, jobs * 120), progress: (line) => console.error(line) });
  const rows: Array<[string, number | string]> = [
    ['jobs', summary.jobs],
    ['seed', summary.seed],
    ['faults injected', Object.entries(summary.faults_injected).map(([kind, n]) => `${kind} ${n}`).join(', ')],
    ['faults injected (total)', Object.values(summary.faults_injected).reduce((a, b) => a + b, 0)],
    ['duplicate customers', summary.duplicate_customers],
    ['duplicate payment methods', summary.duplicate_payment_methods],
    ['orphaned payment methods', summary.orphaned_payment_methods],
    ['cards not held by their job', summary.unheld_cards],
    ['double charges', summary.double_charges],
    ['unrecorded payments', summary.unrecorded_payments],
    ['lost jobs', summary.lost_jobs],
    ['stuck jobs', summary.stuck_jobs],
    ['wrongly failed jobs', summary.wrongly_failed_jobs],
    ['succeeded jobs', summary.succeeded_jobs],
    ['failed, retries exhausted', summary.retries_exhausted_jobs],
    ['3-D Secure / verify jobs', `${summary.three_ds_jobs} / ${summary.verification_jobs}`],
    ['failed by the shopper (3DS)', summary.shopper_failed_jobs],
    ['cards on failed jobs', summary.cards_recorded_on_failed_jobs],
    ['events never delivered', summary.events_undelivered],
    ['event ids with two payloads', summary.events_with_two_payloads],
    ['changes told twice', summary.events_doubled],
    ['deliveries not verified', summary.unverified_deliveries],
    ['webhooks', Object.entries(summary.webhooks).map(([kind, n]) => `${kind} ${n}`).join(', ')],
    ['card data / secrets in logs', summary.leak_findings],
    ['duration', `${(summary.duration_ms / 1000).toFixed(1)} s`],
  ];
  for (const [name, value] of rows) console.log(`${name.padEnd(28)} ${value}`);
  const harmed = HARM.filter((counter) => summary[counter] !== 0);
  console.log(harmed.length === 0 ? 'OK: no duplicate, no double charge, no lost or stuck job, every saved card held by its job, every event delivered once per change, no leak' : `HARM: ${harmed.join(', ')}`);
  if (json) console.log(JSON.stringify(summary));
  return harmed.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
