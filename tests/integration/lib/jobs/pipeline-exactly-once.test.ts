/**
 * One of everything per job (DESIGN.md §10): the named cases of the 10 000-job fault suite, and a
 * worker killed at every step boundary of a vault + charge job.
 */
import { randomUUID } from 'node:crypto';
import { decryptJson } from '../../../../lib/crypto';
import { customerReference, paymentReference, reconcileFailedJob, RetryLaterError, runVaultJob, settleDeadLetteredJob, SimulatedCrash, type CardJobMessage, type SealedCard, type VaultJobMessage } from '../../../../lib/jobs';
import { cardCreateRequest } from '../../../../lib/jobs/steps/payment-method';
import { eventually } from '../../../../local/stack-process';
import { deps, hyperswitch, inspect, job, keys, killedThenRedelivered, pastSettle, store, usePipelineStack } from '../../../helpers/pipeline';

usePipelineStack();

describe('runVaultJob', () => {
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
      expect((await store.get(message.job_id))!.steps.payment_method.payment_method_id).toBeUndefined();
      // Retries exhausted, the dead-letter handler's: fail the job, then reconcile it.
      const settled = await settleDeadLetteredJob(message.job_id, deps());
      const [saved] = hyperswitch.simulator.objects().payment_methods;
      expect(settled).toEqual(await store.get(message.job_id));
      expect(settled).toMatchObject({
        status: 'failed',
        error: { code: 'retries_exhausted' },
        steps: { payment_method: { status: 'succeeded', payment_method_id: saved!.id, recovered_after_failure: true } },
      });
      // Reconciling again changes nothing; a job with nothing lost finds nothing.
      await expect(reconcileFailedJob((await store.get(message.job_id))!, deps())).resolves.toEqual({});
    });

    it('orphan reconciliation: a run killed after saving the card, before it wrote anything, leaves no card behind once the job is dead-lettered', async () => {
      const message = job();
      const killAfterCard = (point: string) => {
        if (point === 'after paymentMethods.create') throw new SimulatedCrash(point);
      };
      await expect(runVaultJob(message, deps({ crashPoint: killAfterCard }))).rejects.toBeInstanceOf(SimulatedCrash);
      // Results ride on the next write: the customer and the card are on no record.
      expect((await store.get(message.job_id))!.steps.customer.customer_id).toBeUndefined();
      const settled = await settleDeadLetteredJob(message.job_id, deps(), { customer: message.customer });
      const customer = hyperswitch.simulator.objects().customers.find((c) => c.merchant_reference_id === customerReference(message.job_id))!;
      const [saved] = hyperswitch.simulator.objects().payment_methods.filter((method) => method.customer_id === customer.id);
      expect(settled).toMatchObject({ status: 'failed', steps: { payment_method: { payment_method_id: saved!.id, recovered_after_failure: true } } });
      expect(await store.paymentMethodHolder(saved!.id)).toBe(message.job_id);
    });

    it('orphan reconciliation: a payment made by an attempt whose answer was lost is recorded on the failed job', async () => {
      const message = job({ charge: { amount: 1300, currency: 'USD' } });
      hyperswitch.simulator.faults.enqueue([{ kind: 'act_then_fail', route: 'POST /v2/payments' }]);
      await expect(runVaultJob(message, deps())).rejects.toBeInstanceOf(RetryLaterError);
      const settled = await settleDeadLetteredJob(message.job_id, deps());
      expect(settled).toMatchObject({ status: 'failed', steps: { payment: { status: 'succeeded', payment_id: expect.stringMatching(/_pay_/), recovered_after_failure: true } } });
      expect(settled).toEqual(await store.get(message.job_id));
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
});
