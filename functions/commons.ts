/**
 * What several functions share, made once per Lambda container: the Secrets Manager source (one TTL
 * cache for every secret the function reads) and readers for the secrets our own code uses.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { merchantKeysSchema, type MerchantKeys } from '../lib/auth';
import { eventsEnv, readConfig } from '../lib/config';
import { dataKeysSchema, type DataKeys } from '../lib/crypto';
import { EventPublisher, SqsDeliveryQueue } from '../lib/events';
import { DynamoDbIdempotencyStore, DynamoDbJobStore, SqsJobQueue } from '../lib/jobs';
import { correlated, logger } from '../lib/log';
import { SecretsManagerSource, typedSecret } from '../lib/secrets';

const { SECRETS_TTL_SECONDS } = readConfig(z.object({ SECRETS_TTL_SECONDS: z.coerce.number().int().positive().default(300) }));

export const secrets = new SecretsManagerSource({ ttlSeconds: SECRETS_TTL_SECONDS });

function secretReader<S extends z.ZodType>(variable: string, schema: S): () => Promise<z.infer<S>> {
  const secretId = readConfig(z.object({ [variable]: z.string().min(1) }))[variable] as string;
  const secret = typedSecret(secrets, secretId, schema);
  return () => secret.get();
}

/** The merchant API key hashes (MERCHANT_KEYS_SECRET_ID). */
export const merchantKeysReader = (): (() => Promise<MerchantKeys>) => secretReader('MERCHANT_KEYS_SECRET_ID', merchantKeysSchema);

/** The card-encryption and HMAC keys (CARD_KEYS_SECRET_ID). */
export const cardKeysReader = (): (() => Promise<DataKeys>) => secretReader('CARD_KEYS_SECRET_ID', dataKeysSchema);

/** The correlation keys of an API request: API Gateway's request id, on every line its function logs. */
export const requestKeys = (event: { requestContext?: { requestId?: string } }) => ({ requestId: event.requestContext?.requestId });

/** What the job-creating routes (checkout, charges) write to: the job table, its idempotency records, the queue. */
export function jobIntake(config: { JOBS_TABLE_NAME: string; VAULT_JOBS_QUEUE_URL: string }) {
  const dynamo = dynamoDbClient();
  const dataKeys = cardKeysReader();
  return {
    store: new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamo),
    queue: new SqsJobQueue(config.VAULT_JOBS_QUEUE_URL, sqsClient()),
    idempotency: new DynamoDbIdempotencyStore(config.JOBS_TABLE_NAME, dataKeys, dynamo),
    dataKeys,
    log: logger,
  };
}

/** Where a function that sees jobs or saved cards change publishes the merchant events. */
export function eventPublisher(): EventPublisher {
  const config = readConfig(eventsEnv);
  return new EventPublisher(new SqsDeliveryQueue(config.WEBHOOK_DELIVERIES_QUEUE_URL, sqsClient()));
}

/**
 * A queue consumer (SQS event source mapping with ReportBatchItemFailures): each record through
 * `handleRecord`; a record that throws is reported as a batch item failure and comes back.
 */
export function queueConsumer(handleRecord: (record: SQSRecord) => Promise<void>) {
  const processor = new BatchProcessor(EventType.SQS);
  return correlated(
    middy<SQSEvent>().handler(async (event, context) => processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false })),
    () => ({}),
  );
}
