import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readConfig, vaultApiEnv } from '../lib/config';
import { jsonResponse } from '../lib/http';
import { HttpError } from '../lib/http/errors';
import { authorized, errorResponses, jsonBody, type HttpResult } from '../lib/http/middleware';
import { createVaultClient } from '../lib/hyperswitch';
import { correlated, logger } from '../lib/log';
import { idParameter, paymentMethodUpdateSchema, PaymentMethods } from '../lib/payment-methods';
import { parseOrThrow } from '../lib/validation';
import { merchantKeysReader, requestKeys, secrets } from './commons';

const config = readConfig(vaultApiEnv);
const paymentMethods = new PaymentMethods(createVaultClient(config, secrets, logger));

const pm = (event: APIGatewayProxyEventV2) => idParameter(event.pathParameters?.payment_method_id, 'payment_method_id');

/** The token-management routes, all over the vault API with the vault key (never the payment key). */
const ROUTES: Record<string, (event: APIGatewayProxyEventV2) => Promise<HttpResult>> = {
  'GET /customers/{customer_id}/payment-methods': async (event) =>
    jsonResponse(200, await paymentMethods.list(idParameter(event.pathParameters?.customer_id, 'customer_id'))),
  'GET /payment-methods/{payment_method_id}': async (event) => jsonResponse(200, await paymentMethods.get(pm(event))),
  'PATCH /payment-methods/{payment_method_id}': async (event) =>
    jsonResponse(200, await paymentMethods.update(pm(event), parseOrThrow(paymentMethodUpdateSchema, event.body, 'request body'))),
  'DELETE /payment-methods/{payment_method_id}': async (event) => jsonResponse(200, await paymentMethods.delete(pm(event))),
  'GET /payment-methods/{payment_method_id}/network-token-status': async (event) => jsonResponse(200, await paymentMethods.networkTokenStatus(pm(event))),
  'DELETE /customers/{customer_id}': async (event) => jsonResponse(200, await paymentMethods.deleteCustomer(idParameter(event.pathParameters?.customer_id, 'customer_id'))),
};

/** Token management (server key): list, retrieve, update and delete saved cards; network-token status; customer erasure. */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(jsonBody(4 * 1024, { methods: ['PATCH'] }))
    .use(authorized(['server'], merchantKeysReader()))
    .use(errorResponses(logger))
    .handler(async (event) => {
      const route = ROUTES[event.routeKey];
      if (!route) throw new HttpError(404, 'route_not_found', 'No such route');
      return route(event);
    }),
  requestKeys,
);
