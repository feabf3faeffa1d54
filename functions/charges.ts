import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { checkoutEnv, readConfig } from '../lib/config';
import { jsonResponse } from '../lib/http';
import { authorized, errorResponses, jsonBody, validBody, type AuthorizedEvent } from '../lib/http/middleware';
import { acceptCharge, chargeRequestSchema, DynamoDbJobStore, SqsJobQueue, type ChargeRequest } from '../lib/jobs';
import { logger } from '../lib/log';
import { merchantKeysReader } from './commons';

const config = readConfig(checkoutEnv.omit({ CARD_KEYS_SECRET_ID: true, DEFAULT_CARD_ISSUING_COUNTRY: true }));
const deps = {
  store: new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient()),
  queue: new SqsJobQueue(config.VAULT_JOBS_QUEUE_URL, sqsClient()),
  log: logger,
};

/** `POST /charges` (server key): charge a saved payment method through a job; 202 with where to watch it. */
export const handler = middy<APIGatewayProxyEventV2>()
  .use(jsonBody(config.CHECKOUT_MAX_BODY_BYTES))
  .use(authorized(['server'], merchantKeysReader()))
  .use(validBody(chargeRequestSchema(config.CHARGE_MAX_AMOUNT)))
  .use(errorResponses(logger))
  .handler(async (event) => {
    const accepted = await acceptCharge((event as unknown as AuthorizedEvent<ChargeRequest>).body, deps);
    return jsonResponse(202, accepted, { Location: accepted.status_url });
  });
