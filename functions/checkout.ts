import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { cardRules, checkoutEnv, readConfig } from '../lib/config';
import { jsonResponse } from '../lib/http';
import { authorized, errorResponses, header, jsonBody, validBody, type AuthorizedEvent } from '../lib/http/middleware';
import { acceptCheckout, idempotencyKey, vaultRequestSchema, type VaultRequest } from '../lib/jobs';
import { correlated, logger } from '../lib/log';
import { jobIntake, merchantKeysReader, requestKeys } from './commons';

const config = readConfig(checkoutEnv);
const deps = { ...jobIntake(config), defaultIssuingCountry: config.DEFAULT_CARD_ISSUING_COUNTRY, returnUrlOrigins: config.RETURN_URL_ORIGINS };

/** `POST /checkouts` (publishable or server key): validate, seal the card, record the job, enqueue it; 202. */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(jsonBody(config.CHECKOUT_MAX_BODY_BYTES))
    .use(authorized(['publishable', 'server'], merchantKeysReader()))
    .use(validBody(vaultRequestSchema(config.CHARGE_MAX_AMOUNT, cardRules(config))))
    .use(errorResponses(logger))
    .handler(async (event) => {
      const accepted = await acceptCheckout((event as unknown as AuthorizedEvent<VaultRequest>).body, deps, idempotencyKey(header(event, 'idempotency-key')));
      return jsonResponse(202, accepted, { Location: accepted.status_url });
    }),
  requestKeys,
);
