import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { checkoutEnv, readConfig } from '../lib/config';
import { jsonResponse } from '../lib/http';
import { authorized, errorResponses, header, jsonBody, validBody, type AuthorizedEvent } from '../lib/http/middleware';
import { acceptCheckout, DynamoDbIdempotencyStore, DynamoDbJobStore, idempotencyKey, SqsJobQueue, vaultRequestSchema, type VaultRequest } from '../lib/jobs';
import { correlated, logger } from '../lib/log';
import { cardKeysReader, merchantKeysReader, requestKeys } from './commons';

const config = readConfig(checkoutEnv);
const dynamo = dynamoDbClient();
const dataKeys = cardKeysReader();
const deps = {
  store: new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamo),
  queue: new SqsJobQueue(config.VAULT_JOBS_QUEUE_URL, sqsClient()),
  idempotency: new DynamoDbIdempotencyStore(config.JOBS_TABLE_NAME, dataKeys, dynamo),
  dataKeys,
  log: logger,
  defaultIssuingCountry: config.DEFAULT_CARD_ISSUING_COUNTRY,
};

/** `POST /checkouts` (publishable or server key): validate, seal the card, record the job, enqueue it; 202. */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(jsonBody(config.CHECKOUT_MAX_BODY_BYTES))
    .use(authorized(['publishable', 'server'], merchantKeysReader()))
    .use(validBody(vaultRequestSchema(config.CHARGE_MAX_AMOUNT)))
    .use(errorResponses(logger))
    .handler(async (event) => {
      const accepted = await acceptCheckout((event as unknown as AuthorizedEvent<VaultRequest>).body, deps, idempotencyKey(header(event, 'idempotency-key')));
      return jsonResponse(202, accepted, { Location: accepted.status_url });
    }),
  requestKeys,
);
