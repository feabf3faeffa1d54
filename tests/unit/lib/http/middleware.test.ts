import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { HttpError } from '../../../../lib/http/errors';
import { errorResponses, jsonBody, validBody } from '../../../../lib/http/middleware';
import { recordingLog } from '../../../helpers/log';
import { capturedMetrics } from '../../../helpers/metrics';

const event = (body: string | undefined, contentType = 'application/json') =>
  ({ headers: { 'content-type': contentType }, body, isBase64Encoded: false, requestContext: { requestId: 'req-42', http: { method: 'POST' } } }) as unknown as APIGatewayProxyEventV2;
const context = { awsRequestId: 'aws-1' } as Context;

function handlerThrowing(error: unknown, log = recordingLog()) {
  return middy<APIGatewayProxyEventV2>()
    .use(jsonBody(64))
    .use(validBody(z.strictObject({ amount: z.number() })))
    .use(errorResponses(log))
    .handler(async () => {
      throw error;
    });
}

describe('errorResponses', () => {
  it('answers an unexpected failure with a generic 500 and the request id — no message, no stack, no card data', async () => {
    const log = recordingLog();
    const response = await handlerThrowing(new Error('DynamoDB said no at lib/jobs/store.ts:42 for card 4242424242424242'), log)(event('{"amount":1}'), context);
    expect(response).toMatchObject({ statusCode: 500, headers: { 'X-Content-Type-Options': 'nosniff' } });
    expect(JSON.parse(response.body as string)).toEqual({ error: { code: 'internal_error', message: 'Internal error', retryable: false, request_id: 'req-42' } });
    expect(log.text()).toContain('req-42');
    expect(log.text()).not.toContain('4242424242424242');
  });

  it('answers a retryable failure with a 503 and Retry-After', async () => {
    const response = await handlerThrowing(new HttpError(503, 'queue_unavailable', 'queue down: internal detail', { retryable: true }))(event('{"amount":1}'), context);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '1' });
    expect(response.body).not.toContain('internal detail');
  });

  it('counts every refusal by route template and error code', async () => {
    const routed = { ...event('{"amount":"1"}'), routeKey: 'POST /checkouts' } as APIGatewayProxyEventV2;
    const emitted = await capturedMetrics(() => handlerThrowing(new Error('unreachable'))(routed, context));
    expect(emitted).toEqual([{ name: 'ApiErrors', value: 1, dimensions: expect.objectContaining({ route: 'POST /checkouts', code: 'validation_failed' }) }]);
    const failed = await capturedMetrics(() => handlerThrowing(new Error('boom'))({ ...event('{"amount":1}'), routeKey: 'GET /jobs/{job_id}' } as APIGatewayProxyEventV2, context));
    expect(failed[0]!.dimensions).toMatchObject({ route: 'GET /jobs/{job_id}', code: 'internal_error' });
  });

  it.each([
    ['a non-JSON content type', event('{}', 'text/plain'), 415, 'unsupported_media_type'],
    ['a body over the limit', event(`{"amount":1,"pad":"${'x'.repeat(100)}"}`), 413, 'payload_too_large'],
    ['invalid JSON', event('{"amount":'), 400, 'invalid_json'],
    ['a body that breaks the schema', event('{"amount":"1"}'), 400, 'validation_failed'],
  ])('answers %s with %i', async (_, request, status, code) => {
    const response = await handlerThrowing(new Error('unreachable'))(request, context);
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body as string).error.code).toBe(code);
  });
});
