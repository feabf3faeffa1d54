/**
 * The simulator's in-memory Hyperswitch: customers, payment methods (a pretend vault that keeps only
 * what a masked response needs — never the card number or CVC), payments. Every method returns a
 * body shaped like the spec's response schema, or throws a SimError carrying Hyperswitch's status
 * and code.
 */
import { randomBytes } from 'node:crypto';
import cardValidator from 'card-validator';
import { hyperswitchCardNetwork } from '../../lib/card';
import { AUTHENTICATION_FAILED, decide, PROCESSING_FAILED, scenarioOf, type PaymentErrorBody, type Scenario } from './scenarios';

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type = 'invalid_request',
  ) {
    super(message);
  }
}

/** Networks that issue network tokens in the simulator (as the real token services do). */
const TOKENIZING_NETWORKS = new Set(['Visa', 'Mastercard', 'AmericanExpress']);

const MERCHANT_ID = 'merchant_sim';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const globalId = (kind: string) => `12345_${kind}_${hex(16)}`;
const now = () => new Date().toISOString();

type Body = Record<string, unknown>;

interface CustomerRecord {
  id: string;
  merchant_reference_id: string;
  name: string;
  email: string;
  phone?: string | null;
  phone_country_code?: string | null;
  description?: string | null;
  metadata?: Body | null;
  default_payment_method_id?: string | null;
  created_at: string;
}

interface PaymentMethodRecord {
  id: string;
  customerId: string;
  subtype: string;
  storageType: string;
  created: string;
  lastUsedAt: string;
  bin: string;
  last4: string;
  expMonth: string;
  expYear: string;
  holderName: string | null;
  nickName: string | null;
  issuerCountry: string | null;
  network: string | null;
  cvcStoredUntil: string | null;
  scenario: Scenario;
  /** A customer-initiated payment with `setup_future_usage: off_session` succeeded on this card. */
  offSessionReady: boolean;
  networkToken: { last4: string; expMonth: string; expYear: string } | null;
  connectorToken: string | null;
}

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

export interface SimulatorSettings {
  /** Where a 3-D Secure challenge for a payment is served (the simulator's own page). */
  challengeUrl: (paymentId: string) => string;
  /** The profile's connector tokenizes cards at the PSP (Hyperswitch: a business-profile setting, not a request field). */
  pspTokenization: boolean;
  /** How long a vaulted CVC is kept for the next charge. */
  cvcTtlSeconds: number;
  /** Told of every payment state change (Hyperswitch's outgoing webhooks, webhooks.ts). */
  paymentChanged?: (payment: Body) => void;
}

/** A payment that the connector accepts but settles later: `processing` until `settlesAt`, then its final status. */
export interface ProcessingOutcome {
  settleAfterMs: number;
  settlesTo: 'succeeded' | 'failed';
}

export class SimulatorStore {
  /** The next payments' outcomes, when a test scripts them (before the card's own scenario). */
  readonly scriptedOutcomes: ProcessingOutcome[] = [];
  readonly customers = new Map<string, CustomerRecord>();
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly payments = new Map<string, PaymentRecord>();
  readonly tokenRequests = { network: 0, psp: 0 };

  constructor(private readonly settings: SimulatorSettings) {}

  createCustomer(body: Body): Body {
    const reference = (body.merchant_reference_id as string | undefined) ?? `cus_${hex(12)}`;
    if ([...this.customers.values()].some((customer) => customer.merchant_reference_id === reference)) {
      throw new SimError(400, 'HE_01', 'Customer with the given `merchant_reference_id` already exists');
    }
    const customer: CustomerRecord = {
      id: globalId('cus'),
      merchant_reference_id: reference,
      name: body.name as string,
      email: body.email as string,
      phone: body.phone as string | undefined,
      phone_country_code: body.phone_country_code as string | undefined,
      description: body.description as string | undefined,
      metadata: body.metadata as Body | undefined,
      default_payment_method_id: null,
      created_at: now(),
    };
    this.customers.set(customer.id, customer);
    return { ...customer };
  }

  getCustomer(id: string): Body {
    return { ...this.customer(id) };
  }

  getCustomerByReference(reference: string): Body {
    const found = [...this.customers.values()].find((customer) => customer.merchant_reference_id === reference);
    if (!found) throw new SimError(404, 'HE_02', 'Customer does not exist in our records', 'object_not_found');
    return { ...found };
  }

  updateCustomer(id: string, body: Body): Body {
    const customer = this.customer(id);
    if (body.default_payment_method_id !== undefined && body.default_payment_method_id !== null) {
      const method = this.paymentMethods.get(body.default_payment_method_id as string);
      if (!method || method.customerId !== id) throw new SimError(400, 'IR_05', 'Invalid value provided: default_payment_method_id');
    }
    Object.assign(customer, body);
    return { ...customer };
  }

  deleteCustomer(id: string): Body {
    const customer = this.customer(id);
    this.customers.delete(id);
    for (const [methodId, method] of this.paymentMethods) if (method.customerId === id) this.paymentMethods.delete(methodId);
    return {
      id,
      merchant_reference_id: customer.merchant_reference_id,
      customer_deleted: true,
      address_deleted: true,
      payment_methods_deleted: true,
    };
  }

  listSavedPaymentMethods(customerId: string): Body {
    const customer = this.customer(customerId);
    const methods = [...this.paymentMethods.values()].filter((method) => method.customerId === customerId);
    return {
      customer_payment_methods: methods.map((method) => ({
        id: method.id,
        customer_id: method.customerId,
        payment_method_type: 'card',
        payment_method_subtype: method.subtype,
        recurring_enabled: true,
        payment_method_data: { card: this.maskedCard(method) },
        created: method.created,
        requires_cvv: !this.cvcAvailable(method),
        last_used_at: method.lastUsedAt,
        is_default: customer.default_payment_method_id === method.id,
      })),
    };
  }

  createPaymentMethod(body: Body): Body {
    const customerId = body.customer_id as string;
    this.customer(customerId);
    const card = (body.payment_method_data as { card: Body }).card;
    const number = card.card_number as string;
    // Hyperswitch refuses a number that fails its own check (8-19 digits, Luhn) while deserializing the
    // body: 400 IR_06. The connector behind it refuses numbers of no network or a wrong length for
    // their network; the simulator refuses those the same way, so a gap in our intake fails a job.
    if (!/^\d{8,19}$/.test(number) || !cardValidator.number(number).isValid) throw new SimError(400, 'IR_06', 'Json deserialize error: card number invalid');
    const expMonth = (card.card_exp_month as string).padStart(2, '0');
    const expYear = card.card_exp_year as string;
    if (!/^(0[1-9]|1[0-2])$/.test(expMonth) || !/^(\d{2}|\d{4})$/.test(expYear)) {
      throw new SimError(400, 'IR_05', 'Invalid value provided: card expiry');
    }
    const fullYear = expYear.length === 2 ? 2000 + Number(expYear) : Number(expYear);
    const today = new Date();
    if (fullYear < today.getUTCFullYear() || (fullYear === today.getUTCFullYear() && Number(expMonth) < today.getUTCMonth() + 1)) {
      throw new SimError(400, 'IR_16', 'Card Expired');
    }
    const network = (card.card_network as string | undefined) ?? hyperswitchCardNetwork(number) ?? null;
    const wantsNetworkToken = (body.network_tokenization as { enable?: string } | undefined)?.enable === 'Enable';
    if (wantsNetworkToken) this.tokenRequests.network += 1;
    if (this.settings.pspTokenization) this.tokenRequests.psp += 1;
    const created = now();
    const method: PaymentMethodRecord = {
      id: globalId('pm'),
      customerId,
      subtype: (body.payment_method_subtype as string | undefined) ?? 'credit',
      storageType: body.storage_type as string,
      created,
      lastUsedAt: created,
      bin: number.slice(0, 6),
      last4: number.slice(-4),
      expMonth,
      expYear,
      holderName: (card.card_holder_name as string | undefined) ?? null,
      nickName: (card.nick_name as string | undefined) ?? null,
      issuerCountry: (card.card_issuing_country as string | undefined) ?? null,
      network,
      cvcStoredUntil: card.card_cvc ? this.cvcExpiry() : null,
      scenario: scenarioOf(number),
      offSessionReady: false,
      networkToken:
        wantsNetworkToken && network && TOKENIZING_NETWORKS.has(network)
          ? { last4: String(randomBytes(2).readUInt16BE() % 10_000).padStart(4, '0'), expMonth, expYear: String(fullYear + 3) }
          : null,
      connectorToken: this.settings.pspTokenization ? `pm_sim_${hex(10)}` : null,
    };
    this.paymentMethods.set(method.id, method);
    return this.paymentMethodBody(method);
  }

  getPaymentMethod(id: string): Body {
    return this.paymentMethodBody(this.paymentMethod(id));
  }

  updatePaymentMethod(id: string, body: Body): Body {
    const method = this.paymentMethod(id);
    const card = (body.payment_method_data as { card?: Body } | undefined)?.card;
    if (card) {
      method.holderName = card.card_holder_name as string;
      if (card.nick_name !== undefined) method.nickName = card.nick_name as string | null;
      if (card.card_cvc) method.cvcStoredUntil = this.cvcExpiry();
    }
    return this.paymentMethodBody(method);
  }

  deletePaymentMethod(id: string): Body {
    this.paymentMethod(id);
    this.paymentMethods.delete(id);
    return { id };
  }

  networkTokenStatus(id: string): Body {
    const method = this.paymentMethod(id);
    if (!method.networkToken) {
      return { type: 'failure_response', error_message: 'No network token found for this payment method' };
    }
    return {
      type: 'success_response',
      status: 'ACTIVE',
      token_expiry_month: method.networkToken.expMonth,
      token_expiry_year: method.networkToken.expYear,
      card_last_four: method.last4,
      token_last_four: method.networkToken.last4,
      card_expiry_month: method.expMonth,
      card_expiry_year: method.expYear,
      payment_method_id: method.id,
      customer_id: method.customerId,
    };
  }

  createPayment(body: Body): Body {
    const reference = (body.merchant_reference_id as string | undefined) ?? null;
    if (reference && [...this.payments.values()].some((payment) => payment.merchantReferenceId === reference)) {
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

  private customer(id: string): CustomerRecord {
    const customer = this.customers.get(id);
    if (!customer) throw new SimError(404, 'HE_02', 'Customer does not exist in our records', 'object_not_found');
    return customer;
  }

  private paymentMethod(id: string): PaymentMethodRecord {
    const method = this.paymentMethods.get(id);
    if (!method) throw new SimError(404, 'HE_02', 'Payment method does not exist in our records', 'object_not_found');
    return method;
  }

  private cvcExpiry(): string {
    return new Date(Date.now() + this.settings.cvcTtlSeconds * 1000).toISOString();
  }

  private cvcAvailable(method: PaymentMethodRecord): boolean {
    return method.cvcStoredUntil !== null && Date.parse(method.cvcStoredUntil) > Date.now();
  }

  private maskedCard(method: PaymentMethodRecord): Body {
    return {
      issuer_country: method.issuerCountry,
      last4_digits: method.last4,
      expiry_month: method.expMonth,
      expiry_year: method.expYear,
      card_holder_name: method.holderName,
      nick_name: method.nickName,
      card_network: method.network,
      card_isin: method.bin,
      card_type: method.subtype === 'debit' ? 'Debit' : 'Credit',
      saved_to_locker: true,
    };
  }

  private paymentMethodBody(method: PaymentMethodRecord): Body {
    return {
      id: method.id,
      merchant_id: MERCHANT_ID,
      customer_id: method.customerId,
      payment_method_type: 'card',
      payment_method_subtype: method.subtype,
      recurring_enabled: true,
      created: method.created,
      last_used_at: method.lastUsedAt,
      payment_method_data: { card: this.maskedCard(method) },
      connector_tokens: method.connectorToken ? [{ token: method.connectorToken, connector_token_request_reference_id: null }] : null,
      network_token: method.networkToken
        ? {
            payment_method_data: {
              last4_digits: method.networkToken.last4,
              network_token_expiry_month: method.networkToken.expMonth,
              network_token_expiry_year: method.networkToken.expYear,
              card_network: method.network,
              saved_to_locker: true,
            },
          }
        : null,
      storage_type: method.storageType,
      card_cvc_token_storage: method.cvcStoredUntil ? { is_stored: this.cvcAvailable(method), expires_at: method.cvcStoredUntil } : null,
    };
  }
}
