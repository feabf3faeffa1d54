import { HyperswitchDuplicateError, HyperswitchNotFoundError } from '../../hyperswitch';
import type { Payment, PaymentMethod } from '../../hyperswitch/schemas';
import { redactPans } from '../../card';
import { findAttemptedPayment } from '../attempts';
import { paymentReference } from '../references';
import { JobFailure, RetryLaterError, type StepRun } from '../run-context';
import type { JobError } from '../schemas';

/** What a charge of a saved method sends as `card_token`: the holder name, and a CVC when we have one. */
export type CardToken = { card_holder_name: string; card_cvc?: string };

export type StepOutcome = { status: 'succeeded' } | { status: 'failed'; error: JobError };

// Payment statuses after which the charge is done (captured, or authorized for a later capture).
export const CHARGED = new Set(['succeeded', 'processing', 'requires_capture', 'partially_captured', 'partially_captured_and_capturable', 'partially_authorized_and_requires_capture', 'partially_captured_and_processing']);

/** Step 2 of a charge job: the saved card it charges must exist and belong to the job's customer. */
export async function savedPaymentMethodStep(run: StepRun, customerId: string): Promise<{ paymentMethodId: string; cardToken: CardToken }> {
  const paymentMethodId = (run.message as { payment_method_id: string }).payment_method_id;
  let method: PaymentMethod;
  try {
    method = await run.call('paymentMethods.retrieve', () => run.deps.vault.getPaymentMethod(paymentMethodId));
  } catch (error) {
    if (error instanceof HyperswitchNotFoundError) throw new JobFailure('payment_method_not_found', 'The payment_method_id given does not exist in Hyperswitch');
    throw error;
  }
  if (method.customer_id !== customerId) throw new JobFailure('payment_method_not_found', 'The payment method does not belong to this customer');
  const holderName = method.payment_method_data?.card?.card_holder_name;
  if (!holderName) throw new JobFailure('card_holder_name_unknown', 'The saved card has no holder name, which a charge needs; add one with PATCH /payment-methods/{id}');
  return { paymentMethodId, cardToken: { card_holder_name: holderName } };
}

/**
 * Step 3: create-and-confirm the payment with the payment key. Its reference is derived from the job
 * id, and Hyperswitch keeps references unique (a repeat answers HE_01), so a payment whose outcome is
 * unknown is looked up, never made twice.
 */
export async function chargeStep(run: StepRun, customerId: string, paymentMethodId: string, cardToken: CardToken): Promise<StepOutcome> {
  const charge = run.message.charge!;
  const { payments } = run.deps;
  const reference = paymentReference(run.jobId);
  const step = run.steps.payment;
  const lookup = (since: string) => findAttemptedPayment({ payments, call: run.call }, customerId, reference, since);
  let payment = step.attempted_at ? await lookup(step.first_attempted_at ?? step.attempted_at) : undefined;
  if (!payment) {
    const attemptedAt = new Date(run.now()).toISOString();
    const firstAttemptedAt = step.first_attempted_at ?? attemptedAt;
    await run.checkpoint('payment', { ...step, attempted_at: attemptedAt, first_attempted_at: firstAttemptedAt });
    try {
      payment = await run.call('payments.createAndConfirm', () =>
        payments.createAndConfirmPayment({
          amount_details: { order_amount: charge.amount, currency: charge.currency },
          merchant_reference_id: reference,
          customer_id: customerId,
          payment_method_type: 'card',
          payment_method_id: paymentMethodId,
          payment_method_data: { card_token: cardToken },
          ...(charge.description ? { description: charge.description } : {}),
        }),
      );
    } catch (error) {
      // HE_01: the reference exists — an earlier attempt charged; never charge twice.
      if (!(error instanceof HyperswitchDuplicateError)) throw error;
      payment = await lookup(firstAttemptedAt);
      if (!payment) throw new RetryLaterError(`Hyperswitch reports payment ${reference} as a duplicate but does not list it yet`);
    }
  }
  const charged = CHARGED.has(payment.status);
  await run.checkpoint('payment', { status: charged ? 'succeeded' : 'failed', payment_id: payment.id, payment_status: payment.status });
  return charged ? { status: 'succeeded' } : { status: 'failed', error: paymentError(payment) };
}

function paymentError(payment: Payment): JobError {
  const declined = payment.status === 'failed';
  return {
    code: declined ? 'payment_declined' : `payment_${payment.status}`,
    message: declined
      ? `The charge was declined: ${redactPans(payment.error?.message ?? 'no reason given').slice(0, 200)}${payment.error?.code ? ` (${payment.error.code})` : ''}`
      : `The charge ended in status ${payment.status}, which needs action outside this flow`,
    retryable: false,
  };
}
