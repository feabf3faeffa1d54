/**
 * The vault pipeline against real pieces in this process: the job store on DynamoDB (dynalite), the
 * Hyperswitch client over HTTP to the simulator, keys through the local Secrets Manager. Crashes are
 * injected by wrapping the real store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decryptJson, encryptJson, type DataKeys } from '../../../../lib/crypto';
import {
  DEFAULT_MAX_CHARGE_AMOUNT,
  DynamoDbJobStore,
  customerReference,
  newJobRecord,
  paymentReference,
  reconcileFailedJob,
  resolveAwaitingAction,
  RetryLaterError,
  runVaultJob,
  SimulatedCrash,
  sealVaultJob,
  vaultRequestSchema,
  type CardJobMessage,
  type JobRecord,
  type JobStore,
  type PipelineDeps,
  type SealedCard,
  type VaultJobMessage,
} from '../../../../lib/jobs';
import { eventually } from '../../../../local/stack-process';
import { cardCreateRequest } from '../../../../lib/jobs/steps/payment-method';
import { startJobsTable } from '../../../helpers/dynamo';
import { capturedMetrics } from '../../../helpers/metrics';
import { startHyperswitchStack, type HyperswitchStack } from '../../../helpers/hyperswitch';
import { validCheckout } from '../../../fixtures/checkouts';
import { recordingLog } from '../../../helpers/log';

const keys: DataKeys = { current_key_id: 'k1', keys: { k1: randomBytes(32).toString('base64') }, hmac_key: randomBytes(32).toString('base64') };

let hyperswitch: HyperswitchStack;
let table: Awaited<ReturnType<typeof startJobsTable>>;
let store: DynamoDbJobStore;

beforeAll(async () => {
  [hyperswitch, table] = await Promise.all([startHyperswitchStack({ timeoutMs: 500 }), startJobsTable()]);
  store = new DynamoDbJobStore(table.tableName, table.client);
});
afterAll(async () => Promise.all([hyperswitch.close(), table.close()]));
beforeEach(() => hyperswitch.simulator.reset());

function deps(overrides: Partial<PipelineDeps> = {}): PipelineDeps {
  return { store, vault: hyperswitch.vault, payments: hyperswitch.payments, dataKeys: async () => keys, log: hyperswitch.log, leaseMs: 5_000, intentFreshMs: 2_000, settleMs: 0, offSessionRequiresSetup: true, verificationCurrency: 'USD', actionWindowMs: 60_000, ...overrides };
}

/** A redelivery once an earlier create whose outcome was lost can no longer commit (here settleMs is 0, intentFreshMs 2 s). */
const pastSettle = () => deps({ clock: () => Date.now() + 2_001 });

function job(body: Record<string, unknown> = {}): VaultJobMessage {
  const request = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse({ ...validCheckout(), ...body });
  return sealVaultJob(`job-${randomUUID()}`, request, keys).message;
}

const inspect = () => hyperswitch.simulator.inspect();

type StoreMethod = (...args: never[]) => Promise<unknown>;

/** The real store with some of its methods wrapped: each wrapper is given the real method. */
function storeWith(wrappers: Partial<Record<keyof JobStore, (real: StoreMethod) => StoreMethod>>): JobStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      const wrap = wrappers[property as keyof JobStore];
      return wrap && typeof value === 'function' ? wrap((value as StoreMethod).bind(target)) : value;
    },
  });
}

/** The real store, made to fail once at the named write. */
function crashingStore(at: { method: 'checkpoint' | 'finish' | 'release' }): JobStore {
  let crashed = false;
  return storeWith({
    [at.method]: (real: StoreMethod) => async (...args: never[]) => {
      if (!crashed) {
        crashed = true;
        throw new Error(`injected crash before ${at.method}`);
      }
      return real(...args);
    },
  });
}

/**
 * A run killed at `point`; a redelivery while its lease holds, told to come back later — unless the
 * job's end had landed (`endLanded`: that one only finishes what the end leaves, its events); one
 * after the lease, which ends the job.
 */
async function killedThenRedelivered(message: VaultJobMessage, point: string, delivery: { first?: boolean }, endLanded: boolean) {
  const start = Date.now();
  let crashed = false;
  const crashOnce = (at: string) => {
    if (at === point && !crashed) {
      crashed = true;
      throw new SimulatedCrash(at);
    }
  };
  await expect(runVaultJob(message, deps({ crashPoint: crashOnce, clock: () => start }), delivery)).rejects.toBeInstanceOf(SimulatedCrash);
  const early = runVaultJob(message, deps({ clock: () => start + 1 }));
  await (endLanded ? expect(early).resolves.toMatchObject({ duplicate: true }) : expect(early).rejects.toBeInstanceOf(RetryLaterError));
  await expect(runVaultJob(message, deps({ clock: () => start + 5_001 }))).resolves.toEqual({ status: 'succeeded', duplicate: endLanded });
}

describe('runVaultJob', () => {
  it('vaults a card: customer, then payment method, each checkpointed', async () => {
    const message = job();
    await expect(runVaultJob(message, deps())).resolves.toEqual({ status: 'succeeded', duplicate: false });
    const record = await store.get(message.job_id);
    expect(record).toMatchObject({
      status: 'succeeded',
      source: 'queue',
      card: { brand: 'Visa', last4: '4242' },
      attempts: 1,
      steps: {
        customer: { status: 'succeeded', customer_id: expect.stringMatching(/_cus_/) },
        payment_method: { status: 'succeeded', payment_method_id: expect.stringMatching(/_pm_/), psp_token: 'not_requested', network_token: 'not_requested' },
        payment: { status: 'not_requested' },
      },
    });
    expect(record?.lease_owner).toBeUndefined();
    expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1, payments: 0 });
  });

  it('charges the vaulted card with the payment key when the job carries a charge', async () => {
    const message = job({ charge: { amount: 6540, currency: 'USD' }, tokenization: { psp: true, network: true } });
    await runVaultJob(message, deps());
    const record = await store.get(message.job_id);
    expect(record?.steps).toMatchObject({
      payment_method: { psp_token: 'active', network_token: 'active' },
      payment: { status: 'succeeded', payment_status: 'succeeded', payment_id: expect.stringMatching(/_pay_/) },
    });
    expect(inspect().requests['POST /v2/payments']?.by_key).toEqual({ payment: 1 });
  });

  it('uses an existing customer, and fails the job when that customer does not exist', async () => {
    const customer = await hyperswitch.vault.createCustomer({ name: 'Jane Doe', email: 'jane@example.com' });
    const existing = job({ customer: { customer_id: customer.id } });
    await runVaultJob(existing, deps());
    expect((await store.get(existing.job_id))?.steps.customer).toEqual({ status: 'skipped', customer_id: customer.id });
    expect(inspect().customers).toBe(1);

    const missing = job({ customer: { customer_id: '12345_cus_00000000000000000000000000000000' } });
    await expect(runVaultJob(missing, deps())).resolves.toEqual({ status: 'failed', duplicate: false });
    expect((await store.get(missing.job_id))?.error).toEqual({ code: 'customer_not_found', message: expect.any(String), retryable: false });
  });

  it('ends a declined charge failed with the decline reason, keeping the saved card', async () => {
    const message = job({ card: { ...validCheckout().card, number: '4000000000000002' }, charge: { amount: 100, currency: 'EUR' } });
    await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'failed' });
    const record = await store.get(message.job_id);
    expect(record?.error).toEqual({
      code: 'card_declined',
      message: 'The charge was declined: Your card was declined. (card_declined)',
      retryable: false,
      decline_message: 'Your card was declined. Try another card.',
    });
    expect(record?.steps.payment_method.payment_method_id).toBeDefined();
    expect(record?.steps.payment).toMatchObject({ status: 'failed', payment_status: 'failed' });
  });

  it('counts the job finished by status and code, with its latency since it was accepted', async () => {
    const declined = job({ card: { ...validCheckout().card, number: '4000000000000002' }, charge: { amount: 100, currency: 'EUR' } });
    const emitted = await capturedMetrics(() => runVaultJob(declined, deps()));
    expect(emitted.filter(({ name }) => name === 'JobsFinished')).toEqual([{ name: 'JobsFinished', value: 1, dimensions: { service: 's2s-vault', stage: 'local', status: 'failed' } }]);
    expect(emitted.filter(({ name }) => name === 'JobFailures')).toEqual([{ name: 'JobFailures', value: 1, dimensions: expect.objectContaining({ code: 'card_declined' }) }]);
    expect(emitted.filter(({ name }) => name === 'JobLatency')).toEqual([expect.objectContaining({ dimensions: expect.objectContaining({ status: 'failed' }) })]);
    expect(JSON.stringify(emitted)).not.toContain(declined.job_id);
  });

  it('times each step that ran, and not a step the record shows done', async () => {
    const message = job({ charge: { amount: 100, currency: 'USD' } });
    const start = Date.now();
    const stepsTimed = async (run: () => Promise<unknown>) => (await capturedMetrics(() => run().catch(() => undefined))).filter(({ name }) => name === 'StepDuration').map(({ dimensions }) => dimensions.step);
    const crashBeforeCharge = (point: string) => {
      if (point === 'after checkpoint customer+payment_method+payment') throw new SimulatedCrash(point);
    };
    expect(await stepsTimed(() => runVaultJob(message, deps({ crashPoint: crashBeforeCharge, clock: () => start })))).toEqual(['customer', 'payment_method']);
    expect(await stepsTimed(() => runVaultJob(message, deps({ clock: () => start + 5_001 })))).toEqual(['payment']);
    expect((await store.get(message.job_id))?.status).toBe('succeeded');
  });

  it('does nothing for a job that already ended', async () => {
    const message = job({ charge: { amount: 100, currency: 'USD' } });
    await runVaultJob(message, deps());
    await expect(runVaultJob(message, deps())).resolves.toEqual({ status: 'succeeded', duplicate: true });
    expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1, payments: 1 });
  });

  it('resumes after a transient failure without creating the customer again', async () => {
    const message = job();
    hyperswitch.simulator.faults.enqueue([{ kind: 'server_error', route: 'POST /v2/payment-methods' }]);
    await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
    const halfDone = await store.get(message.job_id);
    expect(halfDone).toMatchObject({ status: 'processing', steps: { customer: { status: 'succeeded' }, payment_method: { status: 'pending' } } });
    expect(halfDone?.lease_owner).toBeUndefined();

    await expect(runVaultJob(message, pastSettle())).resolves.toMatchObject({ status: 'succeeded' });
    expect(inspect().requests['POST /v2/customers']?.total).toBe(1);
    expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1 });
    expect((await store.get(message.job_id))?.attempts).toBe(2);
  });

  it('a run killed before its last write loses nothing: the customer is found by its reference, the card by the claim\'s intent', async () => {
    const message = job();
    const start = Date.now();
    const killedBeforeFinish = (point: string) => {
      if (point === 'before finish') throw new SimulatedCrash(point);
    };
    await expect(runVaultJob(message, deps({ crashPoint: killedBeforeFinish, clock: () => start }))).rejects.toBeInstanceOf(SimulatedCrash);
    expect(await store.get(message.job_id)).toMatchObject({ status: 'processing', steps: { customer: { status: 'pending' }, payment_method: { status: 'pending', attempted_at: new Date(start).toISOString() } } });
    expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1 });
    await expect(runVaultJob(message, deps({ clock: () => start + 5_001 }))).resolves.toMatchObject({ status: 'succeeded' });
    expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1 });
    expect(inspect().requests['POST /v2/customers']?.by_status).toEqual({ 200: 1, 400: 1 });
    expect(inspect().requests['POST /v2/payment-methods']?.total).toBe(1);
  });

  it('writes the card\'s intent again when the customer step took longer than the claim\'s intent stays fresh', async () => {
    const message = job();
    const start = Date.now();
    let now = start;
    const points: string[] = [];
    // The claim happens at `start`; the customer call takes 3 s, past intentFreshMs (2 s).
    const slowCustomer = (point: string) => {
      points.push(point);
      if (point === 'after customers.create') now = start + 3_000;
    };
    await expect(runVaultJob(message, deps({ crashPoint: slowCustomer, clock: () => now }))).resolves.toMatchObject({ status: 'succeeded' });
    expect(points.slice(0, 5)).toEqual(['before customers.create', 'after customers.create', 'before checkpoint customer+payment_method', 'after checkpoint customer+payment_method', 'before paymentMethods.create']);
    expect((await store.get(message.job_id))?.steps.payment_method).toMatchObject({ status: 'succeeded' });
  });

  it('a transient failure at the last write still records what the run did, with the lease given up', async () => {
    const message = job();
    await expect(runVaultJob(message, deps({ store: crashingStore({ method: 'finish' }) }))).rejects.toBeInstanceOf(RetryLaterError);
    const released = await store.get(message.job_id);
    expect(released).toMatchObject({ status: 'processing', steps: { customer: { status: 'succeeded' }, payment_method: { status: 'succeeded' } } });
    expect(released?.lease_owner).toBeUndefined();
    await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'succeeded' });
    expect(inspect().requests['POST /v2/customers']?.total).toBe(1);
    expect(inspect().requests['GET /v2/customers/' + released!.steps.customer.customer_id + '/saved-payment-methods']).toBeUndefined();
  });

  it('finds a charge that Hyperswitch made before failing, instead of charging twice', async () => {
    const message = job({ charge: { amount: 2500, currency: 'GBP' } });
    hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_fail', route: 'POST /v2/payments' }]);
    await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
    expect(inspect().payments).toBe(1);
    await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'succeeded' });
    expect(inspect().payments).toBe(1);
    expect((await store.get(message.job_id))?.steps.payment).toMatchObject({ status: 'succeeded', payment_status: 'succeeded' });
  });

  it.each([
    ['deliveries', {}],
    ['first deliveries of a merchant\'s job (likelyNew)', { likelyNew: true, first: true }],
    ['first deliveries of a checkout\'s job (its customer asked ahead)', { first: true }],
  ])('lets only one of two concurrent %s run the job', async (_, delivery) => {
    const message = job({ charge: { amount: 100, currency: 'USD' } });
    hyperswitch.simulator.faults.configure({ latencyMs: 30 });
    const results = await Promise.allSettled([runVaultJob(message, deps(), delivery), runVaultJob(message, deps(), delivery)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(RetryLaterError);
    expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1, payments: 1 });
  });

  describe('the claim of a job a merchant published (likelyNew: no record yet, first delivery)', () => {
    /** The real store on its own client, counting the requests it sends by operation. */
    function countingStore(): { store: DynamoDbJobStore; sent: string[]; client: DynamoDBClient } {
      const sent: string[] = [];
      const client = table.newClient();
      client.middlewareStack.add((next, context) => (args) => (sent.push(context.commandName!.replace(/Command$/, '')), next(args)), { step: 'initialize' });
      return { store: new DynamoDbJobStore(table.tableName, client), sent, client };
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
      const racing = countingStore();
      // The intake's write lands just after the worker's update found no record.
      racing.client.middlewareStack.add(
        (next, context) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            if (context.commandName === 'UpdateItemCommand' && racing.sent.filter((name) => name === 'UpdateItem').length === 1) await store.create(newJobRecord({ jobId: message.job_id, source: 'checkout' }));
            throw error;
          }
        },
        { step: 'initialize' },
      );
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
      const customerSent = (message: unknown) => {
        const { method, path } = (message as { request: { method: string; path: string } }).request;
        if (method === 'POST' && path === '/v2/customers') order.push('customer sent');
      };
      subscribe('undici:request:bodySent', customerSent);
      try {
        const claimed = storeWith({ claim: (real) => (...args) => (order.push('claim sent'), real(...args)) });
        await expect(runVaultJob(job(), deps({ store: claimed }), { first: true })).resolves.toEqual({ status: 'succeeded', duplicate: false });
      } finally {
        unsubscribe('undici:request:bodySent', customerSent);
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

  it('ends a job whose card envelope was tampered with, without calling Hyperswitch', async () => {
    const message = job();
    const tampered = { ...message, card: encryptJson(keys, { number: '4242424242424242' }, 'another-job-id') };
    await expect(runVaultJob(tampered, deps())).resolves.toEqual({ status: 'failed', duplicate: false });
    expect((await store.get(message.job_id))?.error?.code).toBe('card_decryption_failed');
    expect(inspect().requests).toEqual({});
  });

  it('leaves a job to redelivery when the card keys cannot be read', async () => {
    const message = job();
    const unavailable = deps({ dataKeys: async () => Promise.reject(new Error('Secrets Manager unreachable')) });
    await expect(runVaultJob(message, unavailable)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await store.get(message.job_id)).toBeUndefined();
  });

  it('does not vault the card twice when Hyperswitch saved it but the answer was lost', async () => {
    const message = job();
    hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_fail', route: 'POST /v2/payment-methods' }]);
    await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
    expect(inspect().payment_methods).toBe(1);
    await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'succeeded' });
    expect(inspect().payment_methods).toBe(1);
    expect(inspect().requests['POST /v2/payment-methods']?.total).toBe(1);
  });

  it('vaults the card again when the attempt that timed out had not saved it', async () => {
    const message = job();
    hyperswitch.simulator.faults.enqueue([{ kind: 'timeout', route: 'POST /v2/payment-methods' }]);
    await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
    expect(inspect().payment_methods).toBe(0);
    await expect(runVaultJob(message, pastSettle())).resolves.toMatchObject({ status: 'succeeded' });
    expect(inspect().payment_methods).toBe(1);
  });

  it('looks a charge with an unknown outcome up before charging again', async () => {
    const message = job({ charge: { amount: 700, currency: 'USD' } });
    hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_timeout', route: 'POST /v2/payments' }]);
    await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
    await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'succeeded' });
    expect(inspect().payments).toBe(1);
    expect(inspect().requests['POST /v2/payments']?.total).toBe(1);
    expect(inspect().requests['GET /v2/payments/list']?.total).toBe(1);
  });

  describe('3-D Secure: a job that waits for the shopper', () => {
    const threeDs = () => job({ card: { ...validCheckout().card, number: '4000002760003184' }, charge: { amount: 450, currency: 'EUR' } });

    it('parks in requires_action; redeliveries make no second payment; the shopper\'s approval ends it succeeded', async () => {
      const message = threeDs();
      await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'requires_action', duplicate: false, actionExpiresAt: expect.any(String) });
      const parked = (await store.get(message.job_id))!;
      expect(parked).toMatchObject({ status: 'requires_action', next_action: { type: 'redirect_to_url', url: expect.stringContaining('/__sim/3ds/') } });
      expect(parked.lease_owner).toBeUndefined();
      await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'requires_action', duplicate: true });
      expect(inspect().payments).toBe(1);
      expect(hyperswitch.simulator.completeChallengeForTests(parked.steps.payment.payment_id!, true)).toBe(true);
      await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'succeeded', duplicate: true });
      expect(await store.get(message.job_id)).toMatchObject({ status: 'succeeded', steps: { payment: { status: 'succeeded' } } });
      expect(inspect().payments).toBe(1);
    });

    it('ends failed authentication_expired once the wait is over, and a finished job never returns to waiting', async () => {
      const message = threeDs();
      await runVaultJob(message, deps());
      const parked = (await store.get(message.job_id))!;
      const later = { store, payments: hyperswitch.payments, log: hyperswitch.log, clock: () => Date.parse(parked.action_expires_at!) + 1 };
      await expect(resolveAwaitingAction(parked, later)).resolves.toMatchObject({ status: 'failed', error: { code: 'authentication_expired' } });
      // A late reader holding the old record cannot move the job again.
      await expect(store.resolveAction(message.job_id, 'payment', { status: 'succeeded' }, { status: 'succeeded' })).resolves.toBeUndefined();
      expect((await store.get(message.job_id))?.status).toBe('failed');
    });
  });

  describe('merchant-initiated charges', () => {
    const chargeOf = async (saved: VaultJobMessage): Promise<VaultJobMessage> => {
      const { steps } = (await store.get(saved.job_id))!;
      return { schema: 'vault-job/v1', job_id: `job-${randomUUID()}`, customer: { customer_id: steps.customer.customer_id! }, payment_method_id: steps.payment_method.payment_method_id!, charge: { amount: 300, currency: 'EUR' }, customer_present: false };
    };

    it('are refused for a card no customer-initiated setup readied, before Hyperswitch is asked', async () => {
      const saved = job();
      await runVaultJob(saved, deps());
      const mit = await chargeOf(saved);
      await expect(runVaultJob(mit, deps())).resolves.toMatchObject({ status: 'failed' });
      expect((await store.get(mit.job_id))?.error?.code).toBe('payment_method_not_set_up');
      expect(inspect().payments).toBe(0);
    });

    it('reach Hyperswitch when the merchant allows them, and its connector declines: authentication_required (the flags are real)', async () => {
      const saved = job();
      await runVaultJob(saved, deps());
      const mit = await chargeOf(saved);
      await expect(runVaultJob(mit, deps({ offSessionRequiresSetup: false }))).resolves.toMatchObject({ status: 'failed' });
      expect((await store.get(mit.job_id))?.error).toMatchObject({ code: 'authentication_required', decline_message: expect.any(String) });
      expect(Object.values(inspect().payment_signals)).toEqual([expect.objectContaining({ customer_present: 'absent', apply_mit_exemption: 'Apply' })]);
    });

    it('go through after a checkout charge set the card up', async () => {
      const saved = job({ charge: { amount: 100, currency: 'EUR' } });
      await runVaultJob(saved, deps());
      const mit = await chargeOf(saved);
      await expect(runVaultJob(mit, deps())).resolves.toMatchObject({ status: 'succeeded' });
    });
  });

  describe("the card's hold: beside the end for a job that only saves a card for a customer of its own", () => {
    /** The real store, with the order of the end's write and the card's hold noted (a hold answered only once `gate` allows). */
    function watchedStore(gate: () => Promise<void> = async () => undefined, hold: (paymentMethodId: string, jobId: string) => Promise<boolean> = (...args) => store.holdPaymentMethod(...args)) {
      const order: string[] = [];
      const watched = storeWith({
        finish: (real) => (...args) => (order.push('finish sent'), real(...args)),
        holdPaymentMethod: () => async (...[paymentMethodId, jobId]: Parameters<JobStore['holdPaymentMethod']>) => {
          order.push('hold sent');
          await gate();
          const held = await hold(paymentMethodId, jobId);
          order.push('hold answered');
          return held;
        },
      });
      return { store: watched, order };
    }
    const holderOf = async (jobId: string) => store.paymentMethodHolder((await store.get(jobId))!.steps.payment_method.payment_method_id!);

    it('sends the end without waiting for the hold, and holds the card', async () => {
      const message = job();
      // The hold is answered only once the job has ended: a run that waited for the hold would never end.
      const ended = () => eventually(async () => (await store.get(message.job_id))?.status, (status) => status === 'succeeded', 5_000, 5).then(() => undefined);
      const { store: watched, order } = watchedStore(ended);
      await expect(runVaultJob(message, deps({ store: watched }))).resolves.toEqual({ status: 'succeeded', duplicate: false });
      expect(order).toEqual(['finish sent', 'hold sent', 'hold answered']);
      expect(await holderOf(message.job_id)).toBe(message.job_id);
    });

    it("publishes the job's events once the end is written, without waiting for the hold, and answers only once the hold is", async () => {
      const message = job();
      const published: string[] = [];
      // The hold is answered only once the events are out: a run whose events waited for the hold would never publish them.
      const eventsOut = () => eventually(async () => published.length, (n) => n > 0, 5_000, 5).then(() => undefined);
      const { store: watched, order } = watchedStore(eventsOut);
      const jobChanged = async (changed: JobRecord) => {
        published.push(changed.status);
        order.push('events published');
      };
      await expect(runVaultJob(message, deps({ store: watched, jobChanged }))).resolves.toEqual({ status: 'succeeded', duplicate: false });
      expect(order).toEqual(['finish sent', 'hold sent', 'events published', 'hold answered']);
      expect(published).toEqual(['succeeded']);
    });

    it.each([
      ['a customer shared through the merchant\'s reference', { customer: { name: 'Jane Doe', email: 'jane@example.com', merchant_reference_id: `shared-${randomUUID()}` } }],
      ['a charge', { charge: { amount: 100, currency: 'USD' } }],
      ['a verification', { verify: true }],
    ])('holds the card before the end for %s', async (_, body) => {
      const message = job(body);
      const { store: watched, order } = watchedStore();
      await expect(runVaultJob(message, deps({ store: watched }))).resolves.toMatchObject({ status: 'succeeded' });
      expect(order).toEqual(['hold sent', 'hold answered', 'finish sent']);
      expect(await holderOf(message.job_id)).toBe(message.job_id);
    });

    it('holds a named customer\'s card before the end', async () => {
      const customer = await hyperswitch.vault.createCustomer({ name: 'Jane Doe', email: 'jane@example.com' });
      const message = job({ customer: { customer_id: customer.id } });
      const { store: watched, order } = watchedStore();
      await expect(runVaultJob(message, deps({ store: watched }))).resolves.toMatchObject({ status: 'succeeded' });
      expect(order).toEqual(['hold sent', 'hold answered', 'finish sent']);
    });

    it('a hold that fails beside the end leaves the message to come back, and its redelivery holds the card', async () => {
      const message = job();
      let failures = 1;
      const { store: failing } = watchedStore(undefined, async (...args) => {
        if (failures-- > 0) throw new Error('injected: the hold\'s write failed');
        return store.holdPaymentMethod(...args);
      });
      await expect(runVaultJob(message, deps({ store: failing }))).rejects.toBeInstanceOf(RetryLaterError);
      expect(await store.get(message.job_id)).toMatchObject({ status: 'succeeded' });
      expect(await holderOf(message.job_id)).toBeUndefined();
      await expect(runVaultJob(message, deps())).resolves.toEqual({ status: 'succeeded', duplicate: true });
      expect(await holderOf(message.job_id)).toBe(message.job_id);
    });

    it('a hold refused beside the end (the job\'s customer named by another job saving the same card) is logged as an error; the job stays succeeded', async () => {
      const message = job();
      const log = recordingLog();
      const { store: refusing } = watchedStore(undefined, async () => false);
      await expect(runVaultJob(message, deps({ store: refusing, log }))).resolves.toEqual({ status: 'succeeded', duplicate: false });
      expect(log.entries).toContainEqual(expect.objectContaining({ level: 'error', message: 'The card the job saved is held by another job' }));
    });

    describe.each([
      ['a redelivery', {}],
      ['a first delivery', { first: true }],
    ])('a worker killed at any step boundary of %s', (_, delivery) => {
      // The end and the hold go out together: a crash before either leaves the other to land.
      const BOUNDARIES = ['before customers.create', 'after customers.create', 'before paymentMethods.create', 'after paymentMethods.create', 'before finish', 'before hold', 'after finish'];
      const points: string[] = [];
      beforeAll(async () => {
        await runVaultJob(job(), deps({ crashPoint: (point) => void points.push(point) }));
      });

      it('has boundaries before the end and before the hold, each sent without the other', () => {
        expect(points).toEqual(BOUNDARIES);
      });

      it.each(BOUNDARIES)('%s: the next runs end the job with one of everything, its card held by it', async (point) => {
        const message = job();
        await killedThenRedelivered(message, point, delivery, point === 'before hold' || point === 'after finish');
        const record = (await store.get(message.job_id))!;
        expect(inspect().customers_by_reference[customerReference(message.job_id)]).toBe(1);
        expect(inspect().payment_methods_by_customer[record.steps.customer.customer_id!]).toBe(1);
        expect(await holderOf(message.job_id)).toBe(message.job_id);
      });
    });
  });

  describe('one payment method per job, at scale (the named cases of the 10 000-job fault suite)', () => {
    const sharedCustomer = () => ({ name: 'Jane Doe', email: 'jane@example.com', merchant_reference_id: `shared-${randomUUID()}` });
    const openedCard = async (message: VaultJobMessage) => decryptJson(keys, (message as CardJobMessage).card, message.job_id) as SealedCard;
    const methodsOf = async (jobId: string) => {
      const customerId = (await store.get(jobId))!.steps.customer.customer_id!;
      return hyperswitch.simulator.objects().payment_methods.filter((method) => method.customer_id === customerId);
    };

    it('shared-card adoption: a card of the same customer saved before this job first tried is never adopted', async () => {
      const customer = await hyperswitch.vault.createCustomer({ name: 'Jane Doe', email: 'jane@example.com' });
      const mine = job({ customer: { customer_id: customer.id } });
      const card = (await openedCard(mine));
      const before = await hyperswitch.vault.createPaymentMethod(cardCreateRequest(customer.id, card));
      const later = deps({ clock: () => Date.now() + 3_000 });
      hyperswitch.simulator.faults.enqueue([{ kind: 'timeout', route: 'POST /v2/payment-methods' }]);
      await expect(runVaultJob(mine, later)).rejects.toBeInstanceOf(RetryLaterError);
      await expect(runVaultJob(mine, deps({ clock: () => Date.now() + 3_000 + 2_001 }))).resolves.toMatchObject({ status: 'succeeded' });
      const recorded = (await store.get(mine.job_id))!.steps.payment_method.payment_method_id!;
      expect(recorded).not.toBe(before.id);
      expect(await store.paymentMethodHolder(before.id)).toBeUndefined();
    });

    it('shared-card adoption: the same card saved meanwhile by another job of the customer is never adopted', async () => {
      const customer = sharedCustomer();
      const mine = job({ customer });
      const concurrent = job({ customer });
      // This job's attempt is lost (no answer, nothing saved) while the other job saves the same card.
      hyperswitch.simulator.faults.enqueue([{ kind: 'timeout', route: 'POST /v2/payment-methods' }]);
      await expect(runVaultJob(mine, deps())).rejects.toBeInstanceOf(RetryLaterError);
      await runVaultJob(concurrent, deps());
      const theirs = (await store.get(concurrent.job_id))!.steps.payment_method.payment_method_id!;
      await expect(runVaultJob(mine, pastSettle())).resolves.toMatchObject({ status: 'succeeded' });
      const recorded = (await store.get(mine.job_id))!.steps.payment_method.payment_method_id!;
      expect(recorded).not.toBe(theirs);
      expect(await store.paymentMethodHolder(recorded)).toBe(mine.job_id);
      expect(await store.paymentMethodHolder(theirs)).toBe(concurrent.job_id);
      expect((await methodsOf(mine.job_id)).map((method) => method.id).sort()).toEqual([theirs, recorded].sort());
    });

    it('payment look-up: a payment lost behind a page of the customer\'s other payments is still found, not made twice', async () => {
      const customer = sharedCustomer();
      const first = job({ customer });
      await runVaultJob(first, deps());
      const { customer_id: customerId, payment_method_id: methodId } = { ...(await store.get(first.job_id))!.steps.customer, ...(await store.get(first.job_id))!.steps.payment_method };
      const mine = job({ customer, charge: { amount: 990, currency: 'USD' } });
      // Its first charge attempt fails before acting; other jobs of the shared customer then charge
      // more than a page; its second attempt acts but the answer is lost.
      hyperswitch.simulator.faults.enqueue([{ kind: 'server_error', route: 'POST /v2/payments' }]);
      await expect(runVaultJob(mine, deps())).rejects.toBeInstanceOf(RetryLaterError);
      const charge = (n: number) => hyperswitch.payments.createAndConfirmPayment({
        amount_details: { order_amount: 100 + n, currency: 'USD' }, merchant_reference_id: `other_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
        customer_id: customerId!, payment_method_type: 'card', payment_method_id: methodId!, payment_method_data: { card_token: { card_holder_name: 'Jane Doe' } },
      });
      for (let n = 0; n < 110; n++) await charge(n);
      hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_fail', route: 'POST /v2/payments' }]);
      await expect(runVaultJob(mine, deps())).rejects.toBeInstanceOf(RetryLaterError);
      await expect(runVaultJob(mine, deps())).resolves.toMatchObject({ status: 'succeeded' });
      expect(inspect().payments_by_reference[paymentReference(mine.job_id)]).toBe(1);
      expect(inspect().requests['GET /v2/payments/list']?.total).toBeGreaterThanOrEqual(2);
    });

    it('a payment method is recorded by one job only', async () => {
      await expect(store.holdPaymentMethod('12345_pm_held', 'job-a')).resolves.toBe(true);
      await expect(store.holdPaymentMethod('12345_pm_held', 'job-a')).resolves.toBe(true);
      await expect(store.holdPaymentMethod('12345_pm_held', 'job-b')).resolves.toBe(false);
      await expect(store.paymentMethodHolder('12345_pm_held')).resolves.toBe('job-a');
    });

    it('late commit: Hyperswitch saves the card after the client gave up; no second card is created before it settles', async () => {
      hyperswitch.simulator.faults.configure({ lateCommitMs: 900 });
      hyperswitch.simulator.faults.enqueue([{ kind: 'late_commit', route: 'POST /v2/payment-methods' }]);
      const message = job();
      const settling = deps({ settleMs: 2_000 });
      await expect(runVaultJob(message, settling)).rejects.toBeInstanceOf(RetryLaterError);
      expect(inspect().payment_methods).toBe(0);
      // Redelivered at once: nothing to find yet, and the attempt may still commit, so nothing is sent.
      await expect(runVaultJob(message, settling)).rejects.toThrow(/may still be saved/);
      expect(inspect().requests['POST /v2/payment-methods']?.total).toBe(1);
      await eventually(async () => inspect().payment_methods, (count) => count === 1, 5_000);
      await expect(runVaultJob(message, settling)).resolves.toMatchObject({ status: 'succeeded' });
      expect(inspect().payment_methods).toBe(1);
      expect(inspect().requests['POST /v2/payment-methods']?.total).toBe(1);
    });

    it('reset after write: a card create whose socket was reset after the request went out is not resent blindly', async () => {
      hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_reset', route: 'POST /v2/payment-methods' }]);
      const message = job();
      await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
      expect(inspect().requests['POST /v2/payment-methods']?.total).toBe(1);
      await expect(runVaultJob(message, deps())).resolves.toMatchObject({ status: 'succeeded' });
      expect(inspect().payment_methods).toBe(1);
      expect(inspect().requests['POST /v2/payment-methods']?.total).toBe(1);
    });

    it('orphan reconciliation: a job that failed after its lost attempts saved a card and charged records both, flagged', async () => {
      const message = job({ charge: { amount: 1200, currency: 'USD' } });
      hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_timeout', route: 'POST /v2/payment-methods' }]);
      await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
      // As the dead-letter handler does once retries are exhausted: fail the job, then reconcile it.
      await store.failUnlessFinished(message.job_id, { code: 'retries_exhausted', message: 'x', retryable: false });
      const failed = (await store.get(message.job_id))!;
      expect(failed.steps.payment_method.payment_method_id).toBeUndefined();
      const found = await reconcileFailedJob(failed, { store, vault: hyperswitch.vault, payments: hyperswitch.payments, log: hyperswitch.log });
      const [saved] = hyperswitch.simulator.objects().payment_methods;
      expect(found).toEqual({ payment_method_id: saved!.id });
      expect(await store.get(message.job_id)).toMatchObject({
        status: 'failed',
        error: { code: 'retries_exhausted' },
        steps: { payment_method: { status: 'succeeded', payment_method_id: saved!.id, recovered_after_failure: true } },
      });
      // Reconciling again changes nothing; a job with nothing lost finds nothing.
      await expect(reconcileFailedJob((await store.get(message.job_id))!, { store, vault: hyperswitch.vault, payments: hyperswitch.payments, log: hyperswitch.log })).resolves.toEqual({});
    });

    it('orphan reconciliation: a run killed after saving the card, before it wrote anything, leaves no card behind once the job is dead-lettered', async () => {
      const message = job();
      const killAfterCard = (point: string) => {
        if (point === 'after paymentMethods.create') throw new SimulatedCrash(point);
      };
      await expect(runVaultJob(message, deps({ crashPoint: killAfterCard }))).rejects.toBeInstanceOf(SimulatedCrash);
      await store.failUnlessFinished(message.job_id, { code: 'retries_exhausted', message: 'x', retryable: false });
      const failed = (await store.get(message.job_id))!;
      // Results ride on the next write: the customer and the card are on no record.
      expect(failed.steps.customer.customer_id).toBeUndefined();
      const customer = hyperswitch.simulator.objects().customers.find((c) => c.merchant_reference_id === customerReference(message.job_id))!;
      const [saved] = hyperswitch.simulator.objects().payment_methods.filter((method) => method.customer_id === customer.id);
      const found = await reconcileFailedJob(failed, { store, vault: hyperswitch.vault, payments: hyperswitch.payments, log: hyperswitch.log }, message.customer);
      expect(found).toEqual({ payment_method_id: saved!.id });
      expect((await store.get(message.job_id))!.steps.payment_method).toMatchObject({ payment_method_id: saved!.id, recovered_after_failure: true });
    });

    it('orphan reconciliation: a payment made by an attempt whose answer was lost is recorded on the failed job', async () => {
      const message = job({ charge: { amount: 1300, currency: 'USD' } });
      hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_fail', route: 'POST /v2/payments' }]);
      await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
      await store.failUnlessFinished(message.job_id, { code: 'retries_exhausted', message: 'x', retryable: false });
      const found = await reconcileFailedJob((await store.get(message.job_id))!, { store, vault: hyperswitch.vault, payments: hyperswitch.payments, log: hyperswitch.log });
      expect(found.payment_id).toMatch(/_pay_/);
      expect((await store.get(message.job_id))!.steps.payment).toMatchObject({ status: 'succeeded', payment_id: found.payment_id, recovered_after_failure: true });
    });
  });

  describe.each([
    ['a redelivery', {}],
    ['a first delivery (its customer asked ahead of the claim)', { first: true }],
  ])('a worker killed at any step boundary of %s', (_, delivery) => {
    // Every boundary of a vault + charge job, in order: the claim carries the card's intent, the
    // charge's intent carries the customer and the card, the end carries the charge.
    const BOUNDARIES = [
      'before customers.create', 'after customers.create', 'before paymentMethods.create', 'after paymentMethods.create',
      'before checkpoint customer+payment_method+payment', 'after checkpoint customer+payment_method+payment',
      'before payments.createAndConfirm', 'after payments.createAndConfirm', 'before finish', 'after finish',
    ];
    const points: string[] = [];
    beforeAll(async () => {
      await runVaultJob(job({ charge: { amount: 100, currency: 'USD' } }), deps({ crashPoint: (point) => void points.push(point) }));
    });

    it('has boundaries before and after every Hyperswitch call and every write after the claim', () => {
      expect(points).toEqual(BOUNDARIES);
    });

    it.each([...new Set(BOUNDARIES)])('%s: the next run, once the lease expires, finishes with one of everything', async (point) => {
      const message = job({ charge: { amount: 100, currency: 'USD' } });
      await killedThenRedelivered(message, point, delivery, point === 'after finish');
      const record = await store.get(message.job_id);
      const customerId = record!.steps.customer.customer_id!;
      const state = inspect();
      expect(state.customers_by_reference[customerReference(message.job_id)]).toBe(1);
      expect(state.payment_methods_by_customer[customerId]).toBe(1);
      expect(state.payments_by_reference[paymentReference(message.job_id)]).toBe(1);
    });
  });

  it('opens envelopes sealed with a key rotated in after its keys were cached, by reading the keys once more', async () => {
    const rotated: DataKeys = { ...keys, current_key_id: 'k2', keys: { ...keys.keys, k2: randomBytes(32).toString('base64') } };
    const request = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse(validCheckout());
    const before = sealVaultJob(`job-${randomUUID()}`, request, keys).message;
    const after = sealVaultJob(`job-${randomUUID()}`, request, rotated).message;
    let cached = keys;
    let refreshes = 0;
    const rotating = deps({ dataKeys: async () => cached, refreshDataKeys: () => ((cached = rotated), (refreshes += 1)) });
    await expect(runVaultJob(before, rotating)).resolves.toMatchObject({ status: 'succeeded' });
    await expect(runVaultJob(after, rotating)).resolves.toMatchObject({ status: 'succeeded' });
    expect(refreshes).toBe(1);
    const unknown = { ...sealVaultJob(`job-${randomUUID()}`, request, rotated).message };
    unknown.card = { ...unknown.card, kid: 'k9' };
    await expect(runVaultJob(unknown, rotating)).resolves.toMatchObject({ status: 'failed' });
    expect((await store.get(unknown.job_id))?.error?.code).toBe('unknown_key_id');
  });

  it('never stores the card number or the CVC', async () => {
    const message = job({ charge: { amount: 100, currency: 'USD' } });
    await runVaultJob(message, deps());
    const stored = JSON.stringify(await store.get(message.job_id));
    expect(stored).not.toMatch(/4242424242424242|"cvc"|"123"/);
  });
});
