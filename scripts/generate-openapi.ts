/**
 * Writes schemas/openapi.json — the OpenAPI 3.1 document of our HTTP API — from the zod schemas the
 * handlers validate with, with examples that use test cards. `--check` exits 1 when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { checkoutAcceptedSchema, errorResponseSchema } from '../lib/http/schemas';
import { chargeRequestSchema, DEFAULT_MAX_CHARGE_AMOUNT, jobViewSchema, vaultRequestSchema } from '../lib/jobs';
import { EVENT_TYPES, eventViewSchema, merchantEventSchema } from '../lib/events';
import { customerDeletedSchema, networkTokenStatusSchema, paymentMethodListSchema, paymentMethodUpdateSchema, paymentMethodViewSchema } from '../lib/payment-methods';

export const outputPath = join(__dirname, '../schemas/openapi.json');

const JOB_ID = 'job_3f1c9a6e2b7d4c8e9a0b1c2d3e4f5a6b';
const CUSTOMER_ID = '12345_cus_0193a2b4c5d6e7f8091a2b3c4d5e6f70';
const PM_ID = '12345_pm_0193a2b4c5d6e7f8091a2b3c4d5e6f71';
const PAYMENT_ID = '12345_pay_0193a2b4c5d6e7f8091a2b3c4d5e6f72';
const EVENT_ID = 'evt_8c1e0f3a5b7d9e2f4a6c8e0b2d4f6a8c';

/** [schema, how it is read (request bodies: input; responses: output), example] */
const COMPONENTS = {
  CheckoutRequest: [vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT), 'input', {
    customer: { name: 'Jane Doe', email: 'jane@example.com' },
    card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe', issuing_country: 'US' },
    tokenization: { psp: true, network: true },
    charge: { amount: 6540, currency: 'USD', description: 'Order 10041' },
  }],
  CheckoutAccepted: [checkoutAcceptedSchema, 'output', { job_id: JOB_ID, client_secret: `${JOB_ID}_secret_Zm9yLWV4YW1wbGUtb25seS1ub3QtcmVhbA`, status_url: `/jobs/${JOB_ID}` }],
  ChargeRequest: [chargeRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT), 'input', { customer_id: CUSTOMER_ID, payment_method_id: PM_ID, amount: 1999, currency: 'EUR', description: 'Subscription, December', customer_present: false }],
  ChargeAccepted: [checkoutAcceptedSchema, 'output', { job_id: JOB_ID, client_secret: `${JOB_ID}_secret_Zm9yLWV4YW1wbGUtb25seS1ub3QtcmVhbA`, status_url: `/jobs/${JOB_ID}` }],
  Job: [jobViewSchema, 'output', {
    job_id: JOB_ID,
    status: 'succeeded',
    created_at: '2026-11-24T12:00:00.000Z',
    updated_at: '2026-11-24T12:00:01.250Z',
    card: { brand: 'Visa', last4: '4242', exp_month: 12, exp_year: 2030 },
    charge: { amount: 6540, currency: 'USD' },
    steps: {
      customer: { status: 'succeeded', customer_id: CUSTOMER_ID },
      payment_method: { status: 'succeeded', payment_method_id: PM_ID, psp_token: 'active', network_token: 'active' },
      payment: { status: 'succeeded', payment_id: PAYMENT_ID, payment_status: 'succeeded' },
      verification: { status: 'not_requested' },
    },
    next_action: null,
    action_expires_at: null,
    verified: null,
    error: null,
    attempts: 1,
  }],
  PaymentMethod: [paymentMethodViewSchema, 'output', {
    payment_method_id: PM_ID,
    customer_id: CUSTOMER_ID,
    card: { brand: 'Visa', last4: '4242', exp_month: 12, exp_year: 2030, holder_name: 'Jane Doe', nick_name: 'travel card', issuer_country: 'US' },
    psp_token: 'active',
    network_token: 'active',
    created_at: '2026-11-24T12:00:00.800Z',
    last_used_at: '2026-11-24T12:00:01.100Z',
  }],
  PaymentMethodList: [paymentMethodListSchema, 'output', {
    customer_id: CUSTOMER_ID,
    payment_methods: [{
      payment_method_id: PM_ID,
      card: { brand: 'Visa', last4: '4242', exp_month: 12, exp_year: 2030, holder_name: 'Jane Doe', nick_name: null, issuer_country: 'US' },
      is_default: false,
      requires_cvc: false,
      created_at: '2026-11-24T12:00:00.800Z',
      last_used_at: '2026-11-24T12:00:01.100Z',
    }],
  }],
  PaymentMethodUpdate: [paymentMethodUpdateSchema, 'input', { holder_name: 'Jane Q. Doe', nick_name: 'travel card', cvc: '123' }],
  PaymentMethodDeleted: [z.object({ payment_method_id: z.string(), deleted: z.literal(true) }), 'output', { payment_method_id: PM_ID, deleted: true }],
  CustomerDeleted: [customerDeletedSchema, 'output', { customer_id: CUSTOMER_ID, deleted: true, payment_methods_deleted: true }],
  NetworkTokenStatus: [networkTokenStatusSchema, 'output', { payment_method_id: PM_ID, status: 'active', token_last4: '4821', token_exp_month: 12, token_exp_year: 2033, message: null }],
  Health: [z.object({ status: z.literal('ok'), service: z.string() }), 'output', { status: 'ok', service: 's2s-vault' }],
  Event: [merchantEventSchema, 'output', { id: EVENT_ID, type: 'job.succeeded', created_at: '2026-11-24T12:00:01.300Z', data: { job_id: JOB_ID, status: 'succeeded', card: { brand: 'Visa', last4: '4242', exp_month: 12, exp_year: 2030 } } }],
  EventWithDeliveries: [eventViewSchema, 'output', {
    id: EVENT_ID,
    type: 'job.succeeded',
    created_at: '2026-11-24T12:00:01.300Z',
    data: { job_id: JOB_ID, status: 'succeeded' },
    deliveries: [{ url: 'https://hooks.merchant.example/s2s', status: 'delivered', attempts: [{ at: '2026-11-24T12:00:01.400Z', status: 500, duration_ms: 85 }, { at: '2026-11-24T12:00:31.900Z', status: 200, duration_ms: 41 }] }],
  }],
  EventPage: [z.object({ data: z.array(eventViewSchema), has_more: z.boolean(), next_cursor: z.string().nullable() }), 'output', { data: [], has_more: false, next_cursor: null }],
  EventRedelivery: [z.object({ event_id: z.string(), redelivery: z.literal('queued') }), 'output', { event_id: EVENT_ID, redelivery: 'queued' }],
  Error: [errorResponseSchema, 'output', { error: { code: 'validation_failed', message: 'The request body is invalid', fields: [{ path: 'card.number', code: 'card_number_invalid', message: 'is not a card number of a known card network' }] } }],
} as const satisfies Record<string, readonly [z.ZodType, 'input' | 'output', unknown]>;

type Component = keyof typeof COMPONENTS;
const ref = (name: Component) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: Component) => ({ content: { 'application/json': { schema: ref(name), example: COMPONENTS[name][2] } } });
const error = (description: string) => ({ description, ...json('Error') });

const idParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{32,64}$' },
});
const SERVER = [{ serverKey: [] }];

/** A token-management route: server key only, a Hyperswitch id in the path, and the errors all of them can answer. */
function tokenRoute(route: {
  summary: string;
  description?: string;
  parameter?: object;
  requestBody?: object;
  ok: object;
  notFound?: string;
  badRequest?: string;
  moreErrors?: Record<number, object>;
}) {
  const { summary, description, parameter = idParameter('payment_method_id', 'Hyperswitch payment method id'), requestBody, ok } = route;
  return {
    summary,
    ...(description ? { description } : {}),
    security: SERVER,
    parameters: [parameter],
    ...(requestBody ? { requestBody } : {}),
    responses: {
      200: ok,
      400: error(route.badRequest ?? 'Malformed id'),
      401: error('No or an invalid key'),
      403: error('Not a server key'),
      404: error(route.notFound ?? 'No such payment method'),
      ...route.moreErrors,
      503: error('Hyperswitch unavailable; retry'),
    },
  };
}

/** Route key (as in serverless.yml) → operation. */
export const OPERATIONS: Record<string, object> = {
  'GET /health': { summary: 'Liveness', security: [], responses: { 200: { description: 'Up', ...json('Health') } } },
  'GET /openapi.json': { summary: 'This document', security: [], responses: { 200: { description: 'The OpenAPI document', content: { 'application/json': {} } } } },
  'POST /checkouts': {
    summary: 'Save a card (and optionally charge it) — asynchronous',
    description: 'Validates the card, encrypts it, records a job and queues it. Watch the job at `status_url` with the returned `client_secret` (or a server key).',
    security: [{ publishableKey: [] }, { serverKey: [] }],
    requestBody: { required: true, ...json('CheckoutRequest') },
    responses: {
      202: { description: 'Accepted: the job is queued', headers: { Location: { schema: { type: 'string' } } }, ...json('CheckoutAccepted') },
      400: error('Invalid JSON or a field that breaks the contract (`fields` lists every one)'),
      401: error('No or an invalid API key'),
      403: error('A key that may not call this route'),
      413: error('Body over 16 KB'),
      415: error('Content-Type is not application/json'),
      503: error('The job could not be queued; retry'),
    },
  },
  'POST /charges': {
    summary: 'Charge a saved payment method — asynchronous',
    security: SERVER,
    requestBody: { required: true, ...json('ChargeRequest') },
    responses: {
      202: { description: 'Accepted: the charge job is queued', headers: { Location: { schema: { type: 'string' } } }, ...json('ChargeAccepted') },
      400: error('Invalid request'),
      401: error('No or an invalid API key'),
      403: error('Not a server key'),
      503: error('The job could not be queued; retry'),
    },
  },
  'GET /jobs/{job_id}': {
    summary: 'A job: status, ids, masked card, error',
    security: [{ serverKey: [] }, { clientSecret: [] }],
    parameters: [{ name: 'job_id', in: 'path', required: true, schema: { type: 'string' } }],
    responses: {
      200: { description: 'The job', ...json('Job') },
      401: error('No credentials'),
      403: error('A client secret of another job, or a key that may not read jobs'),
      404: error('No such job'),
    },
  },
  'GET /customers/{customer_id}/payment-methods': tokenRoute({
    summary: "A customer's saved cards",
    parameter: idParameter('customer_id', 'Hyperswitch customer id'),
    ok: { description: 'The saved cards', ...json('PaymentMethodList') },
    notFound: 'No such customer',
  }),
  'GET /payment-methods/{payment_method_id}': tokenRoute({
    summary: 'One saved card',
    ok: { description: 'The card, masked', ...json('PaymentMethod') },
  }),
  'PATCH /payment-methods/{payment_method_id}': tokenRoute({
    summary: 'Update a saved card: holder name, nick name, a fresh CVC for the next charge',
    description: "Hyperswitch cannot change a saved card's number or expiry: save the renewed card as a new payment method.",
    requestBody: { required: true, ...json('PaymentMethodUpdate') },
    ok: { description: 'The updated card', ...json('PaymentMethod') },
    badRequest: 'Invalid update',
    moreErrors: { 415: error('Not JSON') },
  }),
  'DELETE /payment-methods/{payment_method_id}': tokenRoute({
    summary: 'Delete a saved card (a repeat is 404)',
    ok: { description: 'Deleted', ...json('PaymentMethodDeleted') },
  }),
  'DELETE /customers/{customer_id}': tokenRoute({
    summary: 'Erase a customer and every saved card (a repeat is 404)',
    description: 'For a shopper who asks to be forgotten. Job records keep only ids and the masked card, and expire after 30 days.',
    parameter: idParameter('customer_id', 'Hyperswitch customer id'),
    ok: { description: 'Erased', ...json('CustomerDeleted') },
    notFound: 'No such customer',
  }),
  'GET /events': {
    summary: 'Events, newest first (kept 30 days)',
    security: SERVER,
    parameters: [
      { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
      { name: 'type', in: 'query', schema: { type: 'string', enum: [...EVENT_TYPES] } },
      { name: 'job_id', in: 'query', description: "One job's events", schema: { type: 'string' } },
      { name: 'starting_after', in: 'query', description: 'The `next_cursor` of the previous page', schema: { type: 'string' } },
    ],
    responses: { 200: { description: 'A page of events with their deliveries', ...json('EventPage') }, 400: error('Invalid query'), 401: error('No or an invalid key'), 403: error('Not a server key') },
  },
  'GET /events/{event_id}': {
    summary: 'One event, with every delivery attempt to each endpoint',
    security: SERVER,
    parameters: [{ name: 'event_id', in: 'path', required: true, schema: { type: 'string', pattern: '^evt_[0-9a-f]{32}$' } }],
    responses: { 200: { description: 'The event', ...json('EventWithDeliveries') }, 400: error('Malformed id'), 401: error('No or an invalid key'), 403: error('Not a server key'), 404: error('No such event') },
  },
  'POST /events/{event_id}/redeliver': {
    summary: 'Deliver an event again to every endpoint it is for (same id, same payload)',
    security: SERVER,
    parameters: [{ name: 'event_id', in: 'path', required: true, schema: { type: 'string', pattern: '^evt_[0-9a-f]{32}$' } }],
    responses: { 202: { description: 'Queued for delivery', ...json('EventRedelivery') }, 400: error('Malformed id'), 401: error('No or an invalid key'), 403: error('Not a server key'), 404: error('No such event') },
  },
  'POST /webhooks/hyperswitch': {
    summary: "Hyperswitch's webhooks (configure this URL in the Hyperswitch profile)",
    description:
      "No API key: `X-Webhook-Signature-512`, the hex HMAC-SHA512 of the raw body keyed with the profile's `payment_response_hash_key`, is the credential. The body is Hyperswitch's `OutgoingWebhook`. A taken event is a hint: the payment is read from Hyperswitch before any job changes, and a job that has ended never does.",
    security: [],
    parameters: [{ name: 'X-Webhook-Signature-512', in: 'header', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{128}$' } }],
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['merchant_id', 'event_id', 'event_type', 'content'] } } } },
    responses: {
      200: { description: 'Taken (or a duplicate of an event taken before)', content: { 'application/json': { schema: { type: 'object', properties: { received: { const: true }, duplicate: { type: 'boolean' } } } } } },
      400: error('Not JSON, not an OutgoingWebhook, or older than 3 days'),
      401: error('No signature, or one that does not match the body'),
      413: error('Body over 64 KB'),
    },
  },
  'GET /payment-methods/{payment_method_id}/network-token-status': tokenRoute({
    summary: "A saved card's network token",
    ok: { description: 'The network token status (`none` when the card has no network token)', ...json('NetworkTokenStatus') },
  }),
};

/** What we POST to a merchant's endpoints: one entry per event type, signed by the Standard Webhooks scheme. */
const WEBHOOKS = Object.fromEntries(
  EVENT_TYPES.map((type) => [
    type,
    {
      post: {
        summary: `The ${type} event`,
        description: 'Verify with the `standardwebhooks` library and the endpoint\'s `whsec_` secret before trusting it. Answer 2xx within 10 s; anything else is retried for over a day with the same `webhook-id` and body.',
        parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } })),
        requestBody: { required: true, content: { 'application/json': { schema: { allOf: [ref('Event'), { type: 'object', properties: { type: { const: type } } }] } } } },
        responses: { '2XX': { description: 'Received: not sent again' } },
      },
    },
  ]),
);

export function renderOpenApi(): string {
  const schemas = Object.fromEntries(
    Object.entries(COMPONENTS).map(([name, [schema, io]]) => {
      const { $schema, ...jsonSchema } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
      return [name, jsonSchema];
    }),
  );
  const paths: Record<string, Record<string, object>> = {};
  for (const [routeKey, operation] of Object.entries(OPERATIONS)) {
    const [method, path] = routeKey.split(' ') as [string, string];
    (paths[path] ??= {})[method.toLowerCase()] = { operationId: routeKey.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, ''), ...operation };
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 's2s-vault',
      version: '1.0.0',
      description: "Hyperswitch's server-to-server vault flow: save cards during checkout, charge them later, manage them. Card numbers in examples are test cards.",
    },
    servers: [{ url: 'http://localhost:3000', description: 'npm start' }],
    security: SERVER,
    paths,
    webhooks: WEBHOOKS,
    components: {
      schemas,
      securitySchemes: {
        serverKey: { type: 'http', scheme: 'bearer', description: 'A server key, `sk_…`: every route. Never in a browser.' },
        publishableKey: { type: 'http', scheme: 'bearer', description: 'A publishable key, `pk_…`: `POST /checkouts` only.' },
        clientSecret: { type: 'apiKey', in: 'header', name: 'X-Client-Secret', description: "A job's client secret: that job's status only." },
      },
    },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export { COMPONENTS };

if (require.main === module) {
  const rendered = renderOpenApi();
  if (process.argv.includes('--check')) {
    if (readFileSync(outputPath, 'utf8') !== rendered) {
      console.error('schemas/openapi.json is stale: run npm run generate:openapi');
      process.exit(1);
    }
  } else writeFileSync(outputPath, rendered);
}
