/**
 * The merchant's webhook endpoints (configuration: `WEBHOOK_ENDPOINTS`, a JSON list of `{url, events}`)
 * and the one rule that keeps them from being turned against us (SSRF): outside the local stage an
 * endpoint is HTTPS on a public address — never private, loopback, link-local (the instance metadata
 * service), carrier-grade NAT or unspecified — checked on the URL and again on every address its name
 * resolves to when we connect (a name may resolve elsewhere later).
 */
import { BlockList, isIP } from 'node:net';
import * as z from 'zod';
import { EVENT_TYPES, type EventType } from './schemas';

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address is one we never send a merchant's webhook to. IPv4-mapped IPv6 is judged as IPv4. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return NON_PUBLIC.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** What is wrong with an endpoint URL, if anything. `allowPrivate`: the local stage only. */
export function endpointProblem(url: string, { allowPrivate }: { allowPrivate: boolean }): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.username || parsed.password) return 'must not carry credentials';
  if (allowPrivate) return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? undefined : 'must be http or https';
  if (parsed.protocol !== 'https:') return 'must be https';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  // A name is judged by what it resolves to, when we connect (delivery.ts).
  if (isIP(host) && isNonPublicAddress(host)) return 'must not be a private, loopback or link-local address';
  return undefined;
}

export const webhookEndpointSchema = z.object({
  url: z.string(),
  /** The event types this endpoint wants; all of them when absent. */
  events: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
});
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/** Parses and checks the endpoints; a bad one stops the function at start-up rather than at the first event. */
export function parseEndpoints(json: string, options: { allowPrivate: boolean }): WebhookEndpoint[] {
  const endpoints = z.array(webhookEndpointSchema).parse(JSON.parse(json === '' ? '[]' : json));
  for (const [index, endpoint] of endpoints.entries()) {
    const problem = endpointProblem(endpoint.url, options);
    if (problem) throw new Error(`WEBHOOK_ENDPOINTS[${index}].url ${problem}`);
  }
  return endpoints;
}

export const endpointsFor = (endpoints: WebhookEndpoint[], type: EventType): WebhookEndpoint[] => endpoints.filter((endpoint) => !endpoint.events || endpoint.events.includes(type));
