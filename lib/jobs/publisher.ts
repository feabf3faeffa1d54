import type * as z from 'zod';
import type { CardRules } from '../card';
import type { DataKeys } from '../crypto';
import { parseOrThrow } from '../validation';
import type { JobQueue } from './queue';
import { jobIdSchema, vaultRequestSchema } from './schemas';
import { sealVaultJob } from './seal';

/** What a merchant backend publishes: a vault request with the job id it chose (its idempotency key). */
export const publishRequestSchema = (maxChargeAmount: number, cardRules?: CardRules) => vaultRequestSchema(maxChargeAmount, cardRules).safeExtend({ job_id: jobIdSchema });
export type PublishRequest = z.input<ReturnType<typeof publishRequestSchema>>;

export interface PublisherDeps {
  queue: JobQueue;
  dataKeys: () => Promise<DataKeys>;
  maxChargeAmount: number;
  cardRules?: CardRules;
  defaultIssuingCountry?: string;
}

/**
 * The typed publisher for merchant backends: validate, seal the card, send one `vault-job/v1`
 * message. The worker creates the job record when it first sees the job.
 */
export async function publishVaultJob(input: unknown, deps: PublisherDeps): Promise<{ job_id: string; message_id: string }> {
  const { job_id: jobId, ...request } = parseOrThrow(publishRequestSchema(deps.maxChargeAmount, deps.cardRules), input, 'vault job');
  const { message } = sealVaultJob(jobId, request, await deps.dataKeys(), deps.defaultIssuingCountry);
  const { messageId } = await deps.queue.send(message);
  return { job_id: jobId, message_id: messageId };
}
