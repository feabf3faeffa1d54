/**
 * A job that ended `failed` after an attempt whose outcome was lost (retries exhausted, dead-lettered)
 * may have saved a card or made a payment that no record names: the merchant would be told the card
 * was not saved, or the shopper not charged, while they were. Reconciliation looks both up — it
 * never creates — and records what it finds on the failed job, flagged `recovered_after_failure`,
 * so the merchant can use or delete the card (token management) and knows about the payment.
 */
import type { PaymentsApi, VaultApi } from '../hyperswitch';
import type { Log } from '../log';
import { findAttemptedCard, findAttemptedPayment } from './attempts';
import { paymentReference, verificationReference } from './references';
import type { HyperswitchCall } from './run-context';
import type { JobRecord } from './schemas';
import { CHARGED } from './steps/payment';
import type { JobStore } from './store';

export interface ReconcileDeps {
  store: JobStore;
  vault: VaultApi;
  payments: PaymentsApi;
  log: Log;
}

export interface Reconciliation {
  payment_method_id?: string;
  payment_id?: string;
  verification_payment_id?: string;
}

const direct: HyperswitchCall = (_operation, fn) => fn();

export async function reconcileFailedJob(job: JobRecord, deps: ReconcileDeps): Promise<Reconciliation> {
  const found: Reconciliation = {};
  const { store, vault, payments, log } = deps;
  const customerId = job.steps.customer.customer_id;
  if (job.status !== 'failed' || !customerId) return found;

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
