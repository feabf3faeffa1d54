/**
 * One HTTP exchange, over `node:http`/`node:https` with a keep-alive agent per protocol, as
 * stripe-node's default client makes its requests. Not `fetch`: undici's request and response
 * machinery and its web streams took 0.86 s of the stack's CPU over 508 jobs in a profile; over this
 * client the stack's CPU a job at four in flight fell from 17.5–18.7 ms to 12.9–15.0
 * (docs/performance-history.md, the nineteenth session).
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { HttpMethod } from './retry';

export interface HttpRequest {
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the whole exchange, the answer's body included. */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  /** A header of the answer, by its name in any case. */
  header(name: string): string | undefined;
  body: string;
}

/**
 * Sends a request and reads its whole answer. `bodySent` is called once the request, body included,
 * has been handed to the socket: a failure before then means it never left.
 */
export type HttpSend = (url: URL, request: HttpRequest, bodySent: () => void) => Promise<HttpAnswer>;

interface Client {
  request(url: URL, options: RequestOptions, onAnswer: (answer: IncomingMessage) => void): ClientRequest;
  agent: Agent;
}
const clients = new Map<string, Client>();

/**
 * A protocol's module and agent, made on its first request (as aws-lite loads its own): a cold
 * start loads neither before a call needs it (`node:https` alone takes ~9 ms to load here).
 */
function clientFor(protocol: string): Client {
  let client = clients.get(protocol);
  if (!client) {
    const module = protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    // Idle sockets close after 4 s (undici's default): a Lambda thawed after a longer pause opens a
    // new connection rather than writing to one the server may have dropped meanwhile.
    client = { request: module.request, agent: new module.Agent({ keepAlive: true, timeout: 4_000 }) };
    clients.set(protocol, client);
  }
  return client;
}

export const nodeHttpSend: HttpSend = (url, { method, headers, body, signal }, bodySent) =>
  new Promise((resolve, reject) => {
    const { request, agent } = clientFor(url.protocol);
    const sent = request(
      url,
      {
        method,
        agent,
        signal,
        headers: body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (response) => readAnswer(response).then(resolve, reject),
    );
    sent.on('finish', bodySent);
    sent.on('error', reject);
    sent.end(body);
  });

function readAnswer(response: IncomingMessage): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', reject);
    response.on('end', () => {
      const { headers } = response;
      resolve({
        status: response.statusCode ?? 0,
        header: (name) => {
          const value = headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
}
