import type { SQSRecord } from 'aws-lambda';
import { queueConsumer, secrets } from './commons';
import * as z from 'zod';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { readConfig, webhookDeliveryEnv } from '../lib/config';
import { S2SVaultError } from '../lib/errors';
import { deliver, EventStore, parseDeliveryMessage, parseEndpoints, retryDelaySeconds } from '../lib/events';
import { holdMessageUntil } from '../lib/jobs';
import { logger, withLogContext } from '../lib/log';
import { typedSecret } from '../lib/secrets';

const config = readConfig(webhookDeliveryEnv);
const endpoints = parseEndpoints(config.WEBHOOK_ENDPOINTS, { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_ENDPOINTS });
const signingSecrets = typedSecret(
  secrets,
  config.MERCHANT_WEBHOOK_SECRET_ID,
  // Newest first; during a rotation every one signs, so a receiver knowing either verifies.
  z.object({ secrets: z.array(z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/)).min(1) }),
);
const store = new EventStore(config.JOBS_TABLE_NAME, dynamoDbClient());
const sqs = sqsClient();
const schedule = config.WEBHOOK_RETRY_DELAYS_SECONDS;

/** Not an error of ours: the endpoint did not take the event, which comes back after its delay. */
class DeliveryPending extends S2SVaultError {
  constructor(eventId: string, seconds: number) {
    super(`Event ${eventId} not delivered yet; next attempt in ${seconds} s`, { code: 'delivery_pending', retryable: true });
  }
}

/**
 * One event's delivery attempt. The message's receive count is the attempt number: after a failure
 * the message is held back by the schedule (a visibility change: SQS delays stop at 15 minutes), and
 * the last receive the queue allows is the final attempt, after which the message goes to the DLQ
 * and the undelivered endpoints are marked `failed`.
 */
async function handleRecord(record: SQSRecord): Promise<void> {
  const message = parseDeliveryMessage(record.body);
  if (!message) {
    logger.error('Discarded a delivery message without a valid event id', { messageId: record.messageId });
    return;
  }
  const { event_id: eventId, since } = message;
  await withLogContext({ eventId }, async () => {
    const stored = message.event ? await store.record(message.event) : await store.get(eventId);
    if (!stored) {
      logger.warn('No such event (expired?): nothing to deliver');
      return;
    }
    const attempt = Number(record.attributes.ApproximateReceiveCount);
    const final = attempt > schedule.length;
    const outcome = await deliver(eventId, stored, store, { endpoints, secrets: (await signingSecrets.get()).secrets, timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_ENDPOINTS, log: logger, final, since });
    if (outcome.delivered) return;
    if (final) {
      logger.error('Event not delivered after every attempt: it goes to the DLQ, marked failed', { type: stored.event.type, endpoints: outcome.pending });
      throw new Error(`Event ${eventId}: delivery failed`);
    }
    const seconds = retryDelaySeconds(attempt, schedule);
    await holdMessageUntil(sqs, config.WEBHOOK_DELIVERIES_QUEUE_URL, record.receiptHandle, Date.now() + seconds * 1000);
    logger.info('Event delivery will be retried', { type: stored.event.type, attempt, retryInSeconds: seconds });
    throw new DeliveryPending(eventId, seconds);
  });
}

/** The webhook deliveries queue consumer (SQS event source mapping with ReportBatchItemFailures). */
export const handler = queueConsumer(handleRecord);
