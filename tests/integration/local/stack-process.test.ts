/**
 * The local stack as the benchmarks run it: the emulators and the simulator apart, and the merchant
 * events' deliveries in a stack process of their own (as their containers are apart from the worker's
 * in AWS). A checkout's events still arrive, delivered by that second process alone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { LOCAL_API_KEYS, LOCAL_WEBHOOK } from '../../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../../local/stack-process';
import { validCheckout } from '../../fixtures/checkouts';

jest.setTimeout(120_000);

let stack: StackProcess;
let receiver: Server;
const received: Array<{ type: string; data: { job_id?: string } }> = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(req.headers[name])]));
      received.push(new Webhook(LOCAL_WEBHOOK.secret).verify(Buffer.concat(chunks).toString('utf8'), headers) as (typeof received)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  stack = await startStackProcess({ S2S_VAULT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` }, { apart: true, consumersApart: ['webhookDelivery'] });
});
afterAll(async () => {
  // Throws when either stack process stopped other than cleanly.
  await stack?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('a stack with its deliveries apart', () => {
  it("runs the deliveries in a second process, off the worker's, and the events still arrive", async () => {
    const disabled = stack.banner
      .split('\n')
      .flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as { message?: string; function?: string }] : []))
      .filter((line) => line.message === 'queue consumer disabled')
      .map((line) => line.function);
    expect(disabled).toEqual(['webhookDelivery']);
    expect(stack.pids.consumers).toHaveLength(1);
    expect(stack.pids.consumers[0]).not.toBe(stack.pids.stack);

    const answer = await stack.request('/checkouts', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` }, body: JSON.stringify(validCheckout()) });
    expect(answer.status).toBe(202);
    const jobId = answer.body.job_id as string;
    const types = await eventually(
      async () => received.filter(({ data }) => data.job_id === jobId).map(({ type }) => type).sort(),
      (found) => found.length === 2,
      30_000,
    );
    expect(types).toEqual(['job.succeeded', 'payment_method.saved']);
  });

  it('needs the emulators apart: two stacks in one emulator each would not share the queues', async () => {
    await expect(startStackProcess({}, { consumersApart: ['webhookDelivery'] })).rejects.toThrow(/consumersApart needs apart/);
  });
});
