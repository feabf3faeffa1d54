/**
 * zod schemas of the Hyperswitch v2 requests we send and the responses we read, written from
 * contracts/hyperswitch/vault-flow-subset.openapi.json (schema names in comments). Requests are
 * strict (the server denies unknown fields); responses keep only what we use — in particular
 * `raw_payment_method_data`, which could carry a card number, is dropped on parse.
 * The contract tests check every request we send against the spec itself.
 */
import * as z from 'zod';
import { CardNetwork, CountryAlpha2, Currency, IntentStatus, StorageType, TokenStatus } from './enums.generated';

const timestamp = z.string();
const metadata = z.record(z.string(), z.unknown());
/** Ids we put into URL paths: Hyperswitch's ids are `<prefix>_<hex>`; merchant references are similar. */
export const pathId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');
const customerId = z.string().min(32).max(64);

// CustomerRequest
export const customerCreateRequest = z.strictObject({
  merchant_reference_id: z.string().min(1).max(64).optional(),
  name: z.string().max(255),
  email: z.string().max(255),
  phone: z.string().max(255).optional(),
  phone_country_code: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  metadata: metadata.optional(),
});
export type CustomerCreateRequest = z.infer<typeof customerCreateRequest>;

// CustomerUpdateRequest
export const customerUpdateRequest = customerCreateRequest.omit({ merchant_reference_id: true }).extend({
  default_payment_method_id: z.string().optional(),
});
export type CustomerUpdateRequest = z.infer<typeof customerUpdateRequest>;

// CustomerResponse
export const customer = z.object({
  id: customerId,
  merchant_reference_id: z.string(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  created_at: timestamp,
  default_payment_method_id: z.string().nullish(),
  metadata: metadata.nullish(),
});
export type Customer = z.infer<typeof customer>;

// CustomerDeleteResponse
export const customerDeleted = z.object({
  id: z.string(),
  merchant_reference_id: z.string(),
  customer_deleted: z.boolean(),
  address_deleted: z.boolean(),
  payment_methods_deleted: z.boolean(),
});
export type CustomerDeleted = z.infer<typeof customerDeleted>;

// CardDetail: the spec requires holder name and issuing country; we always send both.
export const cardDetail = z.strictObject({
  card_number: z.string().regex(/^\d{12,19}$/, 'must be 12-19 digits'),
  card_exp_month: z.string().regex(/^(0?[1-9]|1[0-2])$/, 'must be a month 1-12'),
  card_exp_year: z.string().regex(/^(\d{2}|\d{4})$/, 'must be 2 or 4 digits'),
  card_holder_name: z.string().min(1).max(255),
  card_issuing_country: z.enum(CountryAlpha2),
  card_cvc: z.string().regex(/^\d{3,4}$/, 'must be 3-4 digits'),
  nick_name: z.string().max(255).optional(),
  card_network: z.enum(CardNetwork).optional(),
});
export type CardDetail = z.infer<typeof cardDetail>;

// PaymentMethodCreate. Network tokenization is a per-request toggle; PSP tokenization is not a request
// field in this API version (the profile's connector settings decide; tokens come back as `connector_tokens`).
export const paymentMethodCreateRequest = z.strictObject({
  payment_method_type: z.literal('card'),
  payment_method_subtype: z.enum(['credit', 'debit']).optional(),
  customer_id: customerId,
  payment_method_data: z.strictObject({ card: cardDetail }),
  storage_type: z.enum(StorageType),
  network_tokenization: z.strictObject({ enable: z.enum(['Enable', 'Skip']) }).optional(),
  metadata: metadata.optional(),
});
export type PaymentMethodCreateRequest = z.infer<typeof paymentMethodCreateRequest>;

// PaymentMethodUpdate / CardDetailUpdate
export const paymentMethodUpdateRequest = z.strictObject({
  payment_method_data: z.strictObject({
    card: z.strictObject({
      card_holder_name: z.string().min(1).max(255),
      nick_name: z.string().max(255).optional(),
      card_cvc: z.string().regex(/^\d{3,4}$/, 'must be 3-4 digits').optional(),
    }),
  }),
});
export type PaymentMethodUpdateRequest = z.infer<typeof paymentMethodUpdateRequest>;

// CardDetailFromLocker: masked card data, as Hyperswitch returns it.
export const savedCard = z.object({
  last4_digits: z.string().nullish(),
  expiry_month: z.string().nullish(),
  expiry_year: z.string().nullish(),
  card_holder_name: z.string().nullish(),
  nick_name: z.string().nullish(),
  card_network: z.enum(CardNetwork).nullish(),
  card_isin: z.string().nullish(),
  issuer_country: z.string().nullish(),
  card_type: z.string().nullish(),
  saved_to_locker: z.boolean(),
});
export type SavedCard = z.infer<typeof savedCard>;

// NetworkTokenResponse / NetworkTokenDetailsPaymentMethod
const networkToken = z.object({
  payment_method_data: z.object({
    last4_digits: z.string().nullish(),
    network_token_expiry_month: z.string().nullish(),
    network_token_expiry_year: z.string().nullish(),
    card_network: z.enum(CardNetwork).nullish(),
  }),
});

// ConnectorTokenDetails: PSP tokens.
const connectorToken = z.object({ token: z.string(), connector_token_request_reference_id: z.string().nullish() });

// PaymentMethodResponse
export const paymentMethod = z.object({
  id: z.string(),
  customer_id: customerId,
  payment_method_type: z.string(),
  payment_method_subtype: z.string().nullish(),
  created: timestamp.nullish(),
  last_used_at: timestamp.nullish(),
  payment_method_data: z.object({ card: savedCard }).nullish(),
  connector_tokens: z.array(connectorToken).nullish(),
  network_token: networkToken.nullish(),
  storage_type: z.enum(StorageType).nullish(),
});
export type PaymentMethod = z.infer<typeof paymentMethod>;

// PaymentMethodResponseItem within CustomerPaymentMethodsListResponse
export const customerPaymentMethods = z.object({
  customer_payment_methods: z.array(
    z.object({
      id: z.string(),
      customer_id: customerId,
      payment_method_type: z.string(),
      payment_method_subtype: z.string(),
      payment_method_data: z.object({ card: savedCard }).nullish(),
      created: timestamp,
      last_used_at: timestamp.nullish(),
      requires_cvv: z.boolean(),
      is_default: z.boolean(),
    }),
  ),
});
export type CustomerPaymentMethods = z.infer<typeof customerPaymentMethods>;

// PaymentMethodDeleteResponse
export const paymentMethodDeleted = z.object({ id: z.string() });

// NetworkTokenStatusCheckResponse (tagged by `type`)
export const networkTokenStatus = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('success_response'),
    status: z.enum(TokenStatus),
    payment_method_id: z.string(),
    customer_id: z.string(),
    token_expiry_month: z.string().nullish(),
    token_expiry_year: z.string().nullish(),
    card_last_four: z.string().nullish(),
    token_last_four: z.string().nullish(),
  }),
  z.object({ type: z.literal('failure_response'), error_message: z.string() }),
]);
export type NetworkTokenStatus = z.infer<typeof networkTokenStatus>;

// PaymentsRequest. The v2 endpoint creates and confirms in one call: the spec has no `confirm` field.
// `payment_method_data` is required and must match one variant of PaymentMethodData; for a saved
// `payment_method_id` that is `card_token` (holder name, optionally a fresh CVC). The server would
// also take `{}`, but that does not validate against the published spec.
export const paymentCreateRequest = z.strictObject({
  amount_details: z.strictObject({ order_amount: z.number().int().min(0), currency: z.enum(Currency) }),
  merchant_reference_id: z.string().length(30).optional(),
  customer_id: customerId,
  payment_method_type: z.literal('card'),
  payment_method_subtype: z.enum(['credit', 'debit']).optional(),
  payment_method_data: z.strictObject({
    card_token: z.strictObject({
      card_holder_name: z.string().min(1).max(255),
      card_cvc: z.string().regex(/^\d{3,4}$/, 'must be 3-4 digits').optional(),
    }),
  }),
  payment_method_id: z.string().min(1),
  // Stored-credential signals: who is present, whether the card is set up for later off-session
  // charges, the SCA exemption for merchant-initiated ones, and 3-D Secure.
  customer_present: z.enum(['present', 'absent']).optional(),
  setup_future_usage: z.enum(['off_session', 'on_session']).optional(),
  apply_mit_exemption: z.enum(['Apply', 'Skip']).optional(),
  authentication_type: z.enum(['three_ds', 'no_three_ds']).optional(),
  return_url: z.string().optional(),
  description: z.string().optional(),
  metadata: metadata.optional(),
});
export type PaymentCreateRequest = z.infer<typeof paymentCreateRequest>;

// ErrorDetails, on a payment that failed (e.g. a decline)
const paymentError = z.object({
  code: z.string(),
  message: z.string(),
  reason: z.string().nullish(),
  unified_code: z.string().nullish(),
  unified_message: z.string().nullish(),
});

// PaymentsResponse
export const payment = z.object({
  id: z.string(),
  status: z.enum(IntentStatus),
  amount: z.object({ order_amount: z.number().int().nullish(), currency: z.enum(Currency), net_amount: z.number().int() }),
  customer_id: z.string(),
  created: timestamp,
  modified_at: timestamp,
  payment_method_id: z.string().nullish(),
  merchant_reference_id: z.string().nullish(),
  connector: z.string().nullish(),
  metadata: metadata.nullish(),
  error: paymentError.nullish(),
  // NextActionData: only a redirect (3-D Secure) is read; other kinds belong to other payment methods.
  next_action: z.union([z.object({ type: z.literal('redirect_to_url'), redirect_to_url: z.string() }), z.object({ type: z.string() })]).nullish(),
});
export type Payment = z.infer<typeof payment>;

// PaymentListResponse / PaymentsListResponseItem
export const paymentList = z.object({
  count: z.number().int(),
  total_count: z.number().int(),
  data: z.array(
    z.object({
      id: z.string(),
      status: z.enum(IntentStatus),
      customer_id: z.string().nullish(),
      payment_method_id: z.string().nullish(),
      merchant_reference_id: z.string().nullish(),
      /** `off_session` on a customer-initiated setup: the card may be charged without the shopper since. */
      setup_future_usage: z.enum(['off_session', 'on_session']).nullish(),
      created: timestamp,
    }),
  ),
});
export type PaymentList = z.infer<typeof paymentList>;
