/**
 * Token management over the Hyperswitch vault API: a customer's saved cards, one card, its update,
 * its deletion and its network-token status — always masked (brand, last four, expiry), never a token value.
 */
import * as z from 'zod';
import { fullExpiryYear } from '../card';
import { HttpError } from '../http/errors';
import { upstreamError } from '../http/upstream';
import type { PaymentMethod, SavedCard, VaultApi } from '../hyperswitch';
import { CountryAlpha2 } from '../hyperswitch/enums.generated';
import { hyperswitchIdSchema } from '../jobs/schemas';

const nullableString = z.string().nullable();

export const maskedSavedCardSchema = z.object({
  brand: nullableString,
  last4: nullableString,
  exp_month: z.number().int().nullable(),
  exp_year: z.number().int().nullable(),
  holder_name: nullableString,
  nick_name: nullableString,
  issuer_country: nullableString,
});

export const paymentMethodViewSchema = z.object({
  payment_method_id: z.string(),
  customer_id: z.string(),
  card: maskedSavedCardSchema,
  /** Whether Hyperswitch holds a PSP (connector) token / a network token for the card. */
  psp_token: z.enum(['active', 'none']),
  network_token: z.enum(['active', 'none']),
  created_at: nullableString,
  last_used_at: nullableString,
});
export type PaymentMethodView = z.infer<typeof paymentMethodViewSchema>;

export const paymentMethodListSchema = z.object({
  customer_id: z.string(),
  payment_methods: z.array(
    z.object({
      payment_method_id: z.string(),
      card: maskedSavedCardSchema,
      is_default: z.boolean(),
      /** True when no CVC is stored for the next charge (send a fresh one with PATCH). */
      requires_cvc: z.boolean(),
      created_at: z.string(),
      last_used_at: nullableString,
    }),
  ),
});

export const networkTokenStatusSchema = z.object({
  payment_method_id: z.string(),
  status: z.enum(['active', 'inactive', 'suspended', 'expired', 'deleted', 'none']),
  token_last4: nullableString,
  token_exp_month: z.number().int().nullable(),
  token_exp_year: z.number().int().nullable(),
  message: nullableString,
});

const printable = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters');
const cannotChange = (field: string) =>
  z.never({ error: `Hyperswitch cannot change a saved card's ${field}: save the renewed card as a new payment method` }).optional();

/** `PATCH /payment-methods/{id}`: what Hyperswitch's update-saved-payment-method allows. */
/** `DELETE /customers/{customer_id}`. */
export const customerDeletedSchema = z.object({ customer_id: z.string(), deleted: z.literal(true), payment_methods_deleted: z.boolean() });

export const paymentMethodUpdateSchema = z
  .strictObject({
    holder_name: printable(100).optional(),
    nick_name: printable(50).optional(),
    cvc: z.string({ error: 'must be a string of 3-4 digits' }).regex(/^\d{3,4}$/, 'must be 3-4 digits').optional(),
    number: cannotChange('number'),
    exp_month: cannotChange('expiry'),
    exp_year: cannotChange('expiry'),
  })
  .refine((update) => update.holder_name !== undefined || update.nick_name !== undefined || update.cvc !== undefined, {
    message: 'give at least one of holder_name, nick_name, cvc',
  });
export type PaymentMethodUpdate = z.infer<typeof paymentMethodUpdateSchema>;

const TOKEN_STATUSES = { ACTIVE: 'active', INACTIVE: 'inactive', SUSPENDED: 'suspended', EXPIRED: 'expired', DELETED: 'deleted' } as const;

const toInt = (value: string | null | undefined) => (value && /^\d+$/.test(value) ? Number(value) : null);

function maskedCard(card: SavedCard | null | undefined) {
  const year = toInt(card?.expiry_year);
  return {
    brand: card?.card_network ?? null,
    last4: card?.last4_digits ?? null,
    exp_month: toInt(card?.expiry_month),
    exp_year: year === null ? null : fullExpiryYear(year),
    holder_name: card?.card_holder_name ?? null,
    nick_name: card?.nick_name ?? null,
    issuer_country: card?.issuer_country && (CountryAlpha2 as readonly string[]).includes(card.issuer_country) ? card.issuer_country : null,
  };
}

export function paymentMethodView(method: PaymentMethod): PaymentMethodView {
  return {
    payment_method_id: method.id,
    customer_id: method.customer_id,
    card: maskedCard(method.payment_method_data?.card),
    psp_token: (method.connector_tokens?.length ?? 0) > 0 ? 'active' : 'none',
    network_token: method.network_token ? 'active' : 'none',
    created_at: method.created ?? null,
    last_used_at: method.last_used_at ?? null,
  };
}

/** A path parameter that must be a Hyperswitch id: checked before any call, 400 otherwise. */
export function idParameter(value: string | undefined, name: string): string {
  const parsed = hyperswitchIdSchema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'invalid_path_parameter', `${name} must be a Hyperswitch id (32-64 letters, digits, _ or -)`);
  return parsed.data;
}

const PM_NOT_FOUND = { code: 'payment_method_not_found', message: 'No such payment method' };
const CUSTOMER_NOT_FOUND = { code: 'customer_not_found', message: 'No such customer' };

async function upstream<T>(call: () => Promise<T>, notFound: { code: string; message: string }): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw upstreamError(error, notFound);
  }
}

export class PaymentMethods {
  constructor(private readonly vault: VaultApi) {}

  async list(customerId: string): Promise<z.infer<typeof paymentMethodListSchema>> {
    const { customer_payment_methods: methods } = await upstream(() => this.vault.listCustomerPaymentMethods(customerId), CUSTOMER_NOT_FOUND);
    return {
      customer_id: customerId,
      payment_methods: methods.map((method) => ({
        payment_method_id: method.id,
        card: maskedCard(method.payment_method_data?.card),
        is_default: method.is_default,
        requires_cvc: method.requires_cvv,
        created_at: method.created,
        last_used_at: method.last_used_at ?? null,
      })),
    };
  }

  async get(paymentMethodId: string): Promise<PaymentMethodView> {
    return paymentMethodView(await upstream(() => this.vault.getPaymentMethod(paymentMethodId), PM_NOT_FOUND));
  }

  /** Hyperswitch's update requires the holder name: when the caller leaves it out, the current one is kept. */
  async update(paymentMethodId: string, update: PaymentMethodUpdate): Promise<PaymentMethodView> {
    const holderName = update.holder_name ?? (await this.get(paymentMethodId)).card.holder_name;
    if (!holderName) throw new HttpError(400, 'holder_name_required', 'This card has no holder name yet: give holder_name');
    const updated = await upstream(
      () =>
        this.vault.updatePaymentMethod(paymentMethodId, {
          payment_method_data: {
            card: { card_holder_name: holderName, ...(update.nick_name ? { nick_name: update.nick_name } : {}), ...(update.cvc ? { card_cvc: update.cvc } : {}) },
          },
        }),
      PM_NOT_FOUND,
    );
    return paymentMethodView(updated);
  }

  async delete(paymentMethodId: string): Promise<{ payment_method_id: string; deleted: true }> {
    const { id } = await upstream(() => this.vault.deletePaymentMethod(paymentMethodId), PM_NOT_FOUND);
    return { payment_method_id: id, deleted: true };
  }

  /**
   * Erasure of a customer (a shopper's right to be forgotten): Hyperswitch deletes the customer and
   * with it every saved card. Our job records keep only ids and the masked card, and expire with
   * their TTL (30 days).
   */
  async deleteCustomer(customerId: string): Promise<z.infer<typeof customerDeletedSchema>> {
    const deleted = await upstream(() => this.vault.deleteCustomer(customerId), CUSTOMER_NOT_FOUND);
    return { customer_id: deleted.id, deleted: true, payment_methods_deleted: deleted.payment_methods_deleted };
  }

  async networkTokenStatus(paymentMethodId: string): Promise<z.infer<typeof networkTokenStatusSchema>> {
    const status = await upstream(() => this.vault.getNetworkTokenStatus(paymentMethodId), PM_NOT_FOUND);
    if (status.type === 'failure_response') {
      return { payment_method_id: paymentMethodId, status: 'none', token_last4: null, token_exp_month: null, token_exp_year: null, message: status.error_message };
    }
    const year = toInt(status.token_expiry_year);
    return {
      payment_method_id: status.payment_method_id,
      status: TOKEN_STATUSES[status.status],
      token_last4: status.token_last_four ?? null,
      token_exp_month: toInt(status.token_expiry_month),
      token_exp_year: year === null ? null : fullExpiryYear(year),
      message: null,
    };
  }
}
