import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { jsonResponse } from '../lib/http';

/** `GET /health`: liveness of the API. It reads no secret and touches no dependency, so it is cheap to poll. */
export const handler = middy<APIGatewayProxyEventV2>().handler(async () =>
  jsonResponse(200, { status: 'ok', service: process.env.POWERTOOLS_SERVICE_NAME ?? 's2s-vault' }),
);
