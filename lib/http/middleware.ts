/**
 * The HTTP onion for API Gateway (HTTP API, payload v2): parse → validate → handler → errors.
 * Our own small middlewares rather than @middy/http-json-body-parser and http-error-handler: those
 * keep the raw body on the error they throw (a card number, here) and answer in their own shapes.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import { authenticate, type MerchantKeys, type Principal, type Scope } from '../auth';
import { redactPans } from '../card';
import { count } from '../metrics';
import { S2SVaultError, ValidationError } from '../errors';
import type { Log } from '../log';
import { fieldProblems } from '../validation';
import { HttpError } from './errors';
import { jsonResponse } from './index';

export type HttpResult = APIGatewayProxyStructuredResultV2;
/** The event after `jsonBody` and `validBody`: `body` holds the parsed, validated value. */
export type ParsedEvent<T> = Omit<APIGatewayProxyEventV2, 'body'> & { body: T };

export function header(event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Requires a JSON body of at most `maxBytes` and parses it: 415, 413 or 400 `invalid_json` otherwise.
 * With `methods`, only requests of those methods carry a body.
 */
export function jsonBody(maxBytes: number, { methods }: { methods?: string[] } = {}): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: (request) => {
      const { event } = request;
      if (methods && !methods.includes(event.requestContext.http.method)) return;
      const contentType = header(event, 'content-type') ?? '';
      // JSON is UTF-8 (RFC 8259): any other declared charset is refused rather than misread.
      const charset = /;\s*charset=("?)([^";]+)\1/i.exec(contentType)?.[2];
      if (!/^application\/json\s*(;|$)/i.test(contentType) || (charset && !/^utf-?8$/i.test(charset))) {
        throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json (UTF-8)');
      }
      const raw = event.body ?? '';
      const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      if (Buffer.byteLength(text, 'utf8') > maxBytes) {
        throw new HttpError(413, 'payload_too_large', `The body must be at most ${maxBytes} bytes`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'invalid_json', 'The body is not valid JSON');
      }
      (event as unknown as { body: unknown }).body = parsed;
    },
  };
}

/** Checks the parsed body against a zod schema: 400 `validation_failed` listing every failing path. */
export function validBody(schema: z.ZodType): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: (request) => {
      const event = request.event as unknown as { body: unknown };
      const result = schema.safeParse(event.body);
      if (!result.success) throw new ValidationError('The request body is invalid', fieldProblems(result.error));
      event.body = result.data;
    },
  };
}

/**
 * Every error becomes our error shape. 4xx say what is wrong; 5xx say only that something failed,
 * with the request id to quote — never an internal message or a stack.
 */
export function errorResponses(log: Log): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    onError: (request) => {
      const error = request.error;
      const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
      // The route template (`POST /checkouts`), never the path with its ids.
      const refused = (code: string) => count('ApiErrors', { route: request.event.routeKey ?? 'unknown', code });
      if (error instanceof ValidationError) {
        refused(error.code);
        request.response = jsonResponse(400, { error: { code: error.code, message: error.message, fields: error.fields } });
        return;
      }
      if (error instanceof HttpError && error.status < 500) {
        refused(error.code);
        request.response = jsonResponse(error.status, { error: { code: error.code, message: error.message } });
        return;
      }
      const retryable = error instanceof S2SVaultError && error.retryable;
      log.error('Request failed', {
        requestId,
        error: error?.name,
        code: error instanceof S2SVaultError ? error.code : undefined,
        message: redactPans(String(error?.message ?? '')),
      });
      const status = error instanceof HttpError ? error.status : retryable ? 503 : 500;
      const code = error instanceof HttpError ? error.code : retryable ? 'service_unavailable' : 'internal_error';
      refused(code);
      request.response = jsonResponse(
        status,
        { error: { code, message: status === 503 ? 'The service is temporarily unavailable; retry later' : 'Internal error', retryable: status === 503, request_id: requestId } },
        status === 503 ? { 'Retry-After': '1' } : {},
      );
    },
  };
}

/** The event after `authorized`: who is calling. */
export type AuthorizedEvent<T = unknown> = ParsedEvent<T> & { principal: Principal };

/** Authenticates the caller for a route that accepts `scopes` (401 / 403 otherwise). */
export function authorized(scopes: readonly Scope[], merchantKeys: () => Promise<MerchantKeys>): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const { event } = request;
      const principal = authenticate(await merchantKeys(), { authorization: header(event, 'authorization'), clientSecret: header(event, 'x-client-secret') }, scopes);
      (event as unknown as { principal: Principal }).principal = principal;
    },
  };
}

/** A function that serves several routes: each route key (`GET /events`) to its handler; 404 otherwise. */
export function routeTable(routes: Record<string, (event: APIGatewayProxyEventV2) => Promise<HttpResult>>): (event: APIGatewayProxyEventV2) => Promise<HttpResult> {
  return (event) => {
    const route = routes[event.routeKey];
    if (!route) throw new HttpError(404, 'route_not_found', 'No such route');
    return route(event);
  };
}
