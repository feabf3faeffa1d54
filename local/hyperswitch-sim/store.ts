/**
 * The simulator's in-memory Hyperswitch: the vault (vault.ts) and the payments made with its saved
 * cards, what Hyperswitch's payment key reaches — their scenarios, 3-D Secure challenges and late
 * settlements.
 */
import { AUTHENTICATION_FAILED, decide, PROCESSING_FAILED, type PaymentErrorBody } from './scenarios';
import { globalId, MERCHANT_ID, now, SimError, VaultStore, type Body } from './vault';

export { SimError, type SimulatorSettings } from './vault';

interface PaymentRecord {
  body: Body;
  merchantReferenceId: string | null;
  /** While `processing`: when the connector settles it, and how. */
  settles?: { at: number; to: 'succeeded' | 'failed' };
  /** The stored-credential signals the payment was made with, for inspection. */
  signals: PaymentSignals;
}

export interface PaymentSignals {
  customer_present: string | null;
  setup_future_usage: string | null;
  authentication_type: string | null;
  apply_mit_exemption: string | null;
}

/** A payment that the connector accepts but settles later: `processing` until `settlesAt`, then its final status. */
export interface ProcessingOutcome {
  settleAfterMs: number;
  settlesTo: 'succeeded' | 'failed';
}

export class SimulatorStore extends VaultStore {
  /** The next payments' outcomes, when a test scripts them (before the card's own scenario). */
  readonly scriptedOutcomes: ProcessingOutcome[] = [];
  readonly payments = new Map<string, PaymentRecord>();
  /** The merchant references payments were made with (a lookup rather than a scan of every payment). */
  private readonly paymentReferences = new Set<string>();

  createPayment(body: Body): Body {
    const reference = (body.merchant_reference_id as string | undefined) ?? null;
    if (reference && this.paymentReferences.has(reference)) {
      throw new SimError(400, 'HE_01', 'Duplicate payment: a payment with this merchant_reference_id already exists');
    }
    const customerId = body.customer_id as string;
    this.customer(customerId);
    const methodId = body.payment_method_id as string | undefined;
    if (!methodId) throw new SimError(400, 'IR_04', 'Missing required param: payment_method_id');
    const method = this.paymentMethods.get(methodId);
    if (!method) throw new SimError(404, 'HE_02', 'Payment method does not exist in our records', 'object_not_found');
    if (method.customerId !== customerId) throw new SimError(400, 'IR_05', 'Invalid value provided: payment_method_id does not belong to customer_id');
    const amount = body.amount_details as { order_amount?: number; currency: string };
    const orderAmount = amount.order_amount ?? 0;
    const signals: PaymentSignals = {
      customer_present: (body.customer_present as string | undefined) ?? null,
      setup_future_usage: (body.setup_future_usage as string | undefined) ?? null,
      authentication_type: (body.authentication_type as string | undefined) ?? null,
      apply_mit_exemption: (body.apply_mit_exemption as string | undefined) ?? null,
    };
    const outcome = decide({
      scenario: method.scenario,
      customerPresent: signals.customer_present !== 'absent',
      setsUpOffSession: signals.setup_future_usage === 'off_session',
      offSessionReady: method.offSessionReady,
      authenticationType: signals.authentication_type as 'three_ds' | 'no_three_ds' | undefined,
    });
    const timestamp = now();
    method.lastUsedAt = timestamp;
    const id = globalId('pay');
    const payment: Body = {
      id,
      status: outcome.status,
      amount: {
        order_amount: orderAmount,
        currency: amount.currency,
        external_tax_calculation: 'skip',
        surcharge_calculation: 'skip',
        net_amount: orderAmount,
        amount_capturable: 0,
        amount_captured: 0,
      },
      customer_id: customerId,
      processor_merchant_id: MERCHANT_ID,
      connector: 'stripe',
      created: timestamp,
      modified_at: timestamp,
      payment_method_id: method.id,
      payment_method_type: 'card',
      payment_method_subtype: method.subtype,
      merchant_reference_id: reference,
      authentication_type: signals.authentication_type ?? 'no_three_ds',
      return_url: (body.return_url as string | undefined) ?? null,
      description: (body.description as string | undefined) ?? null,
      metadata: (body.metadata as Body | undefined) ?? null,
      error: null,
      next_action: null,
    };
    const record: PaymentRecord = { body: payment, merchantReferenceId: reference, signals };
    this.payments.set(id, record);
    if (reference) this.paymentReferences.add(reference);
    const scripted = outcome.status === 'succeeded' ? this.scriptedOutcomes.shift() : undefined;
    if (scripted) {
      payment.status = 'processing';
      record.settles = { at: Date.now() + scripted.settleAfterMs, to: scripted.settlesTo };
      // The connector settles on its own time: the webhook of that comes then, whether anyone asks or not.
      setTimeout(() => this.settleIfDue(record), scripted.settleAfterMs + 1).unref();
    } else if (outcome.status === 'requires_customer_action') payment.next_action = { type: 'redirect_to_url', redirect_to_url: this.settings.challengeUrl(id) };
    else this.settle(record, outcome.status === 'failed' ? outcome.error : undefined);
    this.settings.paymentChanged?.({ ...payment });
    return { ...payment };
  }

  /** The shopper's answer to a 3-D Secure challenge; false when the payment awaits none. */
  completeChallenge(paymentId: string, approved: boolean): boolean {
    const record = this.payments.get(paymentId);
    if (!record || record.body.status !== 'requires_customer_action') return false;
    this.settle(record, approved ? undefined : AUTHENTICATION_FAILED);
    this.settings.paymentChanged?.({ ...record.body });
    return true;
  }

  /** A processing payment whose time has come settles (once, whoever notices first). */
  private settleIfDue(record: PaymentRecord): void {
    if (!record.settles || Date.now() < record.settles.at) return;
    const { to } = record.settles;
    delete record.settles;
    this.settle(record, to === 'failed' ? PROCESSING_FAILED : undefined);
    this.settings.paymentChanged?.({ ...record.body });
  }

  /** Ends a payment: succeeded (captured; a customer-initiated setup readies the card for MITs) or failed. */
  private settle(record: PaymentRecord, error?: PaymentErrorBody): void {
    const { body, signals } = record;
    body.status = error ? 'failed' : 'succeeded';
    body.error = error ?? null;
    body.next_action = null;
    body.modified_at = now();
    const amount = body.amount as { order_amount: number; amount_captured: number };
    amount.amount_captured = error ? 0 : amount.order_amount;
    if (!error && signals.setup_future_usage === 'off_session' && signals.customer_present !== 'absent') {
      const method = this.paymentMethods.get(body.payment_method_id as string);
      if (method) method.offSessionReady = true;
    }
  }

  paymentSignals(): Record<string, PaymentSignals> {
    return Object.fromEntries([...this.payments.values()].map(({ body, signals }) => [body.id as string, signals]));
  }

  getPayment(id: string): Body {
    const payment = this.payments.get(id);
    if (!payment) throw new SimError(404, 'HE_02', 'Payment does not exist in our records', 'object_not_found');
    this.settleIfDue(payment);
    return { ...payment.body };
  }

  listPayments(customerId: string | undefined, { limit, offset, createdSince }: { limit: number; offset: number; createdSince?: string }): Body {
    const since = createdSince ? Date.parse(createdSince) : -Infinity;
    const matching = [...this.payments.values()].filter(
      (payment) => (!customerId || payment.body.customer_id === customerId) && Date.parse(payment.body.created as string) >= since,
    );
    const data = matching.slice(offset, offset + limit).map(({ body, signals }) => ({
      id: body.id,
      merchant_id: MERCHANT_ID,
      profile_id: 'profile',
      customer_id: body.customer_id,
      payment_method_id: body.payment_method_id,
      status: body.status,
      amount: body.amount,
      created: body.created,
      payment_method_type: 'card',
      merchant_reference_id: body.merchant_reference_id,
      setup_future_usage: signals.setup_future_usage,
      attempt_count: 1,
      return_url: 'https://example.com/return',
      is_split_payment: false,
    }));
    return { count: data.length, total_count: matching.length, data };
  }
}
