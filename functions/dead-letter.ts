import type { SQSRecord } from 'aws-lambda';
import { dynamoDbClient } from '../lib/aws';
import { deadLetterEnv, readConfig } from '../lib/config';
import { createHyperswitchClients } from '../lib/hyperswitch';
import { customerSchema, DynamoDbJobStore, JOB_ID_PATTERN, jobSourceOf, settleDeadLetteredJob, type CustomerSpec } from '../lib/jobs';
import { logger } from '../lib/log';
import { count } from '../lib/metrics';
import { eventPublisher, queueConsumer, secrets } from './commons';

const config = readConfig(deadLetterEnv);
const store = new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient());
const { vault, payments } = createHyperswitchClients(config, secrets, logger);
const events = eventPublisher();

/** The job id and what the message says of the customer, from a message that may be anything. */
function whatItNames(body: string): { jobId?: string; customer?: CustomerSpec } {
  try {
    const { job_id: jobId, customer } = JSON.parse(body) as { job_id?: unknown; customer?: unknown };
    const spec = customerSchema.safeParse(customer);
    return { jobId: typeof jobId === 'string' && JOB_ID_PATTERN.test(jobId) ? jobId : undefined, customer: spec.success ? spec.data : undefined };
  } catch {
    return {};
  }
}

/**
 * A message SQS gave up on: its job ends `failed` (`retries_exhausted`) at once, then is reconciled
 * with Hyperswitch (a card or payment an attempt made without our knowing is recorded on it); a job
 * that had ended `succeeded` holds its card, and one waiting for the shopper is resolved
 * (lib/jobs/reconcile.ts). If Hyperswitch or the table cannot be reached, or the shopper's wait is
 * not over, the record is a batch failure and comes back. Then the message, card envelope and all,
 * is deleted.
 */
async function handleRecord(record: SQSRecord): Promise<void> {
  count('DeadLetters');
  const { jobId, customer } = whatItNames(record.body);
  if (!jobId) {
    logger.error('Discarded a dead letter without a usable job id', { messageId: record.messageId });
    return;
  }
  logger.warn('Vault job dead-lettered', { jobId, messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount });
  const job = await settleDeadLetteredJob(jobId, { store, vault, payments, log: logger }, { customer, source: jobSourceOf(record.messageAttributes) });
  if (job) await events.publishJob(job);
}

export const handler = queueConsumer(handleRecord);
