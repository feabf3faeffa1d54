/**
 * API Gateway HTTP API (payload format 2.0) in front of the functions' `httpApi` routes from
 * serverless.yml: builds the event a route's Lambda receives and turns its result into the response.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SECURITY_HEADERS } from '../lib/http';
import type { LocalFunction } from './lambda';
import type { CorsConfig } from './serverless-config';

export interface HttpRoute {
  method: string;
  path: string;
  fn: LocalFunction;
}

// API Gateway's own payload limit (10 MB); our handlers enforce their own, smaller ones.
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

function compile(route: HttpRoute) {
  const names: string[] = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, names, regex: new RegExp(`^${pattern}$`) };
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(req: IncomingMessage, url: URL, route: ReturnType<typeof compile>, params: Record<string, string>, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const routeKey = `${route.method} ${route.path}`;
  const now = new Date();
  const text = body.toString('utf8');
  const binary = body.length > 0 && !Buffer.from(text, 'utf8').equals(body);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(req.headers.cookie ? { cookies: req.headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: route.method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: binary ? body.toString('base64') : text } : {}),
    isBase64Encoded: binary,
  };
}

/**
 * API Gateway's CORS handling for an HTTP API with `cors` configured: it answers preflight requests
 * itself and adds the allow-origin header to responses for allowed origins; other origins get none.
 */
function corsHeaders(cors: CorsConfig | undefined, origin: string | undefined, preflight: boolean): Record<string, string> {
  if (!cors || !origin || !cors.allowedOrigins.includes(origin)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    ...(preflight
      ? {
          'Access-Control-Allow-Methods': cors.allowedMethods.join(','),
          'Access-Control-Allow-Headers': cors.allowedHeaders.join(','),
          ...(cors.maxAge === undefined ? {} : { 'Access-Control-Max-Age': String(cors.maxAge) }),
        }
      : {}),
  };
}

export function createHttpApi(routes: HttpRoute[], log: (line: Record<string, unknown>) => void, cors?: CorsConfig): Server {
  const compiled = routes.map(compile);
  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const origin = req.headers.origin;
      if (cors && method === 'OPTIONS' && req.headers['access-control-request-method']) {
        res.writeHead(204, corsHeaders(cors, origin, true));
        return void res.end();
      }
      let params: Record<string, string> = {};
      const route = compiled.find((candidate) => {
        if (candidate.method !== method) return false;
        const found = candidate.regex.exec(url.pathname);
        if (!found) return false;
        params = Object.fromEntries(candidate.names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
        return true;
      });
      const send = (status: number, body: string, headers: Record<string, string> = { ...SECURITY_HEADERS }) => {
        res.writeHead(status, { ...headers, ...corsHeaders(cors, origin, false) });
        res.end(body);
      };
      // API Gateway's own answers, before any function runs.
      if (!route) return send(404, JSON.stringify({ message: 'Not Found' }));
      const body = await readBody(req);
      if (body === 'too_large') return send(413, JSON.stringify({ message: 'Request Entity Too Large' }));
      try {
        const result = (await route.fn.invoke(toEvent(req, url, route, params, body))) as APIGatewayProxyStructuredResultV2 | undefined;
        const status = result?.statusCode ?? 200;
        const headers = Object.fromEntries(Object.entries(result?.headers ?? {}).map(([k, v]) => [k, String(v)]));
        const payload = result?.body ?? '';
        send(status, result?.isBase64Encoded ? Buffer.from(payload, 'base64').toString() : payload, headers);
      } catch (error) {
        log({ level: 'ERROR', message: 'Function invocation failed', function: route.fn.name, error: error instanceof Error ? error.name : 'unknown' });
        send(500, JSON.stringify({ message: 'Internal Server Error' }));
      }
    })();
  });
}

export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return `http://${host === '0.0.0.0' ? 'localhost' : address.address}:${address.port}`;
}
