/**
 * One delivery attempt of one event to its endpoints, signed by the Standard Webhooks scheme
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
 * one signature per valid `whsec_` secret during a rotation), through the `standardwebhooks` library a
 * merchant verifies with. Each endpoint that has not had the event gets it; a 2xx is delivered.
 * Retrying is the queue's job: the caller holds the message back for `retryDelaySeconds`.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { count, milliseconds } from '../metrics';
import type { Log } from '../log';
import { endpointProblem, endpointsFor, isNonPublicAddress, type WebhookEndpoint } from './endpoints';
import type { Delivery, DeliveryAttempt } from './schemas';
import { endpointKey, type EventStore, type StoredEvent } from './store';

export interface DeliveryOptions {
  endpoints: WebhookEndpoint[];
  /** The valid `whsec_` secrets, newest first. */
  secrets: string[];
  timeoutMs: number;
  /** The local stage only: endpoints on this machine. */
  allowPrivate: boolean;
  log: Log;
  clock?: () => number;
}

/** The Standard Webhooks headers for a payload: one `v1,` signature per secret. */
export function signedHeaders(eventId: string, payload: string, secrets: string[], at: Date): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(eventId, at, payload));
  return { 'webhook-id': eventId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signatures.join(' ') };
}

class RefusedAddressError extends Error {
  readonly code = 'refused_address';
}

/** DNS resolution that refuses a name resolving to an address we do not send to. */
function guardedLookup(hostname: string, options: { all?: boolean; family?: number }, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void): void {
  dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
    if (error) return callback(error, []);
    if (addresses.some(({ address }) => isNonPublicAddress(address))) return callback(new RefusedAddressError(`${hostname} resolves to an address webhooks are not sent to`), []);
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/** POSTs the payload; the answer's status, or why none came. Never follows redirects; reads at most 4 KB of the answer. */
export function post(url: string, payload: string, headers: Record<string, string>, options: Pick<DeliveryOptions, 'timeoutMs' | 'allowPrivate'>): Promise<Omit<DeliveryAttempt, 'at' | 'duration_ms'>> {
  const problem = endpointProblem(url, options);
  if (problem) return Promise.resolve({ error: `endpoint ${problem}` });
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'user-agent': 's2s-vault-webhooks/1', 'content-length': String(Buffer.byteLength(payload)) },
    // The whole exchange, not just an idle socket: an endpoint that trickles its answer is a timeout too.
    signal: AbortSignal.timeout(options.timeoutMs),
    ...(options.allowPrivate ? {} : { lookup: guardedLookup as RequestOptions['lookup'] }),
  };
  return new Promise((resolve) => {
    const request = send(target, requestOptions, (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > 4096) response.destroy();
      });
      response.on('close', () => resolve({ status: response.statusCode }));
      response.on('error', () => resolve({ status: response.statusCode }));
    });
    request.on('error', (error: Error & { code?: string }) => resolve({ error: error.name === 'AbortError' || error.code === 'ABORT_ERR' ? 'timeout' : (error.code ?? 'connection_failed') }));
    request.end(payload);
  });
}

/** Whether an endpoint took the event (since a redelivery was asked for, when one was). */
function hadIt(delivery: Delivery | undefined, since: string | undefined): boolean {
  if (delivery?.status !== 'delivered') return false;
  if (!since) return true;
  const last = delivery.attempts.at(-1);
  return last !== undefined && last.at >= since;
}

export type DeliveryOutcome = { delivered: true } | { delivered: false; pending: number };

/**
 * Sends the event to every endpoint it is for that has not had it, recording each attempt. On the
 * `final` attempt an endpoint that still did not take it is marked `failed`.
 */
export async function deliver(eventId: string, stored: StoredEvent, store: EventStore, options: DeliveryOptions & { final: boolean; since?: string }): Promise<DeliveryOutcome> {
  const clock = options.clock ?? Date.now;
  let pending = 0;
  for (const endpoint of endpointsFor(options.endpoints, stored.event.type)) {
    const delivery = stored.deliveries[endpointKey(endpoint.url)];
    if (hadIt(delivery, options.since)) continue;
    const started = clock();
    const answer = await post(endpoint.url, stored.payload, signedHeaders(eventId, stored.payload, options.secrets, new Date(started)), options);
    const durationMs = clock() - started;
    const delivered = answer.status !== undefined && answer.status >= 200 && answer.status < 300;
    await store.recordAttempt(eventId, endpoint.url, { at: new Date(started).toISOString(), ...answer, duration_ms: durationMs }, delivered ? 'delivered' : options.final ? 'failed' : 'pending', delivery !== undefined);
    const outcome = delivered ? 'delivered' : answer.status === 410 ? 'gone' : answer.status !== undefined ? `http_${Math.floor(answer.status / 100)}xx` : 'no_answer';
    count('WebhookDeliveries', { outcome });
    milliseconds('WebhookDeliveryLatency', durationMs, { outcome: delivered ? 'delivered' : 'failed' });
    // 410 Gone: the endpoint says it is retired. We keep trying (configuration decides, not a status), but say so.
    if (answer.status === 410) options.log.warn('Webhook endpoint answered 410 Gone: remove it from WEBHOOK_ENDPOINTS if it is retired', { eventId, endpoint: endpointKey(endpoint.url) });
    if (!delivered) pending++;
  }
  return pending === 0 ? { delivered: true } : { delivered: false, pending };
}

/**
 * How long to hold the event back after its `attempt`-th failed delivery (1-based): the configured
 * schedule, ±20 % jitter so that endpoints coming back are not hit by every event at once.
 */
export function retryDelaySeconds(attempt: number, schedule: number[], random: () => number = Math.random): number {
  const base = schedule[Math.min(attempt, schedule.length) - 1]!;
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
}
