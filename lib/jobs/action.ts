/**
 * A job waiting for the shopper to authenticate (3-D Secure). The shopper returns through the
 * merchant's page, so nothing tells us when: whoever looks next — `GET /jobs/{id}`, the job's own
 * message coming back at the end of the wait, a Hyperswitch webhook — reads the payment from
 * Hyperswitch (force-synced with the connector) and ends the job by what it became. Only a lookup:
 * no payment is ever made again for a resumed job. The move is conditional on the job still
 * waiting, so a finished job never returns to an earlier state.
 */
import type { PaymentsApi } from '../hyperswitch';
import type { Log } from '../log';
import type { JobError, JobRecord, PaymentStep } from './schemas';
import { chargeFailure } from './steps/charge';
import { settledOutcome } from './steps/payment';
import { verificationFailure } from './steps/verification';
import type { JobStore } from './store';

export interface ActionDeps {
  store: JobStore;
  payments: PaymentsApi;
  log: Log;
  clock?: () => number;
  /** Publishes the events of a job this resolution ended (lib/events). */
  jobChanged?: (job: JobRecord) => Promise<void>;
}

const EXPIRED: JobError = {
  code: 'authentication_expired',
  message: 'The shopper did not authenticate the payment before the job stopped waiting',
  retryable: false,
  decline_message: 'The time to confirm this payment ran out. Please pay again.',
};

/** Resolves a job in `requires_action` if its payment has moved on or its wait has ended; returns the job as it is now. */
export async function resolveAwaitingAction(job: JobRecord, deps: ActionDeps): Promise<JobRecord> {
  if (job.status !== 'requires_action') return job;
  const stepName = job.steps.verification?.status === 'requires_action' ? 'verification' : 'payment';
  const step = job.steps[stepName] as PaymentStep;
  if (!step.payment_id) return job;
  const payment = await deps.payments.getPayment(step.payment_id, { forceSync: true });
  const waiting = payment.status === 'requires_customer_action';
  if (waiting && job.action_expires_at && (deps.clock ?? Date.now)() < Date.parse(job.action_expires_at)) return job;
  const outcome = waiting ? { status: 'failed' as const, error: EXPIRED } : settledOutcome(payment, stepName === 'verification' ? verificationFailure : chargeFailure);
  const value: PaymentStep = { ...step, status: outcome.status, payment_status: payment.status };
  const resolved = await deps.store.resolveAction(job.job_id, stepName, value, outcome);
  if (!resolved) return (await deps.store.get(job.job_id)) ?? job;
  deps.log.info('Vault job resolved after the shopper', { jobId: job.job_id, status: outcome.status, ...(outcome.status === 'failed' ? { code: outcome.error.code } : {}) });
  await deps.jobChanged?.(resolved);
  return resolved;
}
