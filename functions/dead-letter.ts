import type { SQSRecord } from 'aws-lambda';
import { dynamoDbClient } from '../lib/aws';
import { deadLetterEnv, readConfig } from '../lib/config';
import { createHyperswitchClients } from '../lib/hyperswitch';
import { customerSchema, DynamoDbJobStore, JOB_ID_PATTERN, newJobRecord, reconcileFailedJob, type CustomerSpec } from '../lib/jobs';
import { logger } from '../lib/log';
import { count } from '../lib/metrics';
import { eventPublisher, queueConsumer, secrets } from './commons';

const config = readConfig(deadLetterEnv);
const store = new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient());
const { vault, payments } = createHyperswitchClients(config, secrets, logger);
const events = eventPublisher();

const RETRIES_EXHAUSTED = { code: 'retries_exhausted', message: 'The job could not be completed after repeated attempts', retryable: false };

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
 * with Hyperswitch (a card or payment an attempt made without our knowing is recorded on it). If
 * Hyperswitch cannot be reached, the record is a batch failure and comes back; the job is failed
 * already. Then the message, card envelope and all, is deleted.
 */
async function handleRecord(record: SQSRecord): Promise<void> {
  count('DeadLetters');
  const { jobId, customer } = whatItNames(record.body);
  if (!jobId) {
    logger.error('Discarded a dead letter without a usable job id', { messageId: record.messageId });
    return;
  }
  const job = await store.failUnlessFinished(jobId, RETRIES_EXHAUSTED, () => newJobRecord({ jobId, source: 'queue' }));
  logger.warn('Vault job dead-lettered', { jobId, messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount });
  if (!job) return;
  const found = await reconcileFailedJob(job, { store, vault, payments, log: logger }, customer);
  // After the reconciliation: a card or payment it found is part of what the events say.
  await events.publishJob(Object.keys(found).length > 0 ? ((await store.get(jobId)) ?? job) : job);
}

export const handler = queueConsumer(handleRecord);
