import type { SQSRecord } from 'aws-lambda';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { concurrencyLimit } from '../lib/concurrency';
import { intentFreshMs, readConfig, workerEnv } from '../lib/config';
import { dataKeysSchema } from '../lib/crypto';
import { createHyperswitchClients } from '../lib/hyperswitch';
import { DynamoDbJobStore, holdMessageUntil, jobSourceOf, newJobRecord, parseVaultJobMessage, runVaultJob, SimulatedCrash } from '../lib/jobs';
import { S2SVaultError } from '../lib/errors';
import { logger, withLogContext } from '../lib/log';
import { count } from '../lib/metrics';
import { typedSecret } from '../lib/secrets';
import { eventPublisher, queueConsumer, secrets } from './commons';

const config = readConfig(workerEnv);
const keys = typedSecret(secrets, config.CARD_KEYS_SECRET_ID, dataKeysSchema);
const { vault, payments } = createHyperswitchClients(config, secrets, logger);
const store = new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient());
const crashProbability = config.CHAOS_CRASH_PROBABILITY;
const events = eventPublisher();
const deps = {
  store,
  vault,
  payments,
  dataKeys: () => keys.get(),
  refreshDataKeys: () => keys.invalidate(),
  log: logger,
  leaseMs: config.JOB_LEASE_SECONDS * 1000,
  settleMs: config.HYPERSWITCH_SETTLE_MS,
  intentFreshMs: intentFreshMs(config),
  offSessionRequiresSetup: config.OFF_SESSION_REQUIRES_SETUP,
  verificationCurrency: config.VERIFICATION_CURRENCY,
  actionWindowMs: config.AUTHENTICATION_WINDOW_SECONDS * 1000,
  jobChanged: events.publishJob,
  ...(crashProbability > 0
    ? {
        crashPoint: (point: string) => {
          if (Math.random() >= crashProbability) return;
          logger.warn('Simulated crash', { point });
          throw new SimulatedCrash(point);
        },
      }
    : {}),
};
const limit = concurrencyLimit(config.WORKER_RECORD_CONCURRENCY);
const sqs = sqsClient();

/** Not a failure: the job waits for the shopper, and its message is held back until the wait ends. */
class AwaitingShopper extends S2SVaultError {
  constructor(jobId: string) {
    super(`Job ${jobId} waits for the shopper to authenticate; its message comes back when the wait ends`, { code: 'awaiting_shopper', retryable: true });
  }
}

/**
 * One queue message. A message that cannot run ends its job `failed` (and is acknowledged); one
 * with no usable job id is left to SQS, which moves it to the DLQ — unless it holds a plain card,
 * which is dropped at once so that the number is kept nowhere. Transient failures throw: the record
 * is reported as a batch item failure and redelivered.
 */
async function handleRecord(record: SQSRecord): Promise<void> {
  const redelivered = Number(record.attributes.ApproximateReceiveCount) > 1;
  if (redelivered) count('Redeliveries');
  const parsed = parseVaultJobMessage(record.body, config.CHARGE_MAX_AMOUNT);
  const source = jobSourceOf(record.messageAttributes);
  if (parsed.valid) {
    const jobId = parsed.message.job_id;
    const outcome = await limit(() => withLogContext({ jobId, messageId: record.messageId }, () => runVaultJob(parsed.message, deps, { first: !redelivered, source })));
    if (outcome.status === 'requires_action' && outcome.actionExpiresAt) {
      await holdMessageUntil(sqs, config.VAULT_JOBS_QUEUE_URL, record.receiptHandle, Date.parse(outcome.actionExpiresAt));
      throw new AwaitingShopper(jobId);
    }
    return;
  }
  const { jobId, error, plainCard } = parsed;
  if (jobId) {
    const job = await store.failUnlessFinished(jobId, error, () => newJobRecord({ jobId, source }));
    logger.warn('Rejected a vault-job message', { messageId: record.messageId, jobId, code: error.code });
    if (job) await events.publishJob(job);
    return;
  }
  if (plainCard) {
    count('PlainCardDrops');
    logger.error('Dropped a message that holds a plain card number and no usable job id', { messageId: record.messageId, code: error.code });
    return;
  }
  logger.error('A vault-job message without a usable job id goes to the DLQ', { messageId: record.messageId, code: error.code });
  throw new Error(`Message ${record.messageId}: ${error.code}`);
}

/** The vault-jobs queue consumer (SQS event source mapping with ReportBatchItemFailures). */
export const handler = queueConsumer(handleRecord);
