/**
 * The vault pipeline: one job, its steps strictly in order — customer, payment method, and the charge
 * when the job carries one (run.ts). The job is claimed, run, and ended by what its run came to; a
 * redelivered job resumes from what its record and its intents say the last run did.
 */
import { randomUUID } from 'node:crypto';
import { maskCard } from '../card';
import { CardDecryptionError, decryptJson, type DataKeys } from '../crypto';
import { S2SVaultError } from '../errors';
import { HyperswitchConnectorError, HyperswitchDuplicateError, HyperswitchError, HyperswitchInvalidRequestError, HyperswitchNotFoundError, onTheWire } from '../hyperswitch';
import { resolveAwaitingAction } from './action';
import { count, milliseconds } from '../metrics';
import { JobRun, type CustomerAhead } from './run';
import { newJobRecord, type IntentStep } from './record';
import { allOf, JobFailure, RetryLaterError, RunCalls, settled, SimulatedCrash, type PipelineDeps } from './run-context';
import { customerOf, type FoundCustomer } from './steps/customer';
import { holdRecordedCard } from './steps/payment-method';
import type { ClaimResult } from './store';
import { sealedCardSchema, type CardJobMessage, type JobError, type JobRecord, type SealedCard, type VaultJobMessage } from './schemas';

export { JobFailure, RetryLaterError, SimulatedCrash, type PipelineDeps } from './run-context';

/**
 * Errors that belong to the job (bad card, bad request, unknown customer, refused by the connector)
 * end it `failed`. Anything else — timeouts, 5xx, 429, unknown outcomes, auth or configuration
 * trouble — is retried by redelivery and, if it persists, ends in the DLQ.
 */
function jobFault(error: unknown): JobError | undefined {
  if (error instanceof JobFailure || error instanceof CardDecryptionError) return { code: error.code, message: error.message, retryable: false };
  if (error instanceof HyperswitchError && !error.retryable && !error.outcomeUnknown) {
    if (error instanceof HyperswitchInvalidRequestError || error instanceof HyperswitchNotFoundError || error instanceof HyperswitchConnectorError || error instanceof HyperswitchDuplicateError) {
      return { code: error.code, message: error.message, retryable: false };
    }
  }
  return undefined;
}

function openCard(keys: DataKeys, message: CardJobMessage): SealedCard {
  const parsed = sealedCardSchema.safeParse(decryptJson(keys, message.card, message.job_id));
  if (!parsed.success) throw new JobFailure('invalid_card_payload', 'The encrypted card does not hold a valid card');
  return parsed.data;
}

/** Opens the envelope; an unknown key id gets one fresh read of the keys (a rotation we have not seen yet). */
async function openCardWithRefresh(message: CardJobMessage, deps: PipelineDeps): Promise<SealedCard> {
  try {
    return openCard(await deps.dataKeys(), message);
  } catch (error) {
    if (!(error instanceof CardDecryptionError && error.code === 'unknown_key_id' && deps.refreshDataKeys)) throw error;
    deps.refreshDataKeys();
    return openCard(await deps.dataKeys(), message);
  }
}

export interface JobOutcome {
  status: JobRecord['status'];
  /** True when this delivery found the job already ended (or waiting for the shopper) and ran nothing. */
  duplicate: boolean;
  /** While `requires_action`: when the wait ends; the message may come back then to end it. */
  actionExpiresAt?: string;
}

/** What the queue says of a delivery; it orders requests and labels a record, it decides nothing. */
export interface DeliveryHints {
  /** The message's first delivery: the job has most likely not run yet, so its customer is asked for while the claim is in flight. */
  first?: boolean;
  /** Where the job came from (the message's attributes), for the record this delivery makes if it finds none: `queue` unless said. */
  source?: JobRecord['source'];
}

/** Runs one delivery of a job. */
export async function runVaultJob(message: VaultJobMessage, deps: PipelineDeps, delivery: DeliveryHints = {}): Promise<JobOutcome> {
  const { store, log } = deps;
  const clock = deps.clock ?? Date.now;
  const jobId = message.job_id;

  let card: SealedCard | undefined;
  if ('card' in message) {
    try {
      card = await openCardWithRefresh(message, deps);
    } catch (error) {
      const fault = jobFault(error);
      if (!fault) throw new RetryLaterError(`Job ${jobId}: the card keys are unavailable`, error);
      const failed = await store.failUnlessFinished(jobId, fault, () => initialRecord(message, delivery.source));
      log.warn('Vault job failed', { jobId, code: fault.code });
      // Its events: a failure leaves the message to come back and publish them again.
      if (failed) await deps.jobChanged?.(failed);
      return { status: 'failed', duplicate: false };
    }
  }

  const owner = randomUUID();
  const now = clock();
  const intent = firstIntent(message);
  const calls = new RunCalls(deps.crashPoint);
  const customerAhead = delivery.first ? askAhead(() => customerOf({ jobId, message, deps, call: calls.call })) : undefined;
  let claim: ClaimResult | undefined;
  try {
    // The claim's preparation after the customer's request is out: it then costs nothing of the job's time.
    await customerAhead?.sent;
    claim = await store.claim(jobId, { owner, until: now + deps.leaseMs, now }, () => initialRecord(message, delivery.source, card), intent);
  } finally {
    // Not this run's to run, or the claim failed: what was asked ahead is let go (a later run's create of the customer finds the same one).
    if (claim?.outcome !== 'claimed') await settled(customerAhead?.value);
  }
  if (claim.outcome !== 'claimed') {
    if (claim.outcome === 'finished') {
      // A run that ended the job may have stopped before its events were out, or before the card's
      // hold that goes beside the end: both again (no-ops otherwise).
      await allOf([holdRecordedCard(deps, message, claim.job.steps), deps.jobChanged?.(claim.job)]);
      return { status: claim.job.status, duplicate: true };
    }
    if (claim.outcome === 'awaiting_action') {
      const resolved = await resolveAwaitingAction(claim.job, deps);
      return { status: resolved.status, duplicate: true, ...(resolved.status === 'requires_action' ? { actionExpiresAt: resolved.action_expires_at } : {}) };
    }
    throw new RetryLaterError(`Job ${jobId} is being processed by another run`);
  }

  const run = new JobRun(message, card, claim.job.steps, owner, deps, claim.intentRecorded ? { step: intent!, at: now } : undefined, calls, customerAhead);
  try {
    const outcome = await run.execute();
    if (outcome.status === 'requires_action') {
      const actionExpiresAt = new Date(clock() + deps.actionWindowMs).toISOString();
      await run.end(
        () => store.awaitAction(jobId, owner, { next_action: outcome.next_action, action_expires_at: actionExpiresAt }, run.unrecorded()),
        (parked) => log.info('Vault job awaits the shopper', { ...summary(parked, run), actionExpiresAt }),
      );
      return { status: 'requires_action', duplicate: false, actionExpiresAt };
    }
    await run.end(
      () => store.finish(jobId, owner, outcome, run.unrecorded()),
      (finished) => {
        jobFinished(claim.job, outcome.status, outcome.status === 'failed' ? outcome.error.code : undefined, clock());
        log.info('Vault job finished', summary(finished, run));
      },
    );
    return { status: outcome.status, duplicate: false };
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    const fault = jobFault(error);
    if (fault) {
      await run.end(
        () => store.finish(jobId, owner, { status: 'failed', error: fault }, run.unrecorded()),
        (failed) => {
          jobFinished(claim.job, 'failed', fault.code, clock());
          log.warn('Vault job failed', summary(failed, run));
        },
      );
      return { status: 'failed', duplicate: false };
    }
    await store.release(jobId, owner, run.unrecorded()).catch(() => undefined);
    if (error instanceof RetryLaterError) throw error;
    throw new RetryLaterError(`Job ${jobId} will be retried: ${error instanceof S2SVaultError ? error.code : 'unexpected error'}`, error);
  }
}

/**
 * Starts the customer step before the claim: of a job's steps, only it is safe without the lease
 * (a repeat of its create answers HE_01, then the customer is looked up by its reference). Its
 * failure surfaces where the run awaits it.
 */
function askAhead(ask: () => Promise<FoundCustomer>): CustomerAhead & { sent: Promise<void> } {
  const startedAt = performance.now();
  const { value, sent } = onTheWire(ask);
  value.catch(() => undefined);
  return { value, startedAt, sent };
}

/**
 * The one line a job's run logs at INFO: what a support engineer asks first — the ids it made, how
 * long each step took, how many Hyperswitch calls, which attempt — so per-call lines can be DEBUG.
 */
function summary(job: JobRecord, run: JobRun): Record<string, unknown> {
  const { steps } = job;
  return {
    jobId: job.job_id,
    status: job.status,
    ...(job.error ? { code: job.error.code } : {}),
    attempt: job.attempts,
    calls: run.callCount,
    stepMs: run.stepMs,
    customerId: steps.customer.customer_id,
    paymentMethodId: steps.payment_method.payment_method_id,
    paymentId: steps.payment.payment_id ?? steps.verification?.payment_id,
  };
}

/**
 * The step whose create a job sends first, whose intent the claim records on the job's first
 * attempt: the card for a job that vaults one, else the charge of a saved card. (The customer
 * needs none: its reference makes a repeated create answer HE_01.)
 */
function firstIntent(message: VaultJobMessage): IntentStep | undefined {
  if ('card' in message) return 'payment_method';
  return message.charge ? 'payment' : undefined;
}

/**
 * Jobs finished by status (the failure-rate alarm's fixed dimensions), failures by error code, and
 * how long each job took from acceptance.
 */
function jobFinished(job: JobRecord, status: 'succeeded' | 'failed', code: string | undefined, now: number): void {
  count('JobsFinished', { status });
  if (code) count('JobFailures', { code });
  milliseconds('JobLatency', now - Date.parse(job.created_at), { status });
}

function initialRecord(message: VaultJobMessage, source: JobRecord['source'] = 'queue', card?: SealedCard): JobRecord {
  return newJobRecord({
    jobId: message.job_id,
    source,
    card: card ? maskCard(card.number, card.exp_month, card.exp_year) : undefined,
    charge: message.charge ? { amount: message.charge.amount, currency: message.charge.currency } : undefined,
    existingCustomer: 'customer_id' in message.customer,
    tokenization: 'tokenization' in message ? message.tokenization : undefined,
    savedPaymentMethodId: 'payment_method_id' in message ? message.payment_method_id : undefined,
    verify: 'verify' in message && message.verify,
  });
}
