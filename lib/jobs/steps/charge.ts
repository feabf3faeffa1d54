import { HyperswitchNotFoundError } from '../../hyperswitch';
import type { Payment, PaymentCreateRequest, PaymentMethod } from '../../hyperswitch/schemas';
import { findCustomerPayment } from '../attempts';
import { declineError } from '../declines';
import { paymentReference } from '../references';
import { JobFailure, type StepRun } from '../run-context';
import type { JobError } from '../schemas';
import { paymentStep, type StepOutcome } from './payment';

/** What a charge of a saved method sends as `card_token`: the holder name, and a CVC when we have one. */
export type CardToken = { card_holder_name: string; card_cvc?: string };


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
 * The stored-credential signals of a payment (the card networks' framework). A checkout's charge is
 * customer-initiated and sets the card up for later off-session charges; a later charge with the
 * shopper present is customer-initiated too; one without is merchant-initiated: the shopper is
 * absent, the MIT exemption from strong customer authentication is asked for, no 3-D Secure.
 */
export function initiation(message: StepRun['message'], options: { setsUpOffSession: boolean }): Partial<PaymentCreateRequest> {
  const charge = message.charge;
  const customerPresent = 'card' in message || message.customer_present;
  if (!customerPresent) return { customer_present: 'absent', apply_mit_exemption: 'Apply' };
  const threeDs = charge?.three_ds ?? 'automatic';
  return {
    customer_present: 'present',
    ...(options.setsUpOffSession ? { setup_future_usage: 'off_session' as const } : {}),
    ...(threeDs === 'automatic' ? {} : { authentication_type: threeDs === 'required' ? ('three_ds' as const) : ('no_three_ds' as const) }),
    ...(charge?.return_url ? { return_url: charge.return_url } : {}),
  };
}

/**
 * Step 3: the charge, create-and-confirm with the payment key. A merchant-initiated charge of a card
 * never set up for it (saved without a charge or a verification) is refused unless the merchant
 * allows it (`OFF_SESSION_REQUIRES_SETUP=false`): issuers decline or challenge those.
 */
export async function chargeStep(run: StepRun, customerId: string, paymentMethodId: string, cardToken: CardToken): Promise<StepOutcome> {
  const charge = run.message.charge!;
  const merchantInitiated = 'payment_method_id' in run.message && !run.message.customer_present;
  if (merchantInitiated && run.deps.offSessionRequiresSetup && !(await isSetUpForOffSession(run, customerId, paymentMethodId))) {
    throw new JobFailure(
      'payment_method_not_set_up',
      'The card was saved without a customer-initiated setup (a charge or verify: true at checkout), so a charge without the shopper would be declined or challenged; charge it with customer_present: true, or save cards with verify: true',
    );
  }
  const setsUpOffSession = 'card' in run.message;
  return paymentStep(run, 'payment', {
    reference: paymentReference(run.jobId),
    request: {
      amount_details: { order_amount: charge.amount, currency: charge.currency },
      customer_id: customerId,
      payment_method_type: 'card',
      payment_method_id: paymentMethodId,
      payment_method_data: { card_token: cardToken },
      ...(charge.description ? { description: charge.description } : {}),
      ...initiation(run.message, { setsUpOffSession }),
    },
    failure: chargeFailure,
  });
}

/**
 * Whether a customer-initiated setup readied the card for merchant-initiated charges. Only the job
 * that vaulted a card (its holder in the job table) can have set it up — with its checkout charge
 * or its `verify: true` — so its record says, and nothing is written for it. Those records expire
 * (30 days) long before the card does: past them, Hyperswitch's own history of the customer's
 * payments says whether a customer-initiated setup (`setup_future_usage: off_session`) succeeded on
 * this card — so a monthly subscription keeps working.
 */
export async function isSetUpForOffSession(run: Pick<StepRun, 'deps' | 'call'>, customerId: string, paymentMethodId: string): Promise<boolean> {
  const holder = await run.deps.store.paymentMethodHolder(paymentMethodId);
  const job = holder ? await run.deps.store.get(holder) : undefined;
  if (job) return job.steps.payment.status === 'succeeded' || job.steps.verification?.status === 'succeeded';
  const setup = await findCustomerPayment(
    { payments: run.deps.payments, call: run.call },
    customerId,
    (payment) => payment.payment_method_id === paymentMethodId && payment.status === 'succeeded' && payment.setup_future_usage === 'off_session',
  );
  return setup !== undefined;
}

export const chargeFailure = (payment: Payment): JobError => (payment.status === 'failed' ? declineError(payment, 'The charge') : stuck(payment, 'The charge'));

export function stuck(payment: Payment, what: string): JobError {
  return { code: `payment_${payment.status}`, message: `${what} ended in status ${payment.status}, which needs action outside this flow`, retryable: false };
}
