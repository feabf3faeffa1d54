import type { SQSRecord } from 'aws-lambda';
import { dynamoDbClient } from '../lib/aws';
import { jobsEnv, paymentsApiEnv, readConfig } from '../lib/config';
import { createPaymentsClient } from '../lib/hyperswitch';
import { DynamoDbJobStore } from '../lib/jobs';
import { logger, withLogContext } from '../lib/log';
import { applyHyperswitchEvent, hyperswitchEventMessageSchema } from '../lib/webhooks';
import { eventPublisher, queueConsumer, secrets } from './commons';

const config = readConfig(jobsEnv.omit({ CARD_KEYS_SECRET_ID: true }).extend(paymentsApiEnv.shape));
const deps = {
  store: new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient()),
  payments: createPaymentsClient(config, secrets, logger),
  log: logger,
  jobChanged: eventPublisher().publishJob,
};

async function handleRecord(record: SQSRecord): Promise<void> {
  const parsed = hyperswitchEventMessageSchema.safeParse(JSON.parse(record.body));
  if (!parsed.success) {
    logger.error('Discarded a Hyperswitch event message of an unknown shape', { messageId: record.messageId });
    return;
  }
  const message = parsed.data;
  await withLogContext({ hyperswitchEventId: message.event_id }, async () => {
    const outcome = await applyHyperswitchEvent(message, deps);
    // An event that changed nothing (the job already knew) is the common case: DEBUG.
    logger[outcome === 'unchanged' ? 'debug' : 'info']('Hyperswitch event applied', { eventType: message.event_type, outcome });
  });
}

/** The Hyperswitch events queue consumer: each event is read again from Hyperswitch, then applied. */
export const handler = queueConsumer(handleRecord);
