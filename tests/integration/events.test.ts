/**
 * Merchant events end to end on the local stack: a checkout's events arrive at a merchant endpoint,
 * signed and verified with the `standardwebhooks` library as a merchant would; a failing endpoint gets
 * them again with the same id and payload; the events API lists, shows and redelivers them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { cardNumbersIn } from '../../lib/card';
import { LOCAL_API_KEYS, LOCAL_WEBHOOK } from '../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';
import { validCheckout } from '../fixtures/checkouts';

jest.setTimeout(90_000);

interface Received {
  id: string;
  body: string;
  headers: Record<string, string>;
  event: { id: string; type: string; created_at: string; data: Record<string, any> };
}

let stack: StackProcess;
let receiver: Server;
const received: Received[] = [];
/** Event types the endpoint refuses (500) this many more times. */
const failures = new Map<string, number>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(req.headers[name])]));
      // As a merchant verifies: the library, the secret, the raw body.
      const event = new Webhook(LOCAL_WEBHOOK.secret).verify(body, headers) as Received['event'];
      received.push({ id: headers['webhook-id']!, body, headers, event });
      const left = failures.get(event.type) ?? 0;
      if (left > 0) failures.set(event.type, left - 1);
      res.writeHead(left > 0 ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  stack = await startStackProcess({ S2S_VAULT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const server = { Authorization: `Bearer ${LOCAL_API_KEYS.server}` };
async function checkout(body: Record<string, unknown>): Promise<string> {
  const answer = await stack.request('/checkouts', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` }, body: JSON.stringify(body) });
  expect(answer.status).toBe(202);
  return answer.body.job_id;
}
const eventsOf = (jobId: string) => received.filter(({ event }) => event.data.job_id === jobId);
const typesOf = (jobId: string) => [...new Set(eventsOf(jobId).map(({ event }) => event.type))].sort();

describe('merchant events', () => {
  it("delivers a charged checkout's events, signed, each once per change, with masked card data only", async () => {
    const jobId = await checkout({ ...validCheckout(), charge: { amount: 1999, currency: 'EUR' } });
    await eventually(async () => typesOf(jobId), (types) => types.length === 3, 30_000);
    expect(typesOf(jobId)).toEqual(['job.succeeded', 'payment.succeeded', 'payment_method.saved']);
    // An endpoint that took an event does not get it again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(eventsOf(jobId)).toHaveLength(3);

    const succeeded = eventsOf(jobId).find(({ event }) => event.type === 'job.succeeded')!;
    expect(succeeded.id).toBe(succeeded.event.id);
    expect(succeeded.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(Object.keys(succeeded.event).sort()).toEqual(['created_at', 'data', 'id', 'type']);
    expect(succeeded.event.data).toMatchObject({ job_id: jobId, status: 'succeeded', card: { brand: 'Visa', last4: '4242' } });
    const saved = eventsOf(jobId).find(({ event }) => event.type === 'payment_method.saved')!;
    expect(saved.event.data).toMatchObject({ payment_method_id: expect.stringMatching(/_pm_/), customer_id: expect.stringMatching(/_cus_/), card: { last4: '4242' } });
    for (const { body } of received) expect(cardNumbersIn(body)).toEqual([]);
  });

  it('keeps trying an endpoint that fails, with the same id and the same payload, and records every attempt', async () => {
    failures.set('payment_method.saved', 2);
    const jobId = await checkout(validCheckout());
    await eventually(async () => eventsOf(jobId).filter(({ event }) => event.type === 'payment_method.saved'), (deliveries) => deliveries.length === 3, 45_000, 200);
    const deliveries = eventsOf(jobId).filter(({ event }) => event.type === 'payment_method.saved');
    expect(new Set(deliveries.map(({ id }) => id)).size).toBe(1);
    expect(new Set(deliveries.map(({ body }) => body)).size).toBe(1);

    const shown = await eventually(() => stack.request(`/events/${deliveries[0]!.id}`, { headers: server }), ({ body }) => body.deliveries?.[0]?.status === 'delivered');
    expect(shown.body.deliveries).toEqual([{ url: expect.stringContaining('/hooks'), status: 'delivered', attempts: [expect.objectContaining({ status: 500 }), expect.objectContaining({ status: 500 }), expect.objectContaining({ status: 204 })] }]);
  });

  it('lists events newest first, by job and type, a page at a time', async () => {
    const jobId = await checkout({ ...validCheckout(), charge: { amount: 500, currency: 'USD' } });
    await eventually(async () => typesOf(jobId), (types) => types.length === 3, 30_000);

    const all = await stack.request(`/events?job_id=${jobId}`, { headers: server });
    expect(all.status).toBe(200);
    expect(all.body.data.map((event: { type: string }) => event.type).sort()).toEqual(['job.succeeded', 'payment.succeeded', 'payment_method.saved']);
    const times = all.body.data.map((event: { created_at: string }) => event.created_at);
    expect(times).toEqual([...times].sort().reverse());
    // The indexes hold keys and type only: a page reads its events whole, their deliveries with them.
    const listed = await eventually(
      async () => (await stack.request(`/events?job_id=${jobId}`, { headers: server })).body.data as Array<{ payload?: unknown; deliveries: Array<{ attempts: unknown[] }> }>,
      (events) => events.every((event) => event.deliveries.length === 1 && event.deliveries[0]!.attempts.length >= 1),
      30_000,
    );
    expect(listed).toHaveLength(3);

    const payments = await stack.request(`/events?job_id=${jobId}&type=payment.succeeded`, { headers: server });
    expect(payments.body.data).toEqual([expect.objectContaining({ type: 'payment.succeeded', data: expect.objectContaining({ amount: 500, currency: 'USD' }) })]);

    const first = await stack.request(`/events?job_id=${jobId}&limit=2`, { headers: server });
    expect(first.body).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
    const rest = await stack.request(`/events?job_id=${jobId}&limit=2&starting_after=${first.body.next_cursor}`, { headers: server });
    expect([...first.body.data, ...rest.body.data].map((event: { id: string }) => event.id).sort()).toEqual(all.body.data.map((event: { id: string }) => event.id).sort());

    const everything = await stack.request('/events?limit=100', { headers: server });
    expect(everything.body.data.length).toBeGreaterThanOrEqual(6);
  });

  it('refuses what is not its own: bad query, unknown event, a publishable key', async () => {
    expect((await stack.request('/events?starting_after=not-a-cursor', { headers: server })).body.error).toMatchObject({ code: 'validation_failed', fields: [expect.objectContaining({ path: 'starting_after' })] });
    expect((await stack.request('/events?type=job.exploded', { headers: server })).status).toBe(400);
    expect((await stack.request(`/events/evt_${'0'.repeat(32)}`, { headers: server })).status).toBe(404);
    expect((await stack.request('/events/not-an-event', { headers: server })).body.error.code).toBe('invalid_path_parameter');
    expect((await stack.request('/events', { headers: { Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` } })).status).toBe(403);
  });

  it('redelivers an event on request, the same id and payload again', async () => {
    const jobId = await checkout(validCheckout());
    await eventually(async () => typesOf(jobId), (types) => types.includes('job.succeeded'), 30_000);
    const original = eventsOf(jobId).find(({ event }) => event.type === 'job.succeeded')!;
    const answer = await stack.request(`/events/${original.id}/redeliver`, { method: 'POST', headers: server });
    expect(answer).toMatchObject({ status: 202, body: { event_id: original.id, redelivery: 'queued' } });
    await eventually(async () => received.filter(({ id }) => id === original.id), (copies) => copies.length === 2, 20_000);
    expect(received.filter(({ id }) => id === original.id).map(({ body }) => body)).toEqual([original.body, original.body]);
  });

  it('tells of a declined charge, and of a deleted card and customer', async () => {
    const jobId = await checkout({ ...validCheckout(), card: { ...validCheckout().card, number: '4000000000000002' }, charge: { amount: 100, currency: 'EUR' } });
    await eventually(async () => typesOf(jobId), (types) => types.includes('job.failed') && types.includes('payment.failed'), 30_000);
    const failed = eventsOf(jobId).find(({ event }) => event.type === 'payment.failed')!;
    expect(failed.event.data).toMatchObject({ error: { code: 'card_declined' } });

    const saved = eventsOf(jobId).find(({ event }) => event.type === 'payment_method.saved')!.event.data;
    expect((await stack.request(`/payment-methods/${saved.payment_method_id}`, { method: 'DELETE', headers: server })).status).toBe(200);
    expect((await stack.request(`/customers/${saved.customer_id}`, { method: 'DELETE', headers: server })).status).toBe(200);
    const later = await eventually(
      async () => received.filter(({ event }) => event.data.payment_method_id === saved.payment_method_id || event.data.customer_id === saved.customer_id).map(({ event }) => event.type),
      (types) => types.includes('payment_method.deleted') && types.includes('customer.deleted'),
      20_000,
    );
    expect(later).toEqual(expect.arrayContaining(['payment_method.deleted', 'customer.deleted']));
  });
});
