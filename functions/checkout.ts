import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sqsClient, dynamoDbClient } from '../lib/aws';
import { checkoutEnv, readConfig } from '../lib/config';
import { dataKeysSchema } from '../lib/crypto';
import { jsonResponse } from '../lib/http';
import { errorResponses, jsonBody, validBody, type ParsedEvent } from '../lib/http/middleware';
import { acceptCheckout, DynamoDbJobStore, SqsJobQueue, vaultRequestSchema, type VaultRequest } from '../lib/jobs';
import { logger } from '../lib/log';
import { SecretsManagerSource, typedSecret } from '../lib/secrets';

const config = readConfig(checkoutEnv);
const keys = typedSecret(new SecretsManagerSource({ ttlSeconds: config.SECRETS_TTL_SECONDS }), config.CARD_KEYS_SECRET_ID, dataKeysSchema);
const deps = {
  store: new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient()),
  queue: new SqsJobQueue(config.VAULT_JOBS_QUEUE_URL, sqsClient()),
  dataKeys: () => keys.get(),
  log: logger,
  defaultIssuingCountry: config.DEFAULT_CARD_ISSUING_COUNTRY,
};

/** `POST /checkouts`: validate, seal the card, record the job, enqueue it; 202 with where to watch it. */
export const handler = middy<APIGatewayProxyEventV2>()
  .use(jsonBody(config.CHECKOUT_MAX_BODY_BYTES))
  .use(validBody(vaultRequestSchema(config.CHARGE_MAX_AMOUNT)))
  .use(errorResponses(logger))
  .handler(async (event) => {
    const accepted = await acceptCheckout((event as unknown as ParsedEvent<VaultRequest>).body, deps);
    return jsonResponse(202, accepted, { Location: accepted.status_url });
  });
