/**
 * What an earlier attempt of a job may have left in Hyperswitch when its outcome was lost (a
 * timeout, a 5xx after acting, a reset, a crash before the checkpoint, a late commit): the card it
 * saved or the payment it made. Used before a create is sent again, and when a failed job is
 * reconciled.
 */
import { fullExpiryYear } from '../card';
import type { PaymentsApi, VaultApi } from '../hyperswitch';
import type { Payment, PaymentList, PaymentMethod } from '../hyperswitch/schemas';
import type { HyperswitchCall } from './run-context';
import type { JobStore } from './store';

/**
 * How far Hyperswitch's clock may run behind ours. `attempted_at` is written before the create is
 * sent, so by equal clocks the card is created after it; both sides keep NTP time (AWS Time Sync).
 */
export const HYPERSWITCH_CLOCK_SKEW_MS = 1_000;

/** What identifies a card in a list of saved ones: the number is not returned, its last four are. */
export interface CardFacts {
  last4: string;
  /** Known while the job holds the card; a failed job's record keeps only the masked card. */
  bin?: string;
  exp_month: number;
  exp_year: number;
}

/**
 * The card this job's earlier attempts saved for this customer, if Hyperswitch holds one: same last
 * four (and BIN, when known) and expiry, created since the job's first attempt, and held by no other
 * job — payment methods have no merchant reference, so two jobs of one customer saving the same card
 * look alike, and the uniqueness record of the job table tells them apart. A card this job already
 * holds comes first (a run that stopped between holding it and its checkpoint).
 */
export async function findAttemptedCard(
  context: { jobId: string; vault: VaultApi; store: JobStore; call: HyperswitchCall },
  customerId: string,
  card: CardFacts,
  firstAttemptedAt: string,
): Promise<PaymentMethod | undefined> {
  const { customer_payment_methods: methods } = await context.call('customers.listSavedPaymentMethods', () => context.vault.listCustomerPaymentMethods(customerId));
  const since = Date.parse(firstAttemptedAt) - HYPERSWITCH_CLOCK_SKEW_MS;
  const candidates = methods
    .filter((method) => {
      const saved = method.payment_method_data?.card;
      return (
        saved?.last4_digits === card.last4 &&
        (!card.bin || !saved.card_isin || card.bin.startsWith(saved.card_isin) || saved.card_isin.startsWith(card.bin)) &&
        Number(saved.expiry_month) === card.exp_month &&
        fullExpiryYear(Number(saved.expiry_year)) === card.exp_year &&
        Date.parse(method.created) >= since
      );
    })
    .sort((a, b) => Date.parse(a.created) - Date.parse(b.created));
  const holders = await Promise.all(candidates.map((method) => context.store.paymentMethodHolder(method.id)));
  const match = candidates.find((_, i) => holders[i] === context.jobId) ?? candidates.find((_, i) => holders[i] === undefined);
  return match ? context.call('paymentMethods.retrieve', () => context.vault.getPaymentMethod(match.id)) : undefined;
}

/**
 * The payment with this job's reference, if Hyperswitch has one (the reference is unique there),
 * among the customer's payments since the job's first attempt.
 */
export async function findAttemptedPayment(
  context: { payments: PaymentsApi; call: HyperswitchCall },
  customerId: string,
  reference: string,
  firstAttemptedAt: string,
): Promise<Payment | undefined> {
  const createdSince = new Date(Date.parse(firstAttemptedAt) - HYPERSWITCH_CLOCK_SKEW_MS).toISOString();
  const found = await findCustomerPayment(context, customerId, (payment) => payment.merchant_reference_id === reference, createdSince);
  return found ? context.call('payments.retrieve', () => context.payments.getPayment(found.id)) : undefined;
}

/**
 * The first of the customer's payments (since `createdSince`, when given) that `matches`, page by
 * page: a customer can have more than a page of them.
 */
export async function findCustomerPayment(
  context: { payments: PaymentsApi; call: HyperswitchCall },
  customerId: string,
  matches: (payment: PaymentList['data'][number]) => boolean,
  createdSince?: string,
): Promise<PaymentList['data'][number] | undefined> {
  for (let offset = 0; ; offset += PAYMENTS_PAGE) {
    const page = await context.call('payments.list', () => context.payments.listPayments({ customerId, createdSince, limit: PAYMENTS_PAGE, offset }));
    const found = page.data.find(matches);
    if (found || page.data.length < PAYMENTS_PAGE) return found;
  }
}

/** The largest page Hyperswitch's payment list serves. */
const PAYMENTS_PAGE = 100;
