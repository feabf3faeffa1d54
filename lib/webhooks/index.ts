/**
 * Hyperswitch's webhooks, on our side: the receipt (verified, validated, deduplicated by event id,
 * handed to a queue) and the work (read the payment from Hyperswitch, then move its job only forward).
 */
import { conditionalWrite, dynamoDbClient, type DocumentTable } from '../aws';
import * as z from 'zod';
import { HyperswitchNotFoundError, type PaymentsApi } from '../hyperswitch';
import { JOB_ID_METADATA_KEY, resolveAwaitingAction, type JobRecord, type JobStore } from '../jobs';
import type { Log } from '../log';

/** How long a webhook's event id is remembered: longer than Hyperswitch retries a webhook, and than the age we accept. */
export const RECEIPT_TTL_DAYS = 7;

/** What the receiving route hands to the consumer: the hint, not the payload. */
export const hyperswitchEventMessageSchema = z.object({
  event_id: z.string(),
  event_type: z.string(),
  object_type: z.string(),
  object_id: z.string(),
  /** The job the event's payment names in its metadata: which job to look at, nothing more. */
  job_id: z.string().optional(),
});
export type HyperswitchEventMessage = z.infer<typeof hyperswitchEventMessageSchema>;

/** Webhook event ids already handed on (`hswh#<event_id>` in the job table). */
export class WebhookReceipts {
  constructor(
    private readonly tableName: string,
    private readonly documents: DocumentTable = dynamoDbClient(),
  ) {}

  async seen(eventId: string): Promise<boolean> {
    const { Item } = await this.documents.get({ TableName: this.tableName, Key: { job_id: `hswh#${eventId}` }, ConsistentRead: true });
    return Item !== undefined;
  }

  async record(eventId: string, now = Date.now()): Promise<void> {
    // Already recorded (a duplicate arriving at once): nothing to do.
    await conditionalWrite(
      this.documents.put({
        TableName: this.tableName,
        Item: { job_id: `hswh#${eventId}`, kind: 'hyperswitch_webhook', received_at: new Date(now).toISOString(), expires_at: Math.floor(now / 1000) + RECEIPT_TTL_DAYS * 86_400 },
        ConditionExpression: 'attribute_not_exists(job_id)',
      }),
    );
  }
}

export interface WebhookWorkDeps {
  store: JobStore;
  payments: PaymentsApi;
  log: Log;
  jobChanged?: (job: JobRecord) => Promise<void>;
}

export type WebhookOutcome = 'not_a_payment' | 'unknown_payment' | 'not_ours' | 'resolved' | 'settled' | 'unchanged';

/**
 * Acts on a Hyperswitch event about a payment. The event only says which job to look at (its
 * payment's metadata names the job); only a job waiting for the shopper on that very payment is
 * touched, and it is resolved by the payment as Hyperswitch returns it when asked (force-synced), not
 * by what the event says. A job that has ended is left as it is: an old, a replayed or a
 * forged-but-signed event moves nothing backwards. Without a job in the event, the payment itself
 * (read from Hyperswitch) names it.
 */
export async function applyHyperswitchEvent(message: HyperswitchEventMessage, deps: WebhookWorkDeps): Promise<WebhookOutcome> {
  if (message.object_type !== 'payment_details') return 'not_a_payment';
  let jobId = message.job_id;
  if (!jobId) {
    try {
      const named = (await deps.payments.getPayment(message.object_id, { forceSync: true })).metadata?.[JOB_ID_METADATA_KEY];
      jobId = typeof named === 'string' ? named : undefined;
    } catch (error) {
      if (error instanceof HyperswitchNotFoundError) return 'unknown_payment';
      throw error;
    }
  }
  const job = jobId ? await deps.store.get(jobId) : undefined;
  if (!job) return 'not_ours';
  const stepName = job.steps.verification?.payment_id === message.object_id ? 'verification' : 'payment';
  const step = job.steps[stepName];
  if (step?.payment_id !== message.object_id) return 'not_ours';
  if (job.status !== 'requires_action') return step.payment_status === 'processing' ? recordSettlement(job, stepName, message.object_id, deps) : 'unchanged';
  const resolved = await resolveAwaitingAction(job, deps);
  return resolved.status === 'requires_action' ? 'unchanged' : 'resolved';
}

/**
 * A payment that was `processing` when its job ended has settled: its status (as Hyperswitch returns
 * it) is recorded on the job, whose status stays what it is, and the payment's event goes out.
 */
async function recordSettlement(job: JobRecord, step: 'payment' | 'verification', paymentId: string, deps: WebhookWorkDeps): Promise<WebhookOutcome> {
  const payment = await deps.payments.getPayment(paymentId, { forceSync: true });
  if (payment.status === 'processing') return 'unchanged';
  const settled = await deps.store.recordPaymentSettlement(job.job_id, step, paymentId, 'processing', payment.status);
  if (!settled) return 'unchanged';
  deps.log.info('A processing payment settled', { jobId: job.job_id, paymentStatus: payment.status });
  await deps.jobChanged?.(settled);
  return 'settled';
}
