/**
 * The merchant's webhook endpoint in the fault suite, as unreliable as real ones: it answers 500 to
 * some deliveries, takes longer than the delivery timeout on others, and is down for a while now and
 * then. Every delivery is verified with the `standardwebhooks` library; what it kept is then compared
 * with the events the final job records imply.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { jobEvents } from '../../lib/events';
import type { JobRecord } from '../../lib/jobs';
import { LOCAL_WEBHOOK } from '../../local/stack';

export interface EventHarm {
  /** Events the final records imply that the endpoint never took (2xx). */
  events_undelivered: number;
  /** Event ids delivered with two different bodies. */
  events_with_two_payloads: number;
  /** One change (a job and an event type) told under two different ids. */
  events_doubled: number;
  /** Deliveries that did not verify. */
  unverified_deliveries: number;
}

export interface MerchantEndpoint {
  url: string;
  /** Deliveries answered 2xx, per event id: the bodies' hashes. */
  taken: Map<string, Set<string>>;
  /** Every verified delivery's event (for the leak scan and the doubled-change count). */
  bodies: string[];
  stats: { deliveries: number; refused_500: number; too_slow: number; down_ms: number; unverified: number };
  /** Closes the endpoint for `ms` (connections refused), then opens it again on the same port. */
  goDown(ms: number): Promise<void>;
  stop(): Promise<void>;
}

const hash = (body: string) => createHash('sha256').update(body).digest('hex');

export async function startMerchantEndpoint({ random, slowMs }: { random: () => number; slowMs: number }): Promise<MerchantEndpoint> {
  const verifier = new Webhook(LOCAL_WEBHOOK.secret);
  const taken = new Map<string, Set<string>>();
  const bodies: string[] = [];
  const stats = { deliveries: 0, refused_500: 0, too_slow: 0, down_ms: 0, unverified: 0 };
  const listener = () =>
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        stats.deliveries++;
        const body = Buffer.concat(chunks).toString('utf8');
        let id: string;
        try {
          id = (verifier.verify(body, Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(req.headers[name])]))) as { id: string }).id;
        } catch {
          stats.unverified++;
          res.writeHead(400).end();
          return;
        }
        bodies.push(body);
        const draw = random();
        if (draw < 0.1) {
          stats.refused_500++;
          res.writeHead(500).end();
          return;
        }
        if (draw < 0.15) {
          // Past the delivery timeout: the sender gives up, so this one must not count as taken.
          stats.too_slow++;
          setTimeout(() => res.writeHead(200).end(), slowMs);
          return;
        }
        (taken.get(id) ?? taken.set(id, new Set()).get(id)!).add(hash(body));
        res.writeHead(200).end();
      });
    });
  let server: Server = listener();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const close = (s: Server) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${port}/s2s-vault`,
    taken,
    bodies,
    stats,
    async goDown(ms) {
      await close(server);
      stats.down_ms += ms;
      await new Promise((resolve) => setTimeout(resolve, ms));
      server = listener();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    },
    stop: () => close(server),
  };
}

/** What the endpoint should have taken: the events the final records imply, each once, one body per id. */
export function eventHarm(endpoint: MerchantEndpoint, records: JobRecord[]): EventHarm {
  const expected = records.flatMap((job) => jobEvents(job, new Date().toISOString()));
  const changes = new Map<string, Set<string>>();
  const payloads = new Map<string, Set<string>>();
  for (const body of endpoint.bodies) {
    const event = JSON.parse(body) as { id: string; type: string; data: { job_id?: string } };
    (payloads.get(event.id) ?? payloads.set(event.id, new Set()).get(event.id)!).add(hash(body));
    if (!event.data.job_id) continue;
    const change = `${event.data.job_id}:${event.type}`;
    (changes.get(change) ?? changes.set(change, new Set()).get(change)!).add(event.id);
  }
  return {
    events_undelivered: expected.filter(({ id }) => !endpoint.taken.has(id)).length,
    events_with_two_payloads: [...payloads.values()].filter((hashes) => hashes.size > 1).length,
    events_doubled: [...changes.values()].filter((ids) => ids.size > 1).length,
    unverified_deliveries: endpoint.stats.unverified,
  };
}

/** Whether every event the records imply has been taken. */
export const allTaken = (endpoint: MerchantEndpoint, records: JobRecord[]) => records.every((job) => jobEvents(job, '').every(({ id }) => endpoint.taken.has(id)));
