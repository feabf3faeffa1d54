/**
 * How a run claims its job (lib/jobs/pipeline.ts, store.ts): in one request, whether the job has a
 * record yet or not, and a first delivery's customer asked for while the claim is in flight.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { DynamoDbJobStore, customerReference, newJobRecord, RetryLaterError, runVaultJob, SimulatedCrash, type JobStore } from '../../../../lib/jobs';
import { eventually } from '../../../../local/stack-process';
import { countingTable } from '../../../helpers/dynamo';
import { deps, hyperswitch, inspect, job, killedAt, store, storeWith, table, usePipelineStack } from '../../../helpers/pipeline';

usePipelineStack();

describe('runVaultJob', () => {
  describe('the claim: one write, whether the intake recorded the job or not', () => {
    /** The real store on its own client, counting the requests it sends by operation. */
    function countingStore(): { store: DynamoDbJobStore; sent: string[] } {
      const counted = countingTable(table.client);
      return { store: new DynamoDbJobStore(table.tableName, counted.table), sent: counted.sent };
    }
    const rawItem = async (jobId: string) => (await table.client.get({ TableName: table.tableName, Key: { job_id: jobId }, ConsistentRead: true })).Item!;

    it('makes the record of a job a merchant published, claimed, in one request, and claims one the intake wrote in one request too', async () => {
      const published = countingStore();
      await expect(runVaultJob(job(), deps({ store: published.store }))).resolves.toMatchObject({ status: 'succeeded' });
      const recorded = countingStore();
      const message = job();
      await store.create(newJobRecord({ jobId: message.job_id, source: 'checkout' }));
      await expect(runVaultJob(message, deps({ store: recorded.store }))).resolves.toMatchObject({ status: 'succeeded' });
      // The claim, the end, the card's hold: nothing read, nothing refused.
      expect(published.sent).toEqual(['UpdateItem', 'UpdateItem', 'PutItem']);
      expect(recorded.sent).toEqual(published.sent);
    });

    it("keeps the record the claim made when a checkout's message overtook its write: one write each side, and the job runs once", async () => {
      const message = job();
      const worker = countingStore();
      const intake = countingStore();
      // The intake's put lands after the worker's claim made the record.
      const racing: JobStore = Object.assign(Object.create(worker.store) as JobStore, {
        claim: async (...args: Parameters<JobStore['claim']>) => {
          const claimed = await worker.store.claim(...args);
          await expect(intake.store.create(newJobRecord({ jobId: message.job_id, source: 'checkout' }))).rejects.toMatchObject({ code: 'job_exists' });
          return claimed;
        },
      });
      // The message names the route that sent it (SqsJobQueue's attribute): the record the claim made says so too.
      await expect(runVaultJob(message, deps({ store: racing }), { source: 'checkout' })).resolves.toEqual({ status: 'succeeded', duplicate: false });
      expect(intake.sent).toEqual(['PutItem']);
      expect(worker.sent).toEqual(['UpdateItem', 'UpdateItem', 'PutItem']);
      expect(await store.get(message.job_id)).toMatchObject({ status: 'succeeded', source: 'checkout', attempts: 1, card: { last4: '4242' } });
      expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1 });
    });

    it("holds the claim's intent in an attribute of the record's own until the step is written, and shows it as the step's", async () => {
      const message = job();
      const start = Date.now();
      await expect(runVaultJob(message, deps({ crashPoint: killedAt('before paymentMethods.create'), clock: () => start }))).rejects.toBeInstanceOf(SimulatedCrash);
      const at = new Date(start).toISOString();
      expect(await rawItem(message.job_id)).toMatchObject({ intent_payment_method_at: at, steps: { payment_method: { status: 'pending' } } });
      const held = await store.get(message.job_id);
      expect(held?.steps.payment_method).toMatchObject({ attempted_at: at, first_attempted_at: at });
      expect(held).not.toHaveProperty('intent_payment_method_at');

      // The next claim keeps the first attempt's time; the step's result, written whole, removes it.
      await expect(runVaultJob(message, deps({ clock: () => start + 5_001 }))).resolves.toMatchObject({ status: 'succeeded' });
      const ended = await rawItem(message.job_id);
      expect(ended).not.toHaveProperty('intent_payment_method_at');
      expect(ended.steps.payment_method).toMatchObject({ status: 'succeeded' });
      expect(inspect()).toMatchObject({ payment_methods: 1 });
    });

    it('still claims a record that exists, and runs a finished job never again', async () => {
      const message = job({ charge: { amount: 100, currency: 'USD' } });
      await store.create(newJobRecord({ jobId: message.job_id, source: 'queue' }));
      await expect(runVaultJob(message, deps(), { first: true })).resolves.toEqual({ status: 'succeeded', duplicate: false });
      await expect(runVaultJob(message, deps(), { first: true })).resolves.toEqual({ status: 'succeeded', duplicate: true });
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
      await expect(runVaultJob(message, deps({ clock: () => start, crashPoint: killedAt('before paymentMethods.create') }))).rejects.toBeInstanceOf(SimulatedCrash);
      hyperswitch.simulator.faults.configure({ latencyMs: 100 });
      await expect(runVaultJob(message, deps({ clock: () => start + 1 }), { first: true })).rejects.toBeInstanceOf(RetryLaterError);
      // The create asked ahead was answered HE_01 and its customer looked up, all before the run gave
      // up (the claim was refused at once): nothing of this run's is still in flight.
      expect(inspect().requests['GET /v2/customers/reference/{merchant_reference_id}']?.by_status).toEqual({ 200: 1 });
      expect(inspect().customers_by_reference[customerReference(message.job_id)]).toBe(1);
    });
  });
});
