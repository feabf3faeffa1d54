/**
 * What a payment does in the simulator, by test card — the numbers merchants know from Stripe's
 * test-card list, which Hyperswitch's own tests use through its Stripe connector. The simulator
 * decides when a card is saved (it sees the number then, and keeps only the scenario).
 */

export type Scenario =
  | { kind: 'succeeds' }
  | { kind: 'declines'; error: PaymentErrorBody }
  /** 3-D Secure on every payment the shopper is present for. */
  | { kind: 'three_ds_always' }
  /** 3-D Secure on the customer-initiated setup; off-session charges after it go through. */
  | { kind: 'three_ds_on_setup' };

export interface PaymentErrorBody {
  code: string;
  message: string;
  reason: string;
  unified_code: string;
  unified_message: string;
}

// Stripe's error code and decline code, and Hyperswitch's unified code for the class of error.
const paymentError = (code: string, reason: string, message: string): PaymentErrorBody => ({
  code,
  message,
  reason,
  unified_code: 'UE_9000',
  unified_message: 'The payment was declined',
});
const decline = (code: string, reason: string, message: string): Scenario => ({ kind: 'declines', error: paymentError(code, reason, message) });

const SCENARIOS: Record<string, Scenario> = {
  '4000000000000002': decline('card_declined', 'generic_decline', 'Your card was declined.'),
  '4000000000009995': decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.'),
  '4000000000000069': decline('expired_card', 'expired_card', 'Your card has expired.'),
  '4000000000000127': decline('incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."),
  '4000000000000119': decline('processing_error', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'),
  '4000002760003184': { kind: 'three_ds_always' },
  '4000002500003155': { kind: 'three_ds_on_setup' },
};

export const scenarioOf = (number: string): Scenario => SCENARIOS[number] ?? { kind: 'succeeds' };

/** A merchant-initiated charge of a card never set up for off-session use: what Stripe answers. */
export const NOT_SET_UP_FOR_OFF_SESSION = paymentError('authentication_required', 'authentication_required', 'This card was not set up for off-session payments; the customer must authenticate.');
export const PROCESSING_FAILED = paymentError('card_declined', 'do_not_honor', 'The payment was declined after processing.');
export const AUTHENTICATION_FAILED = paymentError('authentication_failed', 'authentication_failed', 'The customer failed 3-D Secure authentication.');

export interface PaymentContext {
  scenario: Scenario;
  customerPresent: boolean;
  /** The payment sets the card up for later off-session charges (`setup_future_usage: off_session`). */
  setsUpOffSession: boolean;
  /** An earlier customer-initiated payment with `setup_future_usage: off_session` succeeded on this card. */
  offSessionReady: boolean;
  authenticationType?: 'three_ds' | 'no_three_ds';
}

export type Outcome = { status: 'succeeded' } | { status: 'failed'; error: PaymentErrorBody } | { status: 'requires_customer_action' };

/** The payment's outcome at confirmation. */
export function decide(context: PaymentContext): Outcome {
  const { scenario } = context;
  if (!context.customerPresent && !context.offSessionReady) return { status: 'failed', error: NOT_SET_UP_FOR_OFF_SESSION };
  if (scenario.kind === 'declines') return { status: 'failed', error: scenario.error };
  if (context.customerPresent) {
    if (scenario.kind === 'three_ds_always') return { status: 'requires_customer_action' };
    if (scenario.kind === 'three_ds_on_setup' && context.setsUpOffSession) return { status: 'requires_customer_action' };
    if (context.authenticationType === 'three_ds') return { status: 'requires_customer_action' };
  }
  return { status: 'succeeded' };
}
