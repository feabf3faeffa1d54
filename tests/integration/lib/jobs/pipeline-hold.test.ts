/**
 * The card's hold (lib/jobs/steps/payment-method.ts): one job per payment method, its write beside
 * the job's end or before it, and what a crash at each boundary leaves.
 */
import { randomUUID } from 'node:crypto';
import { customerReference, RetryLaterError, runVaultJob, settleDeadLetteredJob, type JobRecord, type JobStore } from '../../../../lib/jobs';
import { eventually } from '../../../../local/stack-process';
import { recordingLog } from '../../../helpers/log';
import { chargeOf, deps, hyperswitch, inspect, job, killedThenRedelivered, store, storeWith, usePipelineStack } from '../../../helpers/pipeline';

usePipelineStack();

describe('runVaultJob', () => {
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

    describe('the dead-letter handler', () => {
      it('holds the card of a job whose last delivery the queue allowed ended it and failed to hold the card (no redelivery is left to)', async () => {
        const message = job();
        const { store: failing } = watchedStore(undefined, async () => {
          throw new Error('injected: the hold\'s write failed');
        });
        await expect(runVaultJob(message, deps({ store: failing }))).rejects.toBeInstanceOf(RetryLaterError);
        expect(await holderOf(message.job_id)).toBeUndefined();
        // SQS moves the message to the DLQ instead of giving it back to the worker.
        await expect(settleDeadLetteredJob(message.job_id, deps())).resolves.toMatchObject({ status: 'succeeded' });
        expect(await holderOf(message.job_id)).toBe(message.job_id);
      });

      it('leaves the card a succeeded job charged, not saved, to the job that saved it', async () => {
        const saved = job({ charge: { amount: 100, currency: 'EUR' } });
        await runVaultJob(saved, deps());
        const mit = await chargeOf(saved);
        await expect(runVaultJob(mit, deps())).resolves.toMatchObject({ status: 'succeeded' });
        const log = recordingLog();
        await expect(settleDeadLetteredJob(mit.job_id, deps({ log }))).resolves.toMatchObject({ status: 'succeeded' });
        expect(await store.paymentMethodHolder((await store.get(saved.job_id))!.steps.payment_method.payment_method_id!)).toBe(saved.job_id);
        expect(log.entries.filter((entry) => entry.level === 'error')).toEqual([]);
      });
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
});
