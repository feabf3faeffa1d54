/**
 * A job's run through the vault pipeline (lib/jobs/pipeline.ts, run.ts): its steps in order, what it
 * records, how it resumes after a failure or a crash, and the card's envelope.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { encryptJson, type DataKeys } from '../../../../lib/crypto';
import { DEFAULT_MAX_CHARGE_AMOUNT, newJobRecord, RetryLaterError, runVaultJob, SimulatedCrash, sealVaultJob, vaultRequestSchema } from '../../../../lib/jobs';
import { validCheckout } from '../../../fixtures/checkouts';
import { capturedMetrics } from '../../../helpers/metrics';
import { crashingStore, deps, hyperswitch, inspect, job, keys, killedAt, pastSettle, store, usePipelineStack } from '../../../helpers/pipeline';

usePipelineStack();

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
    await expect(runVaultJob(message, deps({ crashPoint: killedAt('before finish'), clock: () => start }))).rejects.toBeInstanceOf(SimulatedCrash);
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
    ['deliveries of a job with no record yet', {}, false],
    ['first deliveries of a job with no record yet (a merchant\'s; its customer asked ahead)', { first: true }, false],
    ['first deliveries of a job the intake recorded (its customer asked ahead)', { first: true }, true],
  ])('lets only one of two concurrent %s run the job', async (_, delivery, recorded) => {
    const message = job({ charge: { amount: 100, currency: 'USD' } });
    if (recorded) await store.create(newJobRecord({ jobId: message.job_id, source: 'checkout', charge: { amount: 100, currency: 'USD' } }));
    hyperswitch.simulator.faults.configure({ latencyMs: 30 });
    const results = await Promise.allSettled([runVaultJob(message, deps(), delivery), runVaultJob(message, deps(), delivery)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(RetryLaterError);
    expect(inspect()).toMatchObject({ customers: 1, payment_methods: 1, payments: 1 });
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
