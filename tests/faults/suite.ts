/**
 * The fault-injection suite: many jobs through the real local stack while the simulator injects
 * every kind of fault, SQS delivers some messages twice (also at once) and the worker "crashes" at
 * step boundaries; then the simulator's records and the job store are checked for harm.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { JobRecord } from '../../lib/jobs';
import { DEFAULT_MAX_CHARGE_AMOUNT, sealVaultJob, vaultRequestSchema } from '../../lib/jobs';
import { LOCAL_API_KEYS, LOCAL_CARD_KEYS } from '../../local/stack';
import { messagesIn, startStackProcess, type StackProcess } from '../../local/stack-process';
import { scan } from '../leaks/scanner';
import { answerChallenge } from '../helpers/challenge';
import { countHarm, evidence, type HarmCounters } from './harm';
import { allTaken, eventHarm, startMerchantEndpoint, type EventHarm } from './merchant';

export interface FaultSuiteOptions {
  jobs: number;
  /** Seed of the simulator's fault draws. */
  seed?: number;
  /** How long to wait for every job to end. */
  timeoutMs?: number;
  progress?: (line: string) => void;
}

export interface FaultSummary extends HarmCounters, EventHarm {
  jobs: number;
  seed: number;
  faults_injected: Record<string, number>;
  lost_jobs: number;
  stuck_jobs: number;
  wrongly_failed_jobs: number;
  succeeded_jobs: number;
  retries_exhausted_jobs: number;
  three_ds_jobs: number;
  verification_jobs: number;
  /** Jobs whose 3-D Secure the suite's shopper failed on purpose. */
  shopper_failed_jobs: number;
  /** Failed jobs whose record names the card an attempt saved before the job failed (not harm: the merchant is told). */
  cards_recorded_on_failed_jobs: number;
  /** Succeeded jobs that saved a card the job table does not hold for them (one payment method, one job). */
  unheld_cards: number;
  /** Card numbers, CVCs or secrets found in the stack's logs and records (the leak scanner). */
  leak_findings: number;
  /** The merchant endpoint's behaviour and the Hyperswitch webhooks' faults, for the report. */
  webhooks: Record<string, number>;
  duration_ms: number;
}

/** The counters that must be zero. */
export const HARM = [
  'duplicate_customers',
  'duplicate_payment_methods',
  'orphaned_payment_methods',
  'double_charges',
  'unrecorded_payments',
  'lost_jobs',
  'stuck_jobs',
  'unheld_cards',
  'leak_findings',
  'events_undelivered',
  'events_with_two_payloads',
  'events_doubled',
  'unverified_deliveries',
] as const;

const SHARED_CUSTOMERS = 8;
const THREE_DS_CARD = '4000002760003184';
const REPORTS = join(__dirname, '../../reports');
const nextYear = new Date().getUTCFullYear() + 1;

interface PlannedJob {
  jobId?: string;
  via: 'checkout' | 'queue' | 'queue-twice' | 'queue-twice-at-once';
  charge: boolean;
  /** A charge with the card that always asks for 3-D Secure: the suite plays the shopper. */
  threeDs: boolean;
  /** A save with `verify: true` (a zero-amount setup payment). */
  verify: boolean;
  sharedCustomer?: string;
}

function plan(count: number): PlannedJob[] {
  return Array.from({ length: count }, (_, i) => {
    const via = (['checkout', 'checkout', 'queue', 'queue-twice', 'queue-twice-at-once'] as const)[i % 5]!;
    const charge = i % 2 === 0;
    return {
      via,
      charge,
      threeDs: charge && i % 13 === 6,
      verify: !charge && i % 7 === 1,
      ...(via !== 'checkout' && i % 3 === 0 ? { sharedCustomer: `shared-customer-${i % SHARED_CUSTOMERS}` } : {}),
    };
  });
}

/** Succeeded jobs whose saved card is not held for them (their ids): its hold goes with the end, or before it. */
function unheldCards(records: JobRecord[], holds: Map<string, string>): string[] {
  return records
    .filter(({ job_id: jobId, status, steps: { payment_method: saved } }) => status === 'succeeded' && saved.status === 'succeeded' && saved.payment_method_id && holds.get(saved.payment_method_id) !== jobId)
    .map(({ job_id: jobId }) => jobId);
}

function request(job: PlannedJob, i: number) {
  return {
    customer: { name: `Shopper ${i}`, email: `shopper${i}@example.com`, ...(job.sharedCustomer ? { merchant_reference_id: job.sharedCustomer } : {}) },
    card: { number: job.threeDs ? THREE_DS_CARD : i % 2 === 0 ? '4242424242424242' : '4111111111111111', exp_month: (i % 12) + 1, exp_year: nextYear + (i % 5), cvc: '123', holder_name: `Shopper ${i}`, issuing_country: 'US' },
    tokenization: { psp: i % 4 === 0, network: i % 3 === 0 },
    ...(job.charge ? { charge: { amount: 100 + i, currency: 'USD' } } : {}),
    ...(job.verify ? { verify: true } : {}),
  };
}

/**
 * The shoppers of the jobs that wait for 3-D Secure, from the first job on: every challenge the
 * simulator holds is answered (three in four approve) within about a second, well inside the wait.
 * Their jobs resolve when their held messages come back — under the same faults as everything else.
 */
function playShoppers(hyperswitch: string): { stop: () => Promise<void> } {
  let running = true;
  const answered = new Set<string>();
  const loop = (async () => {
    while (running) {
      try {
        const pending = (await (await fetch(`${hyperswitch}/__sim/challenges`)).json()) as Array<{ payment_id: string; url: string }>;
        for (const { payment_id: paymentId, url } of pending.filter(({ payment_id: id }) => !answered.has(id))) {
          const outcome = answered.size % 4 === 3 ? 'fail' : 'approve';
          const answer = await answerChallenge(url, outcome);
          if (answer.status < 500) answered.add(paymentId);
        }
      } catch {
        // The simulator is going away (the suite ends) or is busy: try again next round.
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Reads the jobs that wait for the shopper: a read resolves a job whose payment has moved on. */
async function readWaitingJobs(stack: StackProcess, waiting: JobRecord[]): Promise<void> {
  await Promise.all(waiting.map((job) => stack.request(`/jobs/${job.job_id}`, { headers: { Authorization: `Bearer ${LOCAL_API_KEYS.server}` } })));
}

async function submit(stack: StackProcess, job: PlannedJob, i: number): Promise<string | undefined> {
  if (job.via === 'checkout') {
    const answer = await stack.request('/checkouts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` },
      body: JSON.stringify(request(job, i)),
    });
    return answer.status === 202 ? (answer.body.job_id as string) : undefined;
  }
  const jobId = `fault-suite-${i}-${randomBytes(4).toString('hex')}`;
  const body = JSON.stringify(sealVaultJob(jobId, vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse(request(job, i)), LOCAL_CARD_KEYS).message);
  const send = () => stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: body }));
  if (job.via === 'queue') await send();
  else if (job.via === 'queue-twice') {
    await send();
    await send();
  } else await Promise.all([send(), send()]);
  return jobId;
}

async function queueDepth(stack: StackProcess): Promise<number> {
  let depth = 0;
  for (const url of [stack.queueUrl, `${stack.queueUrl}-dlq`]) depth += await messagesIn(stack.sqs, url);
  return depth;
}

export async function runFaultSuite({ jobs, seed = 7, timeoutMs = 10 * 60_000, progress = () => undefined }: FaultSuiteOptions): Promise<FaultSummary> {
  const started = Date.now();
  // Jobs that wait for the shopper hold their messages back for the wait: keep it short here.
  // The merchant's endpoint fails some deliveries (500, too slow) and goes down for a while; the
  // simulator's webhooks to us are duplicated, delayed (out of order), badly signed or lost.
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const merchant = await startMerchantEndpoint({ random, slowMs: 1_500 });
  const stack = await startStackProcess({
    CHAOS_CRASH_PROBABILITY: '0.01',
    AUTHENTICATION_WINDOW_SECONDS: '20',
    // Every Hyperswitch call in the evidence of a harmed job, and every line in the leak scan.
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    S2S_VAULT_WEBHOOK_URL: merchant.url,
    WEBHOOK_TIMEOUT_MS: '1000',
    HYPERSWITCH_SIM_WEBHOOK_FAULTS: JSON.stringify({ duplicate: 0.1, delay: 0.1, delayMs: 1_500, badSignature: 0.05, lose: 0.1 }),
  });
  let shoppers: { stop: () => Promise<void> } | undefined;
  try {
    await stack.faults({
      seed,
      spikeMs: 300,
      holdMs: 5_000,
      retryAfterSeconds: 0,
      // A late commit acts after the client's timeout (800 ms) and before the worker's settle time (2 s).
      lateCommitMs: 1_500,
      rates: {
        server_error: 0.03,
        rate_limit: 0.03,
        timeout: 0.015,
        reset: 0.01,
        act_then_fail: 0.03,
        act_then_timeout: 0.015,
        act_then_reset: 0.01,
        late_commit: 0.01,
        latency_spike: 0.03,
      },
    });
    shoppers = playShoppers(stack.hyperswitch);
    const planned = plan(jobs);
    const accepted: Array<{ jobId: string; job: PlannedJob }> = [];
    let rejected = 0;
    for (let i = 0; i < planned.length; i += 20) {
      const ids = await Promise.all(planned.slice(i, i + 20).map((job, j) => submit(stack, job, i + j)));
      ids.forEach((jobId, j) => (jobId ? accepted.push({ jobId, job: planned[i + j]! }) : (rejected += 1)));
    }
    const submitted = accepted.map(({ jobId }) => jobId);
    progress(`submitted ${submitted.length} jobs (${planned.filter((j) => j.via.startsWith('queue-twice')).length} delivered twice)`);
    const outage = merchant.goDown(8_000);

    const wanted = new Set(submitted);
    let records: JobRecord[] = [];
    for (;;) {
      records = (await stack.jobs()).filter((job) => wanted.has(job.job_id));
      await readWaitingJobs(stack, records.filter((job) => job.status === 'requires_action'));
      const ended = records.filter((job) => job.status === 'succeeded' || job.status === 'failed').length;
      if (ended === submitted.length && (await queueDepth(stack)) === 0) break;
      if (Date.now() - started > timeoutMs) break;
      progress(`${ended}/${submitted.length} jobs ended`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    await stack.faults({});
    await shoppers.stop();
    shoppers = undefined;
    // Every event the final records imply reaches the merchant, through its failures and its outage.
    await outage;
    // The local stack is one process: at 10 000 jobs the deliveries trail the jobs by minutes.
    const deliveryDeadline = Date.now() + Math.max(120_000, jobs * 60);
    while (!allTaken(merchant, records) && Date.now() < deliveryDeadline) {
      progress('waiting for the merchant endpoint to take every event');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }

    const [sim, objects, journal, holds] = await Promise.all([stack.inspect(), stack.objects(), stack.journal(), stack.holds()]);
    const logLines = stack.output().split('\n');
    const { counters, harmedJobIds } = countHarm(accepted.map(({ jobId, job }) => ({ jobId, sharedCustomer: job.sharedCustomer })), records, objects);
    const unheld = unheldCards(records, holds);
    for (const jobId of unheld) if (!harmedJobIds.has(jobId)) harmedJobIds.set(jobId, 'unheld_cards');
    const crashes = (stack.output().match(/"message":"Simulated crash"/g) ?? []).length;
    // Evidence for whoever reads a run: the stack's log, the jobs that did not end, and for every
    // harmed job its record, the simulator's objects and requests for it, and its log lines.
    const unfinished = records.filter((job) => job.status !== 'succeeded' && job.status !== 'failed');
    // The first 50 harmed jobs in detail: enough to find a cause, small enough to read.
    const harmed = [...harmedJobIds].slice(0, 50).map(([jobId, harm]) => evidence(jobId, harm, records, objects, journal, logLines));
    mkdirSync(REPORTS, { recursive: true });
    writeFileSync(join(REPORTS, 'fault-suite.log'), stack.output());
    writeFileSync(join(REPORTS, 'fault-suite-unfinished.json'), JSON.stringify({ unfinished, missing: submitted.filter((id) => !records.some((r) => r.job_id === id)) }, null, 2));
    writeFileSync(join(REPORTS, 'fault-suite-harm.json'), JSON.stringify(harmed, null, 2));
    for (const job of harmed) progress(`harm ${job.harm}: job ${job.job_id} after faults ${job.fault_sequence.join(' → ') || '(none)'}`);
    if (harmedJobIds.size > harmed.length) progress(`… and ${harmedJobIds.size - harmed.length} more harmed jobs`);
    const failed = records.filter((job) => job.status === 'failed');
    return {
      jobs: planned.length,
      seed,
      faults_injected: {
        ...Object.fromEntries(Object.entries(sim.faults_injected).filter(([, count]) => count > 0)),
        worker_crash: crashes,
        duplicate_delivery: planned.filter((job) => job.via.startsWith('queue-twice')).length,
      },
      ...counters,
      three_ds_jobs: planned.filter((job) => job.threeDs).length,
      verification_jobs: planned.filter((job) => job.verify).length,
      lost_jobs: rejected + (submitted.length - records.length),
      stuck_jobs: unfinished.length,
      // A 3-D Secure the suite's shopper failed is the job's own outcome, not a wrong failure.
      wrongly_failed_jobs: failed.filter((job) => job.error?.code !== 'retries_exhausted' && job.error?.code !== 'authentication_failed').length,
      succeeded_jobs: records.filter((job) => job.status === 'succeeded').length,
      retries_exhausted_jobs: failed.filter((job) => job.error?.code === 'retries_exhausted').length,
      shopper_failed_jobs: failed.filter((job) => job.error?.code === 'authentication_failed').length,
      unheld_cards: unheld.length,
      cards_recorded_on_failed_jobs: failed.filter((job) => job.steps.payment_method.payment_method_id).length,
      ...eventHarm(merchant, records),
      webhooks: { ...merchant.stats, ...Object.fromEntries(Object.entries(sim.webhooks ?? {}).map(([name, value]) => [`hyperswitch_${name}`, value])) },
      leak_findings: scan({ logs: logLines, job_records: records.map((job) => JSON.stringify(job)), event_payloads: merchant.bodies }, [LOCAL_API_KEYS.server, LOCAL_API_KEYS.publishable, LOCAL_CARD_KEYS.hmac_key, ...Object.values(LOCAL_CARD_KEYS.keys)]).findings.length,
      duration_ms: Date.now() - started,
    };
  } finally {
    await shoppers?.stop();
    await stack.stop().catch(() => undefined);
    await merchant.stop();
  }
}
