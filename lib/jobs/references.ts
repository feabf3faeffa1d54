import { createHash } from 'node:crypto';

/**
 * Hyperswitch has no idempotency header: `merchant_reference_id` is the natural key, and a repeat
 * answers `HE_01`. Deriving the references from the job id makes every retry of a job present the
 * same key, so a customer or payment is never created twice for one job.
 */
function digest(jobId: string, purpose: string): string {
  return createHash('sha256').update(`${purpose}:${jobId}`).digest('hex');
}

/** ≤ 64 characters, as CustomerRequest.merchant_reference_id allows. */
export function customerReference(jobId: string): string {
  return `s2sv_cus_${digest(jobId, 'customer').slice(0, 40)}`;
}

/** The reference a job's new customer is made under: the merchant's own, else one derived from the job id. */
export function jobCustomerReference(jobId: string, merchantReference: string | undefined): string {
  return merchantReference ?? customerReference(jobId);
}

/** Exactly 30 characters, as PaymentsRequest.merchant_reference_id requires. */
export function paymentReference(jobId: string): string {
  return `s2sv_pay_${digest(jobId, 'payment').slice(0, 21)}`;
}

/** The zero-amount verification's payment reference: like a charge's, exactly 30 characters. */
export function verificationReference(jobId: string): string {
  return `s2sv_ver_${digest(jobId, 'verification').slice(0, 21)}`;
}

/**
 * The payment metadata key that names the job a payment belongs to: a Hyperswitch webhook about a
 * payment is traced back to its job through the payment as Hyperswitch returns it.
 */
export const JOB_ID_METADATA_KEY = 's2s_vault_job_id';
