/**
 * The public contracts of a vault job: what a checkout or a merchant's backend asks for, the
 * `vault-job/v1` queue message, and the job record. Wire JSON is snake_case, like Hyperswitch's.
 * Validation messages are ours and never quote the value they reject (it may be a card number).
 */
import * as z from 'zod';
import { cardNumbersIn, checkCardNumber, cvcProblem, DEFAULT_CARD_RULES, expiryProblem, normalizePan, type CardRules } from '../card';
import { envelopeSchema } from '../crypto';
import { CountryAlpha2, Currency } from '../hyperswitch/enums.generated';

export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/;
export const jobIdSchema = z.string().regex(JOB_ID_PATTERN, 'must be 8-64 letters, digits, _ or -, starting with a letter or digit');
export const hyperswitchIdSchema = z.string().regex(/^[A-Za-z0-9_-]{32,64}$/, 'must be a Hyperswitch id (32-64 letters, digits, _ or -)');

/** Integers also accepted as numeric strings, as card forms often send them. */
const integerLike = (min: number, max: number) => {
  const integer = z.number().int().min(min).max(max);
  return z.union([integer, z.string().regex(/^\d{1,4}$/, 'must be a number').transform(Number).pipe(integer)]);
};

// A card number as typed: 12-19 digits, single spaces or dashes between groups. Whether it is a card
// is the networks' rules' to say (lib/card). Messages never echo the number.
const cardNumber = (rules: CardRules) =>
  z
    .string({ error: 'must be a string of digits' })
    .regex(/^\d(?:[ -]?\d){11,18}$/, 'must be 12-19 digits, optionally grouped by single spaces or dashes')
    .transform((value, ctx) => {
      const digits = normalizePan(value)!;
      const check = checkCardNumber(digits, rules);
      if (!check.valid) {
        ctx.addIssue({ code: 'custom', message: check.message, params: { code: check.code } });
        return z.NEVER;
      }
      // The network's answer goes along: the CVC's length and the card's brand come from it, so a
      // card is matched against the networks' prefixes once, not once per use.
      return { digits, check };
    });

/** Free text must not carry a card number: it would travel and be stored in the clear. */
const noCardNumber = [(value: string) => cardNumbersIn(value).length === 0, { message: 'must not contain a card number', params: { code: 'card_number_in_free_text' } }] as const;

const printable = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters')
    .refine(...noCardNumber);

const fieldIssue = (path: string, code: string, message: string) => ({ code: 'custom' as const, path: [path], message, params: { code } });

/** The card as a person types it in, validated by the networks' rules and normalized. */
export const cardInputSchema = (rules: CardRules = DEFAULT_CARD_RULES) =>
  z
    .strictObject({
      number: cardNumber(rules),
      exp_month: integerLike(1, 12),
      exp_year: integerLike(0, 9999).refine((year) => year < 100 || (year >= 2000 && year <= 2199), 'must be 2 or 4 digits'),
      cvc: z.string({ error: 'must be a string of 3-4 digits' }).regex(/^\d{3,4}$/, 'must be 3-4 digits'),
      holder_name: printable(100),
      issuing_country: z.enum(CountryAlpha2, { error: 'must be an ISO 3166-1 alpha-2 country code' }).optional(),
      nick_name: printable(50).optional(),
    })
    .superRefine((card, ctx) => {
      const expiry = expiryProblem(card.exp_month, card.exp_year);
      if (expiry) ctx.addIssue(fieldIssue('exp_year', expiry.code, expiry.message));
      // zod refines an object whose fields failed too: then the number is the string sent, with no check.
      const cvc = typeof card.number === 'object' ? cvcProblem(card.cvc, card.number.check) : undefined;
      if (cvc) ctx.addIssue(fieldIssue('cvc', 'cvc_length_invalid', cvc));
    })
    .transform(({ number, ...card }) => ({ ...card, number: number.digits, brand: number.check.brand }));
export type CardInput = z.infer<ReturnType<typeof cardInputSchema>>;

/** What travels inside the envelope: the validated card, nothing else. */
export const sealedCardSchema = z.strictObject({
  number: z.string().regex(/^\d{12,19}$/),
  exp_month: z.number().int().min(1).max(12),
  exp_year: z.number().int(),
  cvc: z.string().regex(/^\d{3,4}$/),
  holder_name: z.string().min(1).max(100),
  issuing_country: z.enum(CountryAlpha2),
  nick_name: z.string().max(50).optional(),
});
export type SealedCard = z.infer<typeof sealedCardSchema>;

export const customerSchema = z.union([
  z.strictObject({ customer_id: hyperswitchIdSchema }),
  z.strictObject({
    name: printable(255),
    email: z.email({ error: 'must be an email address' }).max(255),
    phone: z.string().regex(/^\+?[0-9 ()-]{4,20}$/, 'must be a phone number').optional(),
    merchant_reference_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -').optional(),
  }),
], { error: 'must be either {customer_id} or {name, email}' });
export type CustomerSpec = z.infer<typeof customerSchema>;

export const tokenizationSchema = z.strictObject({
  psp: z.boolean().default(false),
  network: z.boolean().default(false),
});

/**
 * 3-D Secure for a payment the shopper is present for: `automatic` lets Hyperswitch and the issuer
 * decide (nothing is sent), `required` asks for it (`three_ds`), `skip` asks for none (`no_three_ds`;
 * an issuer may still insist).
 */
export const THREE_DS_CHOICES = ['automatic', 'required', 'skip'] as const;
export type ThreeDsChoice = (typeof THREE_DS_CHOICES)[number];

export const chargeSchema = (maxAmount: number) =>
  z.strictObject({
    amount: z.number({ error: 'must be an integer amount in minor units' }).int('must be an integer amount in minor units').positive().max(maxAmount),
    currency: z.enum(Currency, { error: 'must be an ISO 4217 currency code' }),
    description: printable(255).optional(),
    three_ds: z.enum(THREE_DS_CHOICES, { error: 'must be automatic, required or skip' }).optional(),
    /** Where the shopper returns after a 3-D Secure challenge: an origin the merchant configured (RETURN_URL_ORIGINS). */
    return_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000).optional(),
  });
export type Charge = z.infer<ReturnType<typeof chargeSchema>>;

const metadataSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'keys must be 1-40 letters, digits, _ . or -'), z.string().max(500).refine(...noCardNumber))
  .refine((value) => Object.keys(value).length <= 20, 'at most 20 keys');

/**
 * `verify: true` on a save without a charge: a zero-amount customer-initiated setup payment checks
 * the card now (a dead card is caught at checkout, not at the first renewal) and sets it up for
 * later merchant-initiated charges.
 */
const verifySchema = z.boolean({ error: 'must be true or false' }).default(false);
const verifyWithoutCharge = [
  (request: { verify: boolean; charge?: unknown }) => !(request.verify && request.charge),
  { path: ['verify'], message: 'applies to saving a card without a charge (a charge sets the card up itself)' },
] as [(request: { verify: boolean; charge?: unknown }) => boolean, { path: string[]; message: string }];

/** The body of `POST /checkouts`, and what a merchant backend hands to the publisher (plus a job id). */
export const vaultRequestSchema = (maxAmount: number, cardRules: CardRules = DEFAULT_CARD_RULES) =>
  z.strictObject({
    customer: customerSchema,
    card: cardInputSchema(cardRules),
    tokenization: tokenizationSchema.default({ psp: false, network: false }),
    charge: chargeSchema(maxAmount).optional(),
    verify: verifySchema,
    metadata: metadataSchema.optional(),
  })
  .refine(...verifyWithoutCharge);
export type VaultRequest = z.infer<ReturnType<typeof vaultRequestSchema>>;

export const VAULT_JOB_SCHEMA = 'vault-job/v1';

/** Default of CHARGE_MAX_AMOUNT: the largest charge, in minor units, a job may carry. */
export const DEFAULT_MAX_CHARGE_AMOUNT = 1_000_000;

/**
 * The `vault-job/v1` SQS message, one of two kinds:
 * - vault (and optionally charge) a card: the card only ever as an encrypted envelope bound to `job_id`;
 * - charge a saved payment method: no card data at all.
 */
export const vaultJobMessageSchema = (maxAmount: number) =>
  z.union([
    z.strictObject({
      schema: z.literal(VAULT_JOB_SCHEMA),
      job_id: jobIdSchema,
      customer: customerSchema,
      card: envelopeSchema,
      tokenization: tokenizationSchema.default({ psp: false, network: false }),
      charge: chargeSchema(maxAmount).optional(),
      verify: verifySchema,
      metadata: metadataSchema.optional(),
    }).refine(...verifyWithoutCharge),
    z.strictObject({
      schema: z.literal(VAULT_JOB_SCHEMA),
      job_id: jobIdSchema,
      customer: z.strictObject({ customer_id: hyperswitchIdSchema }),
      payment_method_id: hyperswitchIdSchema,
      charge: chargeSchema(maxAmount),
      /** false (default): a merchant-initiated charge of a card set up for it; true: a returning shopper pays. */
      customer_present: z.boolean().default(false),
      metadata: metadataSchema.optional(),
    }),
  ]);
export type VaultJobMessage = z.infer<ReturnType<typeof vaultJobMessageSchema>>;
export type CardJobMessage = Extract<VaultJobMessage, { card: unknown }>;
export type ChargeJobMessage = Extract<VaultJobMessage, { payment_method_id: string }>;

/** `requires_action`: the issuer wants the shopper to authenticate (3-D Secure); see `next_action`. */
export const JOB_STATUSES = ['queued', 'processing', 'requires_action', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type StepStatus = 'pending' | 'requires_action' | 'succeeded' | 'skipped' | 'failed' | 'not_requested';

/** Where to send the shopper to authenticate. It holds no card data. */
export interface NextAction {
  type: 'redirect_to_url';
  url: string;
}
/** `active`: Hyperswitch returned the token; `unavailable`: asked for, none came back. */
export type TokenStatus = 'pending' | 'active' | 'unavailable' | 'not_requested';

export interface JobError {
  code: string;
  message: string;
  retryable: boolean;
  /** For a declined payment: what the shopper may be shown (ours, never the connector's text). */
  decline_message?: string;
}

/**
 * `attempted_at`: a create was sent at that time, its outcome not yet recorded (look it up first);
 * `first_attempted_at`: when the first was sent (an earlier card cannot be this job's).
 * `recovered_after_failure`: the job had failed when its reconciliation found that an attempt whose
 * outcome was lost had saved this card or made this payment.
 */
export interface JobSteps {
  customer: { status: StepStatus; customer_id?: string };
  payment_method: {
    status: StepStatus;
    payment_method_id?: string;
    psp_token: TokenStatus;
    network_token: TokenStatus;
    attempted_at?: string;
    first_attempted_at?: string;
    recovered_after_failure?: boolean;
  };
  payment: PaymentStep;
  /** The zero-amount customer-initiated setup payment of `verify: true` (absent on older records). */
  verification?: PaymentStep;
}

export interface PaymentStep {
  status: StepStatus;
  payment_id?: string;
  payment_status?: string;
  attempted_at?: string;
  first_attempted_at?: string;
  recovered_after_failure?: boolean;
}

/** The job record: ids, statuses and the masked card. No card number, no CVC, no client secret (it is derived, §8 of the design). */
export interface JobRecord {
  job_id: string;
  status: JobStatus;
  /** Who created the job: the checkout API, the charges API, or a message published to the queue. */
  source: 'checkout' | 'charges' | 'queue';
  created_at: string;
  updated_at: string;
  /** DynamoDB TTL, epoch seconds. */
  expires_at: number;
  card?: { brand: string; last4: string; exp_month: number; exp_year: number };
  charge?: { amount: number; currency: string };
  steps: JobSteps;
  error?: JobError;
  attempts: number;
  /** While `requires_action`: where the shopper authenticates, and until when (ISO) the job waits. */
  next_action?: NextAction;
  action_expires_at?: string;
  lease_owner?: string;
  /** Epoch milliseconds. */
  lease_until?: number;
}
