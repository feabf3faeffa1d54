import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDbClient } from '../lib/aws';
import { eventStoreEnv, readConfig } from '../lib/config';
import { EventStore, view } from '../lib/events';
import { eventIdParameter, eventListQuerySchema } from '../lib/events/api';
import { jsonResponse } from '../lib/http';
import { HttpError } from '../lib/http/errors';
import { authorized, errorResponses, type HttpResult, routeTable } from '../lib/http/middleware';
import { correlated, logger } from '../lib/log';
import { parseOrThrow } from '../lib/validation';
import { eventPublisher, merchantKeysReader, requestKeys } from './commons';

const config = readConfig(eventStoreEnv);
const store = new EventStore(config.JOBS_TABLE_NAME, dynamoDbClient());
const publisher = eventPublisher();

const EVENT_NOT_FOUND = () => new HttpError(404, 'event_not_found', 'No such event (events are kept 30 days)');

async function stored(event: APIGatewayProxyEventV2) {
  const found = await store.get(eventIdParameter(event.pathParameters?.event_id));
  if (!found) throw EVENT_NOT_FOUND();
  return found;
}

const ROUTES: Record<string, (event: APIGatewayProxyEventV2) => Promise<HttpResult>> = {
  'GET /events': async (event) => {
    const query = parseOrThrow(eventListQuerySchema, event.queryStringParameters ?? {}, 'query');
    return jsonResponse(200, await store.list({ limit: query.limit, type: query.type, jobId: query.job_id, startingAfter: query.starting_after }));
  },
  'GET /events/{event_id}': async (event) => jsonResponse(200, view(await stored(event))),
  'POST /events/{event_id}/redeliver': async (event) => {
    const { event: found } = await stored(event);
    await publisher.redeliver(found.id);
    return jsonResponse(202, { event_id: found.id, redelivery: 'queued' });
  },
};

/** The merchant's events (server key): list them, read one with its delivery attempts, deliver one again. */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(authorized(['server'], merchantKeysReader()))
    .use(errorResponses(logger))
    .handler(routeTable(ROUTES)),
  requestKeys,
);
