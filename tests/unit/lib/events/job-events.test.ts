import { jobEvents } from '../../../../lib/events';
import { newJobRecord, type JobRecord } from '../../../../lib/jobs';

const card = { brand: 'Visa' as const, last4: '4242', exp_month: 12, exp_year: 2030 };
const base = () => newJobRecord({ jobId: 'job_0123456789abcdef0123456789abcdef', source: 'checkout', card, charge: { amount: 1999, currency: 'EUR' } });

function charged(change: (job: JobRecord) => void = () => undefined): JobRecord {
  const job = base();
  job.status = 'succeeded';
  job.steps.customer = { status: 'succeeded', customer_id: '12345_cus_0123456789abcdef0123456789abcdef' };
  job.steps.payment_method = { status: 'succeeded', payment_method_id: '12345_pm_0123456789abcdef0123456789abcdef', psp_token: 'not_requested', network_token: 'not_requested' };
  job.steps.payment = { status: 'succeeded', payment_id: '12345_pay_0123456789abcdef0123456789abcdef', payment_status: 'succeeded' };
  change(job);
  return job;
}

describe('the events a job implies', () => {
  it('a charged checkout: the card saved, the payment, the job', () => {
    const events = jobEvents(charged(), '2026-11-27T10:00:00.000Z');
    expect(events.map(({ type }) => type)).toEqual(['payment_method.saved', 'payment.succeeded', 'job.succeeded']);
    expect(events.find(({ type }) => type === 'payment.succeeded')!.data).toMatchObject({ amount: 1999, currency: 'EUR', payment_status: 'succeeded' });
    expect(events.find(({ type }) => type === 'job.succeeded')!.data).toMatchObject({ status: 'succeeded', card });
  });

  it('gives a change the same id whenever it is seen, and different changes different ids', () => {
    const first = jobEvents(charged(), '2026-11-27T10:00:00.000Z').map(({ id }) => id);
    const again = jobEvents(charged(), '2026-11-27T11:30:00.000Z').map(({ id }) => id);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(3);
    const other = jobEvents(charged((job) => (job.job_id = 'job_fedcba9876543210fedcba9876543210')), '2026-11-27T10:00:00.000Z');
    expect(other.find(({ type }) => type === 'job.succeeded')!.id).not.toBe(first[2]);
  });

  it('a declined charge: the card saved, the payment failed with its reason, the job failed', () => {
    const declined = charged((job) => {
      job.status = 'failed';
      job.error = { code: 'card_declined', message: 'declined', retryable: false, decline_message: 'Your card was declined. Try another card.' };
      job.steps.payment = { status: 'failed', payment_id: '12345_pay_0123456789abcdef0123456789abcdef', payment_status: 'failed' };
    });
    const events = jobEvents(declined, '2026-11-27T10:00:00.000Z');
    expect(events.map(({ type }) => type)).toEqual(['payment_method.saved', 'payment.failed', 'job.failed']);
    expect(events[1]!.data).toMatchObject({ error: { code: 'card_declined' } });
  });

  it('no payment event while the payment is processing; its settlement is told once known', () => {
    const processing = charged((job) => (job.steps.payment.payment_status = 'processing'));
    expect(jobEvents(processing, '2026-11-27T10:00:00.000Z').map(({ type }) => type)).toEqual(['payment_method.saved', 'job.succeeded']);
    const settledFailed = charged((job) => (job.steps.payment.payment_status = 'failed'));
    const events = jobEvents(settledFailed, '2026-11-27T10:00:00.000Z');
    expect(events.map(({ type }) => type)).toEqual(['payment_method.saved', 'payment.failed', 'job.succeeded']);
    expect(events[1]!.data).toMatchObject({ payment_status: 'failed', error: { code: 'payment_failed' } });
  });

  it('nothing for a job still running; job.requires_action while it waits for the shopper', () => {
    expect(jobEvents(base(), '2026-11-27T10:00:00.000Z')).toEqual([]);
    const waiting = charged((job) => {
      job.status = 'requires_action';
      job.steps.payment = { status: 'requires_action', payment_id: '12345_pay_0123456789abcdef0123456789abcdef' };
      job.next_action = { type: 'redirect_to_url', url: 'https://issuer.example/3ds' };
    });
    expect(jobEvents(waiting, '2026-11-27T10:00:00.000Z').map(({ type }) => type)).toEqual(['payment_method.saved', 'job.requires_action']);
  });

  it('no payment_method.saved for a charge of a card saved before', () => {
    const later = charged((job) => (job.steps.payment_method = { status: 'skipped', payment_method_id: '12345_pm_0123456789abcdef0123456789abcdef', psp_token: 'not_requested', network_token: 'not_requested' }));
    delete later.card;
    expect(jobEvents(later, '2026-11-27T10:00:00.000Z').map(({ type }) => type)).toEqual(['payment.succeeded', 'job.succeeded']);
  });
});
