import * as z from 'zod';
import type { CardRules } from '../card';
import { ConfigError } from '../errors';
import { Currency } from '../hyperswitch/enums.generated';
import { callBudgetMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../hyperswitch/retry';

/**
 * Reads the environment through a zod schema once per process (Lambda init) and fails with a message
 * that names every missing or invalid variable, never its value (a variable may hold a secret name
 * or an endpoint; values are not ours to print).
 */
export function readConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const missing = issue.code === 'invalid_type' && env[name] === undefined;
    return missing ? `${name} is not set` : `${name} is invalid: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Variables every function that talks to Hyperswitch reads. */
export const hyperswitchEnv = z.object({
  HYPERSWITCH_VAULT_SECRET_ID: z.string().min(1),
  HYPERSWITCH_PAYMENT_SECRET_ID: z.string().min(1),
  /** Used when a secret carries no `base_url`. */
  HYPERSWITCH_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://sandbox.hyperswitch.io'),
  HYPERSWITCH_TIMEOUT_MS: positiveInt(10_000),
  HYPERSWITCH_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  /** A 429's Retry-After longer than this is left to SQS redelivery instead of waited for. */
  HYPERSWITCH_MAX_RETRY_AFTER_MS: z.coerce.number().int().min(0).max(30_000).default(5_000),
  /**
   * Requests per second one container may start: 95 % of Hyperswitch's 80/s shared by the worker's
   * maximum concurrency (4) of containers. The 4/s left over is for the API's own calls (token
   * management, 3-D Secure polls) and for jitter: at exactly 80/s, requests that a busy moment
   * bunches together find Hyperswitch's bucket empty. 0 turns the limiter off.
   */
  HYPERSWITCH_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(19),
  SECRETS_TTL_SECONDS: positiveInt(300),
});
export type HyperswitchEnv = z.infer<typeof hyperswitchEnv>;

export function retryPolicy(env: Pick<HyperswitchEnv, 'HYPERSWITCH_MAX_RETRIES' | 'HYPERSWITCH_MAX_RETRY_AFTER_MS'>): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, maxRetries: env.HYPERSWITCH_MAX_RETRIES, maxRetryAfterMs: env.HYPERSWITCH_MAX_RETRY_AFTER_MS };
}

/** For functions that reach only the vault side: they are not even told the payment secret's name. */
export const vaultApiEnv = hyperswitchEnv.omit({ HYPERSWITCH_PAYMENT_SECRET_ID: true });
export type VaultApiEnv = z.infer<typeof vaultApiEnv>;

/** For functions that reach only the payments side (the job status reads a payment a shopper authenticated). */
export const paymentsApiEnv = hyperswitchEnv.omit({ HYPERSWITCH_VAULT_SECRET_ID: true });
export type PaymentsApiEnv = z.infer<typeof paymentsApiEnv>;

/** The job table, the queue and the card-encryption keys. */
export const jobsEnv = z.object({
  JOBS_TABLE_NAME: z.string().min(1),
  CARD_KEYS_SECRET_ID: z.string().min(1),
  SECRETS_TTL_SECONDS: positiveInt(300),
});

export const checkoutEnv = jobsEnv.extend({
  VAULT_JOBS_QUEUE_URL: z.url(),
  CHARGE_MAX_AMOUNT: positiveInt(1_000_000),
  /** Sent as card_issuing_country when the shopper gives none (Hyperswitch's spec requires one). */
  DEFAULT_CARD_ISSUING_COUNTRY: z.preprocess((value) => (value === '' ? undefined : value), z.string().regex(/^[A-Z]{2}$/).optional()),
  CHECKOUT_MAX_BODY_BYTES: positiveInt(16 * 1024),
  /** Accept card numbers of no known network (private label): see CardRules in lib/card. */
  CARD_ACCEPT_UNRECOGNIZED_NETWORKS: z.stringbool().default(false),
  /**
   * Origins a shopper may be sent back to after 3-D Secure (`charge.return_url`), comma-separated:
   * anything else is refused, so the API is never an open redirect. None by default.
   */
  RETURN_URL_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https?$/ }).refine((url) => new URL(url).origin === url, 'must be an origin: scheme, host and port, no path'))),
});
export type CheckoutEnv = z.infer<typeof checkoutEnv>;

export const cardRules = (env: Pick<CheckoutEnv, 'CARD_ACCEPT_UNRECOGNIZED_NETWORKS'>): CardRules => ({ acceptUnrecognizedNetworks: env.CARD_ACCEPT_UNRECOGNIZED_NETWORKS });

export const workerEnv = jobsEnv
  .extend(hyperswitchEnv.shape)
  .extend({
  CHARGE_MAX_AMOUNT: positiveInt(1_000_000),
  /** Records of one SQS batch processed at once. */
  WORKER_RECORD_CONCURRENCY: positiveInt(5),
  /** Must stay below the queue's visibility timeout and above the function timeout. */
  JOB_LEASE_SECONDS: positiveInt(45),
  /**
   * How long Hyperswitch may go on with a create after we stopped waiting (a late commit): a card
   * create whose outcome is unknown is sent again only after this. Below the queue's visibility
   * timeout, so the next delivery normally finds it passed.
   */
  HYPERSWITCH_SETTLE_MS: positiveInt(30_000),
  /** Refuse merchant-initiated charges of cards saved without a customer-initiated setup (a charge or verify: true). */
  OFF_SESSION_REQUIRES_SETUP: z.stringbool().default(true),
  /** The worker's own queue: a job waiting for the shopper holds its message back until the wait ends. */
  VAULT_JOBS_QUEUE_URL: z.url(),
  /** How long a job waits for the shopper to authenticate (3-D Secure); at most the queue's retention (1 h) less a margin. */
  AUTHENTICATION_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3000).default(900),
  /** The currency of verify: true's zero-amount setup payment. */
  VERIFICATION_CURRENCY: z.enum(Currency).default('USD'),
  /**
   * Fault injection for the local fault suite only (never set in serverless.yml): the probability
   * that the worker "crashes" at each step boundary.
   */
  CHAOS_CRASH_PROBABILITY: z.coerce.number().min(0).max(1).default(0),
  })
  // A create starts with at least one call's budget left of the lease its intent's write extended (intentFreshMs).
  .refine((env) => intentFreshMs(env) > 0, {
    path: ['JOB_LEASE_SECONDS'],
    message: 'must exceed one Hyperswitch call with its retries (HYPERSWITCH_TIMEOUT_MS × (HYPERSWITCH_MAX_RETRIES + 1) plus the waits between)',
  });
export type WorkerEnv = z.infer<typeof workerEnv>;

/**
 * How long after the write that recorded its intent (and extended the lease) a create may still be
 * sent: what the lease has left over once one call with all its retries is set aside.
 */
export function intentFreshMs(env: Pick<HyperswitchEnv, 'HYPERSWITCH_MAX_RETRIES' | 'HYPERSWITCH_MAX_RETRY_AFTER_MS' | 'HYPERSWITCH_TIMEOUT_MS'> & { JOB_LEASE_SECONDS: number }): number {
  return env.JOB_LEASE_SECONDS * 1000 - callBudgetMs(retryPolicy(env), env.HYPERSWITCH_TIMEOUT_MS);
}

/** The dead-letter handler reconciles failed jobs with Hyperswitch: it reads, never creates. */
export const deadLetterEnv = hyperswitchEnv.extend({ JOBS_TABLE_NAME: z.string().min(1) });

const secondsList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((part) => Number(part.trim())))
    .pipe(z.array(z.number().int().positive().max(12 * 3600)).min(1));

/** Functions that publish merchant events: the queue that records and delivers them. */
export const eventsEnv = z.object({
  WEBHOOK_DELIVERIES_QUEUE_URL: z.url(),
});

/** Functions that read the recorded events (and queue their redeliveries): the table beside the jobs. */
export const eventStoreEnv = eventsEnv.extend({
  JOBS_TABLE_NAME: z.string().min(1),
});

/**
 * The webhook delivery function. The retry schedule's length plus one must equal the delivery
 * queue's maxReceiveCount (serverless.yml; a test checks): the last receive is the final attempt.
 */
export const webhookDeliveryEnv = eventStoreEnv.extend({
  MERCHANT_WEBHOOK_SECRET_ID: z.string().min(1),
  SECRETS_TTL_SECONDS: positiveInt(300),
  WEBHOOK_ENDPOINTS: z.string().default('[]'),
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** Seconds to wait after the 1st, 2nd… failed attempt: over a day in all by default. */
  WEBHOOK_RETRY_DELAYS_SECONDS: secondsList('30,120,600,1800,3600,7200,14400,21600,21600,21600'),
  /** Endpoints on private addresses (the local stage only). */
  WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: z.stringbool().default(false),
});

/** `POST /webhooks/hyperswitch`: the hash keys' secret, the queue it hands events to, what it accepts. */
export const hyperswitchWebhookEnv = z.object({
  JOBS_TABLE_NAME: z.string().min(1),
  HYPERSWITCH_WEBHOOK_SECRET_ID: z.string().min(1),
  SECRETS_TTL_SECONDS: positiveInt(300),
  HYPERSWITCH_EVENTS_QUEUE_URL: z.url(),
  HYPERSWITCH_WEBHOOK_MAX_BYTES: positiveInt(64 * 1024),
  /** An event whose timestamp is older than this is refused (a replay outlives its event id's receipt otherwise). */
  HYPERSWITCH_WEBHOOK_MAX_AGE_SECONDS: positiveInt(3 * 86_400),
});
