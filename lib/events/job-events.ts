/**
 * The events a job's record implies, as it stands: derived, not remembered. Whoever sees a job change
 * (the worker, the dead-letter handler, a poll or a webhook that resolves 3-D Secure) publishes what
 * the record implies; the ids make a second publication of the same change a no-op.
 */
import { jobView, type JobRecord } from '../jobs';
import { eventId, type MerchantEvent } from './schemas';

export function jobEvents(job: JobRecord, now: string): MerchantEvent[] {
  const events: MerchantEvent[] = [];
  const event = (type: MerchantEvent['type'], subject: string, data: Record<string, unknown>, occurrence?: string) => events.push({ id: eventId(type, subject, occurrence), type, created_at: now, data });
  const customerId = job.steps.customer.customer_id;

  const method = job.steps.payment_method;
  // A card this job saved (not a saved one it charged): also when a lost attempt saved it and the job failed.
  if (job.card && method.payment_method_id && (method.status === 'succeeded' || method.recovered_after_failure)) {
    event('payment_method.saved', method.payment_method_id, {
      payment_method_id: method.payment_method_id,
      customer_id: customerId,
      card: job.card,
      psp_token: method.psp_token,
      network_token: method.network_token,
      job_id: job.job_id,
    });
  }

  // A payment's outcome once it is known: while `processing` it has none yet; a processing payment
  // that settled later is told then (a Hyperswitch webhook records its status).
  const payment = job.steps.payment;
  const settled = payment.payment_status !== 'processing';
  const paid = (payment.status === 'succeeded' && payment.payment_status !== 'failed') || payment.recovered_after_failure === true;
  const refused = payment.status === 'failed' || payment.payment_status === 'failed';
  if (payment.payment_id && settled && (paid || refused)) {
    event(paid ? 'payment.succeeded' : 'payment.failed', payment.payment_id, {
      payment_id: payment.payment_id,
      payment_status: payment.payment_status,
      amount: job.charge?.amount,
      currency: job.charge?.currency,
      customer_id: customerId,
      payment_method_id: method.payment_method_id,
      job_id: job.job_id,
      ...(paid ? {} : { error: job.error ?? { code: 'payment_failed', message: 'The payment failed after it was accepted for processing', retryable: false } }),
    });
  }

  if (job.status === 'requires_action') {
    const waiting = job.steps.verification?.status === 'requires_action' ? job.steps.verification : payment;
    event('job.requires_action', job.job_id, jobView(job), waiting.payment_id);
  }
  if (job.status === 'succeeded' || job.status === 'failed') event(`job.${job.status}`, job.job_id, jobView(job));
  return events;
}
