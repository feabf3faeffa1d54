import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import document from '../schemas/openapi.json';
import { jsonResponse } from '../lib/http';

/** `GET /openapi.json`: the OpenAPI 3.1 document of this API (generated from the zod schemas). */
export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => jsonResponse(200, document, { 'Cache-Control': 'public, max-age=300' });
