import { randomBytes } from 'node:crypto';
import { keyedHash, keyedHashMatches, type DataKeys } from '../crypto';
import { HttpError } from '../http/errors';
import type { Log } from '../log';
import type { JobQueue } from './queue';
import { newJobRecord } from './record';
import type { VaultRequest } from './schemas';
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
 * Accepts a checkout: seals the card, records the job `queued`, sends one `vault-job/v1` message.
 * If the send fails the job is marked `failed` (never left `queued`) and the client gets a 503 it can
 * retry.
 */
export async function acceptCheckout(request: VaultRequest, deps: CheckoutDeps): Promise<CheckoutAccepted> {
  const keys = await deps.dataKeys();
  const jobId = newJobId();
  const clientSecret = newClientSecret(jobId);
  const { message, card } = sealVaultJob(jobId, request, keys, deps.defaultIssuingCountry);
  await deps.store.create(
    newJobRecord({
      jobId,
      source: 'checkout',
      card,
      charge: request.charge ? { amount: request.charge.amount, currency: request.charge.currency } : undefined,
      existingCustomer: 'customer_id' in request.customer,
      tokenization: request.tokenization,
      clientSecretHash: keyedHash(keys, clientSecret),
    }),
  );
  try {
    await deps.queue.send(message);
  } catch (error) {
    deps.log.error('Could not enqueue the vault job', { jobId, error: error instanceof Error ? error.name : 'unknown' });
    await deps.store
      .failUnlessFinished(jobId, { code: 'enqueue_failed', message: 'The job could not be queued; submit the checkout again', retryable: true })
      .catch((markError: unknown) => deps.log.error('Could not mark the job failed', { jobId, error: markError instanceof Error ? markError.name : 'unknown' }));
    throw new HttpError(503, 'queue_unavailable', 'The checkout could not be queued; retry later', { retryable: true, cause: error });
  }
  deps.log.info('Checkout accepted', { jobId, charge: Boolean(request.charge), brand: card.brand });
  return { job_id: jobId, client_secret: clientSecret, status_url: `/jobs/${jobId}` };
}
