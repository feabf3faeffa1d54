/**
 * Charges that need more than one run (lib/jobs/action.ts, steps/charge.ts): 3-D Secure, where the job
 * waits for the shopper, and merchant-initiated charges of a saved card.
 */
import { resolveAwaitingAction, RetryLaterError, runVaultJob, settleDeadLetteredJob } from '../../../../lib/jobs';
import { validCheckout } from '../../../fixtures/checkouts';
import { chargeOf, deps, hyperswitch, inspect, job, store, usePipelineStack } from '../../../helpers/pipeline';

usePipelineStack();

describe('runVaultJob', () => {
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
    describe('its message back at the end of the wait on the last receive the queue allows, so in the dead-letter handler', () => {
      const parkedJob = async () => {
        const message = threeDs();
        await runVaultJob(message, deps());
        return (await store.get(message.job_id))!;
      };

      it('ends the job authentication_expired when the shopper did not authenticate', async () => {
        const parked = await parkedJob();
        const settled = await settleDeadLetteredJob(parked.job_id, deps({ clock: () => Date.parse(parked.action_expires_at!) + 1_000 }));
        expect(settled).toMatchObject({ status: 'failed', error: { code: 'authentication_expired' } });
        expect(await store.get(parked.job_id)).toEqual(settled);
        expect(inspect().payments).toBe(1);
      });

      it("ends the job succeeded when the shopper approved, with no second payment", async () => {
        const parked = await parkedJob();
        expect(hyperswitch.simulator.completeChallengeForTests(parked.steps.payment.payment_id!, true)).toBe(true);
        await expect(settleDeadLetteredJob(parked.job_id, deps())).resolves.toMatchObject({ status: 'succeeded', steps: { payment: { status: 'succeeded' } } });
        expect(inspect().payments).toBe(1);
      });

      it('leaves a wait that is not over to the dead letter coming back', async () => {
        const parked = await parkedJob();
        await expect(settleDeadLetteredJob(parked.job_id, deps())).rejects.toBeInstanceOf(RetryLaterError);
        expect((await store.get(parked.job_id))?.status).toBe('requires_action');
      });
    });
  });

  describe('merchant-initiated charges', () => {
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
});
