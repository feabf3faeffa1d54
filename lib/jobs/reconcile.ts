/**
 * A job that ended `failed` after an attempt whose outcome was lost (retries exhausted, dead-lettered)
 * may have saved a card or made a payment that no record names: the merchant would be told the card
 * was not saved, or the shopper not charged, while they were. Reconciliation looks both up — it
 * never creates — and records what it finds on the failed job, flagged `recovered_after_failure`,
 * so the merchant can use or delete the card (token management) and knows about the payment.
 * `settleDeadLetteredJob` is the dead-letter handler's work around it.
 */
import { HyperswitchNotFoundError, type PaymentsApi, type VaultApi } from '../hyperswitch';
import type { Log } from '../log';
import { resolveAwaitingAction } from './action';
import { findAttemptedCard, findAttemptedPayment } from './attempts';
import { jobCustomerReference, paymentReference, verificationReference } from './references';
import { RetryLaterError, type HyperswitchCall } from './run-context';
import { newJobRecord } from './record';
import type { CustomerSpec, JobError, JobRecord } from './schemas';
import { CHARGED } from './steps/payment';
import { holdSavedCard } from './steps/payment-method';
import type { JobStore } from './store';

export interface ReconcileDeps {
  store: JobStore;
  vault: VaultApi;
  payments: PaymentsApi;
  log: Log;
  clock?: () => number;
}

export interface Reconciliation {
  payment_method_id?: string;
  payment_id?: string;
  verification_payment_id?: string;
}

const direct: HyperswitchCall = (_operation, fn) => fn();

/**
 * The customer of a failed job whose attempts may have made something: the one its record names,
 * else — a run's results ride on its next write, and a run killed before it wrote them leaves the
 * customer unrecorded — the one its message names, or the one made under its reference.
 */
async function customerOf(job: JobRecord, customer: CustomerSpec | undefined, vault: VaultApi): Promise<string | undefined> {
  if (job.steps.customer.customer_id) return job.steps.customer.customer_id;
  const attempted = job.steps.payment_method.attempted_at || job.steps.payment.attempted_at || job.steps.verification?.attempted_at;
  if (!attempted) return undefined;
  if (customer && 'customer_id' in customer) return customer.customer_id;
  try {
    return (await vault.getCustomerByReference(jobCustomerReference(job.job_id, customer?.merchant_reference_id))).id;
  } catch (error) {
    if (error instanceof HyperswitchNotFoundError) return undefined;
    throw error;
  }
}

/** `customer`: what the job's message says of its customer, when the message is at hand (the dead-letter handler's). */
export async function reconcileFailedJob(job: JobRecord, deps: ReconcileDeps, customer?: CustomerSpec): Promise<Reconciliation> {
  const found: Reconciliation = {};
  const { store, vault, payments, log } = deps;
  if (job.status !== 'failed') return found;
  const customerId = await customerOf(job, customer, vault);
  if (!customerId) return found;

  const method = job.steps.payment_method;
  if (method.attempted_at && !method.payment_method_id && job.card) {
    const facts = { last4: job.card.last4, exp_month: job.card.exp_month, exp_year: job.card.exp_year };
    const card = await findAttemptedCard({ jobId: job.job_id, vault, store, call: direct }, customerId, facts, method.first_attempted_at ?? method.attempted_at);
    if (card && (await store.holdPaymentMethod(card.id, job.job_id))) {
      await store.amendFailedJob(job.job_id, 'payment_method', { ...method, status: 'succeeded', payment_method_id: card.id, recovered_after_failure: true });
      found.payment_method_id = card.id;
    }
  }

  for (const [stepName, reference] of [['payment', paymentReference(job.job_id)], ['verification', verificationReference(job.job_id)]] as const) {
    const step = job.steps[stepName];
    if (!step?.attempted_at || step.payment_id) continue;
    const made = await findAttemptedPayment({ payments, call: direct }, customerId, reference, step.first_attempted_at ?? step.attempted_at);
    if (!made) continue;
    await store.amendFailedJob(job.job_id, stepName, {
      status: CHARGED.has(made.status) ? 'succeeded' : 'failed',
      payment_id: made.id,
      payment_status: made.status,
      attempted_at: step.attempted_at,
      first_attempted_at: step.first_attempted_at,
      recovered_after_failure: true,
    });
    found[stepName === 'payment' ? 'payment_id' : 'verification_payment_id'] = made.id;
  }
  if (Object.keys(found).length > 0) log.warn('A failed job had saved a card or made a payment; recorded on the job', { jobId: job.job_id, ...found });
  return found;
}

const RETRIES_EXHAUSTED: JobError = { code: 'retries_exhausted', message: 'The job could not be completed after repeated attempts', retryable: false };

/**
 * A job whose message SQS gave up on (the dead-letter handler's): it ends `failed`
 * (`retries_exhausted`) unless it ended already, and a failed job is reconciled with Hyperswitch.
 * The last receive the queue allows may have done more than fail, and no delivery is left to make
 * it good:
 * - it may have ended the job `succeeded` and stopped before the card's hold that goes beside the
 *   end (`cardHeldWithEnd`): the card is held here;
 * - it may have parked the job for the shopper, whose message comes back here when the wait ends:
 *   the job is resolved as the worker would (the payment as it became, or
 *   `authentication_expired`). If it is not over yet, the dead letter comes back.
 *
 * `message`: what the dead letter says of the job's customer, and the route that sent it (a record
 * made here, when no delivery wrote one, says where the job came from).
 *
 * Returns the record as it now stands, for its events.
 */
export async function settleDeadLetteredJob(
  jobId: string,
  deps: ReconcileDeps,
  message: { customer?: CustomerSpec; source?: JobRecord['source'] } = {},
): Promise<JobRecord | undefined> {
  const { customer, source = 'queue' } = message;
  const job = await deps.store.failUnlessFinished(jobId, RETRIES_EXHAUSTED, () => newJobRecord({ jobId, source }));
  if (!job) return undefined;
  if (job.status === 'requires_action') {
    const resolved = await resolveAwaitingAction(job, deps);
    if (resolved.status === 'requires_action') throw new RetryLaterError(`Job ${jobId} still waits for the shopper: its dead letter comes back`);
    return resolved;
  }
  if (job.status === 'succeeded') {
    await holdSavedCard(deps, jobId, job.steps);
    return job;
  }
  const found = await reconcileFailedJob(job, deps, customer);
  // After the reconciliation: a card or payment it found is part of what the events say.
  return Object.keys(found).length > 0 ? ((await deps.store.get(jobId)) ?? job) : job;
}
