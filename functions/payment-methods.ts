import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readConfig, vaultApiEnv } from '../lib/config';
import { jsonResponse } from '../lib/http';
import { authorized, errorResponses, jsonBody, type HttpResult, routeTable } from '../lib/http/middleware';
import { createVaultClient } from '../lib/hyperswitch';
import { correlated, logger } from '../lib/log';
import { idParameter, paymentMethodUpdateSchema, PaymentMethods } from '../lib/payment-methods';
import { parseOrThrow } from '../lib/validation';
import { randomUUID } from 'node:crypto';
import { changeEvent } from '../lib/events';
import { eventPublisher, merchantKeysReader, requestKeys, secrets } from './commons';

const config = readConfig(vaultApiEnv);
const paymentMethods = new PaymentMethods(createVaultClient(config, secrets, logger));
const events = eventPublisher();

const pm = (event: APIGatewayProxyEventV2) => idParameter(event.pathParameters?.payment_method_id, 'payment_method_id');

/** The token-management routes, all over the vault API with the vault key (never the payment key). */
const ROUTES: Record<string, (event: APIGatewayProxyEventV2) => Promise<HttpResult>> = {
  'GET /customers/{customer_id}/payment-methods': async (event) =>
    jsonResponse(200, await paymentMethods.list(idParameter(event.pathParameters?.customer_id, 'customer_id'))),
  'GET /payment-methods/{payment_method_id}': async (event) => jsonResponse(200, await paymentMethods.get(pm(event))),
  'PATCH /payment-methods/{payment_method_id}': async (event) => {
    const updated = await paymentMethods.update(pm(event), parseOrThrow(paymentMethodUpdateSchema, event.body, 'request body'));
    // Every update is a change of its own.
    await events.publish([changeEvent('payment_method.updated', updated.payment_method_id, updated, new Date(), randomUUID())]);
    return jsonResponse(200, updated);
  },
  'DELETE /payment-methods/{payment_method_id}': async (event) => {
    const deleted = await paymentMethods.delete(pm(event));
    await events.publish([changeEvent('payment_method.deleted', deleted.payment_method_id, deleted, new Date())]);
    return jsonResponse(200, deleted);
  },
  'GET /payment-methods/{payment_method_id}/network-token-status': async (event) => jsonResponse(200, await paymentMethods.networkTokenStatus(pm(event))),
  'DELETE /customers/{customer_id}': async (event) => {
    const deleted = await paymentMethods.deleteCustomer(idParameter(event.pathParameters?.customer_id, 'customer_id'));
    await events.publish([changeEvent('customer.deleted', deleted.customer_id, deleted, new Date())]);
    return jsonResponse(200, deleted);
  },
};

/** Token management (server key): list, retrieve, update and delete saved cards; network-token status; customer erasure. */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(jsonBody(4 * 1024, { methods: ['PATCH'] }))
    .use(authorized(['server'], merchantKeysReader()))
    .use(errorResponses(logger))
    .handler(routeTable(ROUTES)),
  requestKeys,
);
