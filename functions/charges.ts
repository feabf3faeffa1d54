import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { checkoutEnv, readConfig } from '../lib/config';
import { jsonResponse } from '../lib/http';
import { authorized, errorResponses, header, jsonBody, validBody, type AuthorizedEvent } from '../lib/http/middleware';
import { acceptCharge, chargeRequestSchema, DynamoDbIdempotencyStore, DynamoDbJobStore, idempotencyKey, SqsJobQueue, type ChargeRequest } from '../lib/jobs';
import { correlated, logger } from '../lib/log';
import { cardKeysReader, merchantKeysReader, requestKeys } from './commons';

const config = readConfig(checkoutEnv.omit({ DEFAULT_CARD_ISSUING_COUNTRY: true }));
const dynamo = dynamoDbClient();
const dataKeys = cardKeysReader();
const deps = {
  store: new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamo),
  queue: new SqsJobQueue(config.VAULT_JOBS_QUEUE_URL, sqsClient()),
  idempotency: new DynamoDbIdempotencyStore(config.JOBS_TABLE_NAME, dataKeys, dynamo),
  dataKeys,
  log: logger,
};

/** `POST /charges` (server key): charge a saved payment method through a job; 202 with where to watch it. */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(jsonBody(config.CHECKOUT_MAX_BODY_BYTES))
    .use(authorized(['server'], merchantKeysReader()))
    .use(validBody(chargeRequestSchema(config.CHARGE_MAX_AMOUNT)))
    .use(errorResponses(logger))
    .handler(async (event) => {
      const accepted = await acceptCharge((event as unknown as AuthorizedEvent<ChargeRequest>).body, deps, idempotencyKey(header(event, 'idempotency-key')));
      return jsonResponse(202, accepted, { Location: accepted.status_url });
    }),
  requestKeys,
);
