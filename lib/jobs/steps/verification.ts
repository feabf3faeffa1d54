import type { Payment } from '../../hyperswitch/schemas';
import { declineError } from '../declines';
import { verificationReference } from '../references';
import type { StepRun } from '../run-context';
import type { JobError } from '../schemas';
import type { CardToken } from './charge';
import { initiation, stuck } from './charge';
import { paymentStep, type StepOutcome } from './payment';

/**
 * Step 3 of `verify: true`: a zero-amount customer-initiated setup payment right after the card is
 * saved — Stripe's SetupIntent. A card the issuer refuses ends the job `failed`
 * (`card_verification_failed`, with the decline class and a message for the shopper); a verified
 * card is set up for later merchant-initiated charges.
 */
export async function verificationStep(run: StepRun, customerId: string, paymentMethodId: string, cardToken: CardToken): Promise<StepOutcome> {
  return paymentStep(run, 'verification', {
    reference: verificationReference(run.jobId),
    request: {
      amount_details: { order_amount: 0, currency: run.deps.verificationCurrency },
      customer_id: customerId,
      payment_method_type: 'card',
      payment_method_id: paymentMethodId,
      payment_method_data: { card_token: cardToken },
      ...initiation(run.message, { setsUpOffSession: true }),
    },
    failure: verificationFailure,
  });
}

/** A refused verification: `card_verification_failed`, the decline class in the message, a message for the shopper. */
export function verificationFailure(payment: Payment): JobError {
  if (payment.status !== 'failed') return stuck(payment, 'The verification');
  const decline = declineError(payment, 'The verification');
  return { ...decline, code: 'card_verification_failed', message: `${decline.message} [${decline.code}]` };
}
