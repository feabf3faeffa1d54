import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { checkoutEnv, readConfig } from '../lib/config';
import { jsonResponse } from '../lib/http';
import { authorized, errorResponses, header, jsonBody, validBody, type AuthorizedEvent } from '../lib/http/middleware';
import { acceptCharge, chargeRequestSchema, idempotencyKey, type ChargeRequest } from '../lib/jobs';
import { correlated, logger } from '../lib/log';
import { jobIntake, merchantKeysReader, requestKeys } from './commons';

const config = readConfig(checkoutEnv.omit({ DEFAULT_CARD_ISSUING_COUNTRY: true }));
const deps = { ...jobIntake(config), returnUrlOrigins: config.RETURN_URL_ORIGINS };

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
