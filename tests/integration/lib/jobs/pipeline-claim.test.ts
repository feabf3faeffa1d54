/**
 * How a run claims its job (lib/jobs/pipeline.ts, store.ts): a merchant's job made claimed in one
 * request, and a first delivery's customer asked for while the claim is in flight.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { DynamoDbJobStore, customerReference, newJobRecord, RetryLaterError, runVaultJob, SimulatedCrash, type JobStore } from '../../../../lib/jobs';
import { eventually } from '../../../../local/stack-process';
import { countingTable } from '../../../helpers/dynamo';
import { deps, hyperswitch, inspect, job, store, storeWith, table, usePipelineStack } from '../../../helpers/pipeline';

usePipelineStack();

describe('runVaultJob', () => {
  describe('the claim of a job a merchant published (likelyNew: no record yet, first delivery)', () => {
    /** The real store on its own client, counting the requests it sends by operation. */
    function countingStore(around?: Parameters<typeof countingTable>[1]): { store: DynamoDbJobStore; sent: string[] } {
      const counted = countingTable(table.client, around);
      return { store: new DynamoDbJobStore(table.tableName, counted.table), sent: counted.sent };
    }

    it('makes the record, claimed, in one request; without the hint a refused claim comes first', async () => {
      const counted = countingStore();
      await expect(runVaultJob(job(), deps({ store: counted.store }), { likelyNew: true })).resolves.toMatchObject({ status: 'succeeded' });
      expect(counted.sent[0]).toBe('PutItem');
      expect(counted.sent.slice(1)).not.toContain('GetItem');

      const unhinted = countingStore();
      await expect(runVaultJob(job(), deps({ store: unhinted.store }))).resolves.toMatchObject({ status: 'succeeded' });
      expect(unhinted.sent.slice(0, 2)).toEqual(['UpdateItem', 'PutItem']);
      expect(counted.sent.length).toBe(unhinted.sent.length - 1);
    });

    it('runs a checkout\'s job whose record landed between the claim\'s update and its put, rather than leaving it to a redelivery', async () => {
      const message = job();
      // The intake's write lands just after the worker's update found no record.
      const racing = countingStore(async (operation, send) => {
        try {
          return await send();
        } catch (error) {
          if (operation === 'UpdateItem' && racing.sent.filter((name) => name === 'UpdateItem').length === 1) await store.create(newJobRecord({ jobId: message.job_id, source: 'checkout' }));
          throw error;
        }
      });
      await expect(runVaultJob(message, deps({ store: racing.store }))).resolves.toEqual({ status: 'succeeded', duplicate: false });
      expect(racing.sent.slice(0, 4)).toEqual(['UpdateItem', 'PutItem', 'GetItem', 'UpdateItem']);
      expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1 });
    });

    it('still claims a record that exists (the intake wrote it, or an earlier run did), and runs a finished job never again', async () => {
      const message = job({ charge: { amount: 100, currency: 'USD' } });
      await store.create(newJobRecord({ jobId: message.job_id, source: 'queue' }));
      await expect(runVaultJob(message, deps(), { likelyNew: true })).resolves.toEqual({ status: 'succeeded', duplicate: false });
      await expect(runVaultJob(message, deps(), { likelyNew: true })).resolves.toEqual({ status: 'succeeded', duplicate: true });
      expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1, payments: 1 });
      expect((await store.get(message.job_id))?.attempts).toBe(1);
    });
  });

  describe('a first delivery: the customer is asked for while the claim is in flight', () => {
    /** The real store, whose claim waits (at most 5 s) until the simulator has seen `route`. */
    function claimAfter(route: string): JobStore {
      return storeWith({
        claim: (real) => async (...args) => {
          await eventually(async () => inspect().requests[route]?.total ?? 0, (n) => n > 0, 5_000, 5);
          return real(...args);
        },
      });
    }

    it("sends the customer's create before the claim is answered, and records the customer and its time", async () => {
      const message = job();
      const lines: string[] = [];
      const log = { ...hyperswitch.log, info: (line: string, context?: Record<string, unknown>) => void lines.push(JSON.stringify({ line, ...context })) };
      await expect(runVaultJob(message, deps({ store: claimAfter('POST /v2/customers'), log }), { first: true })).resolves.toEqual({ status: 'succeeded', duplicate: false });
      const record = await store.get(message.job_id);
      expect(record?.steps.customer).toEqual({ status: 'succeeded', customer_id: expect.stringMatching(/_cus_/) });
      expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1 });
      expect(JSON.parse(lines.find((line) => line.includes('Vault job finished'))!)).toMatchObject({ calls: 2, stepMs: { customer: expect.any(Number), payment_method: expect.any(Number) } });
    });

    it("prepares the claim only once the customer's request is whole on the wire (its preparation then costs the job nothing)", async () => {
      const order: string[] = [];
      // The customer's request, as Node's HTTP client starts it; its `finish`: whole on the wire.
      const customerSent = (message: unknown) => {
        const { request } = message as { request: ClientRequest };
        if (request.method === 'POST' && request.path === '/v2/customers') request.once('finish', () => order.push('customer sent'));
      };
      subscribe('http.client.request.start', customerSent);
      try {
        const claimed = storeWith({ claim: (real) => (...args) => (order.push('claim sent'), real(...args)) });
        await expect(runVaultJob(job(), deps({ store: claimed }), { first: true })).resolves.toEqual({ status: 'succeeded', duplicate: false });
      } finally {
        unsubscribe('http.client.request.start', customerSent);
      }
      expect(order).toEqual(['customer sent', 'claim sent']);
    });

    it('checks a customer the job names ahead too, and fails the job when it does not exist', async () => {
      const missing = job({ customer: { customer_id: '12345_cus_00000000000000000000000000000000' } });
      await expect(runVaultJob(missing, deps({ store: claimAfter('GET /v2/customers/{id}') }), { first: true })).resolves.toEqual({ status: 'failed', duplicate: false });
      expect((await store.get(missing.job_id))?.error?.code).toBe('customer_not_found');
    });

    it('a first delivery of a job that already ended (a message sent twice) makes no second customer and runs nothing', async () => {
      const message = job({ charge: { amount: 100, currency: 'USD' } });
      await expect(runVaultJob(message, deps(), { first: true })).resolves.toEqual({ status: 'succeeded', duplicate: false });
      await expect(runVaultJob(message, deps(), { first: true })).resolves.toEqual({ status: 'succeeded', duplicate: true });
      expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1, payments: 1 });
      expect(inspect().customers_by_reference[customerReference(message.job_id)]).toBe(1);
    });

    it('waits for the customer asked ahead before giving up a job another run holds', async () => {
      const message = job();
      const start = Date.now();
      await expect(runVaultJob(message, deps({ clock: () => start, crashPoint: (point) => { if (point === 'before paymentMethods.create') throw new SimulatedCrash(point); } }))).rejects.toBeInstanceOf(SimulatedCrash);
      hyperswitch.simulator.faults.configure({ latencyMs: 100 });
      await expect(runVaultJob(message, deps({ clock: () => start + 1 }), { first: true })).rejects.toBeInstanceOf(RetryLaterError);
      // The create asked ahead was answered HE_01 and its customer looked up, all before the run gave
      // up (the claim was refused at once): nothing of this run's is still in flight.
      expect(inspect().requests['GET /v2/customers/reference/{merchant_reference_id}']?.by_status).toEqual({ 200: 1 });
      expect(inspect().customers_by_reference[customerReference(message.job_id)]).toBe(1);
    });
  });
});
