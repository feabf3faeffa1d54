import { HyperswitchDuplicateError } from '../../hyperswitch';
import type { Payment, PaymentCreateRequest } from '../../hyperswitch/schemas';
import { findAttemptedPayment } from '../attempts';
import { JOB_ID_METADATA_KEY } from '../references';
import { RetryLaterError, type StepRun } from '../run-context';
import type { JobError, NextAction } from '../schemas';

export type StepOutcome = { status: 'succeeded' } | { status: 'failed'; error: JobError } | { status: 'requires_action'; next_action: NextAction };

/** Where the issuer wants the shopper to authenticate, when the payment waits for that. */
export function redirectOf(payment: Payment): NextAction | undefined {
  if (payment.status !== 'requires_customer_action' || !payment.next_action || !('redirect_to_url' in payment.next_action)) return undefined;
  return { type: 'redirect_to_url', url: payment.next_action.redirect_to_url };
}

// Payment statuses after which the payment is done (captured, or authorized for a later capture).
export const CHARGED = new Set(['succeeded', 'processing', 'requires_capture', 'partially_captured', 'partially_captured_and_capturable', 'partially_authorized_and_requires_capture', 'partially_captured_and_processing']);

export interface PaymentPlan {
  /** Derived from the job id: Hyperswitch keeps it unique, so the payment is never made twice. */
  reference: string;
  request: Omit<PaymentCreateRequest, 'merchant_reference_id'>;
  failure: (payment: Payment) => JobError;
}

/**
 * A payment step (the charge, the zero-amount verification): create-and-confirm with the payment
 * key under a reference derived from the job id. A payment whose outcome is unknown is looked up
 * (since the step's first attempt), never made twice; `HE_01` means an earlier attempt made it.
 */
export async function paymentStep(run: StepRun, stepName: 'payment' | 'verification', plan: PaymentPlan): Promise<StepOutcome> {
  const { payments } = run.deps;
  const lookup = (since: string) => findAttemptedPayment({ payments, call: run.call }, plan.request.customer_id, plan.reference, since);
  const earlier = run.earlierAttempt(stepName);
  let payment = earlier ? await lookup(earlier.first_attempted_at) : undefined;
  if (!payment) {
    await run.intend(stepName);
    const firstAttemptedAt = run.steps[stepName]!.first_attempted_at!;
    try {
      payment = await run.call('payments.createAndConfirm', () =>
        payments.createAndConfirmPayment({ ...plan.request, merchant_reference_id: plan.reference, metadata: { [JOB_ID_METADATA_KEY]: run.jobId } }),
      );
    } catch (error) {
      if (!(error instanceof HyperswitchDuplicateError)) throw error;
      payment = await lookup(firstAttemptedAt);
      if (!payment) throw new RetryLaterError(`Hyperswitch reports payment ${plan.reference} as a duplicate but does not list it yet`);
    }
  }
  const redirect = redirectOf(payment);
  if (redirect) {
    run.record(stepName, { ...run.steps[stepName]!, status: 'requires_action', payment_id: payment.id, payment_status: payment.status });
    return { status: 'requires_action', next_action: redirect };
  }
  const outcome = settledOutcome(payment, plan.failure);
  run.record(stepName, { status: outcome.status, payment_id: payment.id, payment_status: payment.status });
  return outcome;
}

/** What a payment that no longer waits for the shopper means for its job: done, or failed and why. */
export function settledOutcome(payment: Payment, failure: (payment: Payment) => JobError): { status: 'succeeded' } | { status: 'failed'; error: JobError } {
  return CHARGED.has(payment.status) ? { status: 'succeeded' } : { status: 'failed', error: failure(payment) };
}
