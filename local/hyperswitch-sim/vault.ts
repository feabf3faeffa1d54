/**
 * The simulator's in-memory vault, what Hyperswitch's vault key reaches: customers and payment
 * methods (a pretend vault that keeps only what a masked response needs — never the card number or
 * CVC). Every method returns a body shaped like the spec's response schema, or throws a SimError
 * carrying Hyperswitch's status and code. The payments built on it: store.ts.
 */
import { randomBytes } from 'node:crypto';
import cardValidator from 'card-validator';
import { hyperswitchCardNetwork } from '../../lib/card';
import { scenarioOf, type Scenario } from './scenarios';

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

export const MERCHANT_ID = 'merchant_sim';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const globalId = (kind: string) => `12345_${kind}_${hex(16)}`;
export const now = () => new Date().toISOString();

export type Body = Record<string, unknown>;

export interface CustomerRecord {
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

export interface PaymentMethodRecord {
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

export class VaultStore {
  readonly customers = new Map<string, CustomerRecord>();
  /** Customer ids by merchant reference: a lookup rather than a scan, which the fault suite's 10 000 jobs made grow with every customer. */
  private readonly customerIds = new Map<string, string>();
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly tokenRequests = { network: 0, psp: 0 };

  constructor(protected readonly settings: SimulatorSettings) {}

  createCustomer(body: Body): Body {
    const reference = (body.merchant_reference_id as string | undefined) ?? `cus_${hex(12)}`;
    if (this.customerIds.has(reference)) {
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
    this.customerIds.set(reference, customer.id);
    return { ...customer };
  }

  getCustomer(id: string): Body {
    return { ...this.customer(id) };
  }

  getCustomerByReference(reference: string): Body {
    const id = this.customerIds.get(reference);
    const found = id === undefined ? undefined : this.customers.get(id);
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
    this.customerIds.delete(customer.merchant_reference_id);
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

  protected customer(id: string): CustomerRecord {
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
