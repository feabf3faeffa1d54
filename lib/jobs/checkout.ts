import { randomBytes, timingSafeEqual } from 'node:crypto';
import { keyedHash, type DataKeys } from '../crypto';
import { ValidationError } from '../errors';
import { HttpError } from '../http/errors';
import { count } from '../metrics';
import type { Log } from '../log';
import { requestFingerprint, type IdempotencyStore } from './idempotency';
import type { IntakeRoute, JobQueue } from './queue';
import { newJobRecord } from './record';
import * as z from 'zod';
import { chargeSchema, hyperswitchIdSchema, VAULT_JOB_SCHEMA, type ChargeJobMessage, type JobRecord, type VaultJobMessage, type VaultRequest } from './schemas';
import { sealVaultJob } from './seal';
import { JobExistsError, type JobStore } from './store';

export interface CheckoutDeps {
  store: JobStore;
  queue: JobQueue;
  idempotency: IdempotencyStore;
  dataKeys: () => Promise<DataKeys>;
  log: Log;
  defaultIssuingCountry?: string;
  /** Where a shopper may return after 3-D Secure (RETURN_URL_ORIGINS). */
  returnUrlOrigins: string[];
}

type EnqueueDeps = Pick<CheckoutDeps, 'store' | 'queue' | 'idempotency' | 'log' | 'returnUrlOrigins'>;

/** A return URL must lead to one of the merchant's origins: anything else would make us an open redirect. */
function checkReturnUrl(charge: { return_url?: string } | undefined, path: string, origins: string[]): void {
  if (!charge?.return_url || origins.includes(new URL(charge.return_url).origin)) return;
  throw new ValidationError('The request body is invalid', [{ path, code: 'return_url_not_allowed', message: 'is not on an origin this merchant allows (RETURN_URL_ORIGINS)' }]);
}

export interface CheckoutAccepted {
  job_id: string;
  client_secret: string;
  status_url: string;
}

const newJobId = () => `job_${randomBytes(16).toString('hex')}`;

/**
 * Like Stripe's, the job id and then 192 bits — here of an HMAC of the job id, so nothing about the
 * secret is stored: it is recomputed to check it, and to answer a repeated Idempotency-Key the same way.
 */
export function clientSecretFor(keys: DataKeys, jobId: string): string {
  return `${jobId}_secret_${keyedHash(keys, `client_secret:${jobId}`).slice(0, 32)}`;
}

/** The job a client secret was issued for, read from the secret itself. */
export function jobIdOfClientSecret(secret: string): string | undefined {
  return /^(job_[0-9a-f]{32})_secret_[A-Za-z0-9_-]{32}$/.exec(secret)?.[1];
}

export function clientSecretMatches(keys: DataKeys, jobId: string, secret: string): boolean {
  const expected = Buffer.from(clientSecretFor(keys, jobId));
  const presented = Buffer.from(secret);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/**
 * Records the job `queued` and sends its one message side by side, so that a checkout waits for one
 * round trip rather than two: the worker does not need the record first — it makes the record of a
 * job whose message it sees first, as it does for the jobs merchant backends publish. Hence:
 * - the message sent: 202, whatever became of the record (refused because the worker made it
 *   already, or not written at all: the worker writes it when it runs the job). Answering 503 to a
 *   job that will run would invite a retry that vaults, or charges, a second time;
 * - the message not sent: the job is marked `failed` (made so if its record was not written, in
 *   case the send failed after SQS took the message: that job must not run), the Idempotency-Key is
 *   freed, and the client gets a 503 it can retry.
 */
async function enqueue(route: IntakeRoute, record: JobRecord, message: VaultJobMessage, deps: EnqueueDeps, idempotencyKey?: string): Promise<void> {
  const jobId = record.job_id;
  const [recorded, sent] = await Promise.allSettled([deps.store.create(record), deps.queue.send(message, route)]);
  if (sent.status === 'fulfilled') {
    if (recorded.status === 'rejected' && !(recorded.reason instanceof JobExistsError)) {
      deps.log.warn('Queued a job whose record could not be written: the worker writes it', { jobId, error: errorName(recorded.reason) });
    }
    return;
  }
  deps.log.error('Could not enqueue the job', { jobId, error: errorName(sent.reason) });
  const failure = { code: 'enqueue_failed', message: 'The job could not be queued; submit it again', retryable: true };
  await deps.store
    .failUnlessFinished(jobId, failure, () => record)
    .catch((markError: unknown) => deps.log.error('Could not mark the job failed', { jobId, error: errorName(markError) }));
  if (idempotencyKey) await deps.idempotency.release(route, idempotencyKey).catch(() => deps.log.error('Could not free the Idempotency-Key', { jobId }));
  throw new HttpError(503, 'queue_unavailable', 'The job could not be queued; retry later', { retryable: true, cause: sent.reason });
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'unknown');

/**
 * Binds an Idempotency-Key (when given) to a new job id: the job id to create, or the one an earlier
 * identical request created.
 */
async function jobIdFor(scope: string, key: string | undefined, request: unknown, keys: DataKeys, deps: Pick<CheckoutDeps, 'idempotency'>) {
  const jobId = newJobId();
  if (!key) return { jobId, replay: false };
  const reservation = await deps.idempotency.reserve(scope, key, requestFingerprint(keys, scope, request), jobId);
  return reservation.outcome === 'replay' ? { jobId: reservation.jobId, replay: true } : { jobId, replay: false };
}

/** Accepts a checkout: seals the card, records the job, enqueues it. */
export async function acceptCheckout(request: VaultRequest, deps: CheckoutDeps, idempotencyKey?: string): Promise<CheckoutAccepted> {
  checkReturnUrl(request.charge, 'charge.return_url', deps.returnUrlOrigins);
  const keys = await deps.dataKeys();
  const { jobId, replay } = await jobIdFor('checkout', idempotencyKey, request, keys, deps);
  const accepted = { job_id: jobId, client_secret: clientSecretFor(keys, jobId), status_url: `/jobs/${jobId}` };
  if (replay) return accepted;
  const { message, card } = sealVaultJob(jobId, request, keys, deps.defaultIssuingCountry);
  const record = newJobRecord({
    jobId,
    source: 'checkout',
    card,
    charge: request.charge ? { amount: request.charge.amount, currency: request.charge.currency } : undefined,
    existingCustomer: 'customer_id' in request.customer,
    tokenization: request.tokenization,
    verify: request.verify,
  });
  await enqueue('checkout', record, message, deps, idempotencyKey);
  deps.log.info('Checkout accepted', { jobId, charge: Boolean(request.charge), brand: card.brand });
  count('JobsAccepted', { route: 'checkout' });
  return accepted;
}

/** `POST /charges`: charge a saved payment method, later, without card data. */
export const chargeRequestSchema = (maxAmount: number) =>
  chargeSchema(maxAmount).extend({
    customer_id: hyperswitchIdSchema,
    payment_method_id: hyperswitchIdSchema,
    /** false (default): a merchant-initiated charge; true: the shopper is present (a returning shopper pays). */
    customer_present: z.boolean({ error: 'must be true or false' }).default(false),
  });
export type ChargeRequest = z.infer<ReturnType<typeof chargeRequestSchema>>;

export async function acceptCharge(
  request: ChargeRequest,
  deps: EnqueueDeps & Pick<CheckoutDeps, 'dataKeys'>,
  idempotencyKey?: string,
): Promise<CheckoutAccepted> {
  checkReturnUrl(request, 'return_url', deps.returnUrlOrigins);
  const keys = await deps.dataKeys();
  const { jobId, replay } = await jobIdFor('charges', idempotencyKey, request, keys, deps);
  // A returning shopper may have to authenticate: the frontend follows the job with its client secret.
  const accepted = { job_id: jobId, client_secret: clientSecretFor(keys, jobId), status_url: `/jobs/${jobId}` };
  if (replay) return accepted;
  const { customer_id: customerId, payment_method_id: paymentMethodId, customer_present: customerPresent, ...charge } = request;
  const message: ChargeJobMessage = {
    schema: VAULT_JOB_SCHEMA,
    job_id: jobId,
    customer: { customer_id: customerId },
    payment_method_id: paymentMethodId,
    charge,
    customer_present: customerPresent,
  };
  const record = newJobRecord({ jobId, source: 'charges', charge: { amount: charge.amount, currency: charge.currency }, existingCustomer: true, savedPaymentMethodId: paymentMethodId });
  await enqueue('charges', record, message, deps, idempotencyKey);
  deps.log.info('Charge accepted', { jobId });
  count('JobsAccepted', { route: 'charges' });
  return accepted;
}
