import { randomBytes } from 'node:crypto';
import { keyedHash, keyedHashMatches, type DataKeys } from '../crypto';
import { HttpError } from '../http/errors';
import type { Log } from '../log';
import type { JobQueue } from './queue';
import { newJobRecord } from './record';
import type * as z from 'zod';
import { chargeSchema, hyperswitchIdSchema, VAULT_JOB_SCHEMA, type ChargeJobMessage, type JobRecord, type VaultJobMessage, type VaultRequest } from './schemas';
import { sealVaultJob } from './seal';
import type { JobStore } from './store';

export interface CheckoutDeps {
  store: JobStore;
  queue: JobQueue;
  dataKeys: () => Promise<DataKeys>;
  log: Log;
  defaultIssuingCountry?: string;
}

export interface CheckoutAccepted {
  job_id: string;
  client_secret: string;
  status_url: string;
}

const newJobId = () => `job_${randomBytes(16).toString('hex')}`;

/** Like Stripe's: the job id, then 192 random bits. Kept by the frontend; we keep only a keyed hash. */
const newClientSecret = (jobId: string) => `${jobId}_secret_${randomBytes(24).toString('base64url')}`;

/** The job a client secret was issued for, read from the secret itself. */
export function jobIdOfClientSecret(secret: string): string | undefined {
  return /^(job_[0-9a-f]{32})_secret_[A-Za-z0-9_-]{32}$/.exec(secret)?.[1];
}

export function clientSecretMatches(keys: DataKeys, secret: string, storedHash: string | undefined): boolean {
  return storedHash !== undefined && keyedHashMatches(keys, secret, storedHash);
}

/**
 * Records a job `queued` and sends its one message. If the send fails the job is marked `failed`
 * (never left `queued`) and the client gets a 503 it can retry.
 */
async function enqueue(record: JobRecord, message: VaultJobMessage, deps: Pick<CheckoutDeps, 'store' | 'queue' | 'log'>): Promise<void> {
  const jobId = record.job_id;
  await deps.store.create(record);
  try {
    await deps.queue.send(message);
  } catch (error) {
    deps.log.error('Could not enqueue the job', { jobId, error: error instanceof Error ? error.name : 'unknown' });
    await deps.store
      .failUnlessFinished(jobId, { code: 'enqueue_failed', message: 'The job could not be queued; submit it again', retryable: true })
      .catch((markError: unknown) => deps.log.error('Could not mark the job failed', { jobId, error: markError instanceof Error ? markError.name : 'unknown' }));
    throw new HttpError(503, 'queue_unavailable', 'The job could not be queued; retry later', { retryable: true, cause: error });
  }
}

/** Accepts a checkout: seals the card, records the job, enqueues it. */
export async function acceptCheckout(request: VaultRequest, deps: CheckoutDeps): Promise<CheckoutAccepted> {
  const keys = await deps.dataKeys();
  const jobId = newJobId();
  const clientSecret = newClientSecret(jobId);
  const { message, card } = sealVaultJob(jobId, request, keys, deps.defaultIssuingCountry);
  const record = newJobRecord({
    jobId,
    source: 'checkout',
    card,
    charge: request.charge ? { amount: request.charge.amount, currency: request.charge.currency } : undefined,
    existingCustomer: 'customer_id' in request.customer,
    tokenization: request.tokenization,
    clientSecretHash: keyedHash(keys, clientSecret),
  });
  await enqueue(record, message, deps);
  deps.log.info('Checkout accepted', { jobId, charge: Boolean(request.charge), brand: card.brand });
  return { job_id: jobId, client_secret: clientSecret, status_url: `/jobs/${jobId}` };
}

/** `POST /charges`: charge a saved payment method, later, without card data. */
export const chargeRequestSchema = (maxAmount: number) =>
  chargeSchema(maxAmount).extend({ customer_id: hyperswitchIdSchema, payment_method_id: hyperswitchIdSchema });
export type ChargeRequest = z.infer<ReturnType<typeof chargeRequestSchema>>;

export async function acceptCharge(request: ChargeRequest, deps: Pick<CheckoutDeps, 'store' | 'queue' | 'log'>): Promise<{ job_id: string; status_url: string }> {
  const jobId = newJobId();
  const { customer_id: customerId, payment_method_id: paymentMethodId, ...charge } = request;
  const message: ChargeJobMessage = { schema: VAULT_JOB_SCHEMA, job_id: jobId, customer: { customer_id: customerId }, payment_method_id: paymentMethodId, charge };
  const record = newJobRecord({ jobId, source: 'charges', charge: { amount: charge.amount, currency: charge.currency }, existingCustomer: true, savedPaymentMethodId: paymentMethodId });
  await enqueue(record, message, deps);
  deps.log.info('Charge accepted', { jobId });
  return { job_id: jobId, status_url: `/jobs/${jobId}` };
}
