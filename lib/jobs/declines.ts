/**
 * Declines a shopper can act on: Hyperswitch's `error.code` / `reason` (the connector's decline code)
 * / `unified_code` mapped once to a short, stable set, each with a message of ours that is safe to
 * show a shopper. A connector's own text never reaches the shopper, and reaches the merchant only
 * cut short and with card numbers masked.
 */
import { redactPans } from '../card';
import type { Payment } from '../hyperswitch/schemas';
import type { JobError } from './schemas';

export const DECLINE_CODES = [
  'insufficient_funds',
  'expired_card',
  'incorrect_cvc',
  'do_not_honor',
  'lost_or_stolen_card',
  'processing_error',
  'authentication_required',
  'authentication_failed',
  'card_declined',
] as const;
export type DeclineCode = (typeof DECLINE_CODES)[number];

const SHOPPER_MESSAGES: Record<DeclineCode, string> = {
  insufficient_funds: 'Your card has insufficient funds. Try another card.',
  expired_card: 'Your card has expired. Try another card.',
  incorrect_cvc: "Your card's security code is incorrect. Check it and try again.",
  do_not_honor: 'Your card was declined by your bank. Contact your bank or try another card.',
  lost_or_stolen_card: 'Your card was declined. Try another card.',
  processing_error: 'We could not process your card. Try again in a little while.',
  authentication_required: 'Your bank needs you to confirm this payment. Pay again while you are here.',
  authentication_failed: 'Your bank could not confirm this payment. Try again or use another card.',
  card_declined: 'Your card was declined. Try another card.',
};

// Connector decline codes (Stripe's, which Hyperswitch passes through) and the class each belongs to.
const BY_CONNECTOR_CODE: Record<string, DeclineCode> = {
  insufficient_funds: 'insufficient_funds',
  expired_card: 'expired_card',
  incorrect_cvc: 'incorrect_cvc',
  invalid_cvc: 'incorrect_cvc',
  do_not_honor: 'do_not_honor',
  lost_card: 'lost_or_stolen_card',
  stolen_card: 'lost_or_stolen_card',
  pickup_card: 'lost_or_stolen_card',
  processing_error: 'processing_error',
  issuer_not_available: 'processing_error',
  try_again_later: 'processing_error',
  authentication_required: 'authentication_required',
  authentication_failed: 'authentication_failed',
  generic_decline: 'card_declined',
  card_declined: 'card_declined',
};

/** The decline class of a failed payment; `card_declined` when nothing more specific is known. */
export function declineCode(error: Payment['error']): DeclineCode {
  for (const candidate of [error?.reason, error?.code, error?.unified_code]) {
    const known = candidate ? BY_CONNECTOR_CODE[candidate.toLowerCase()] : undefined;
    if (known) return known;
  }
  return 'card_declined';
}

/**
 * A failed payment as the job's error: the decline class as the code, a message for the merchant
 * (with Hyperswitch's code, the connector's text masked and cut short) and one safe for a shopper.
 */
export function declineError(payment: Pick<Payment, 'error'>, what: string): JobError {
  const code = declineCode(payment.error);
  const detail = payment.error ? `: ${redactPans(payment.error.message).slice(0, 200)} (${payment.error.code})` : '';
  return { code, message: `${what} was declined${detail}`, retryable: false, decline_message: SHOPPER_MESSAGES[code] };
}
