import * as z from 'zod';
import { JOB_STATUSES, type JobRecord, type PaymentStep } from './schemas';

const stepStatus = z.enum(['pending', 'requires_action', 'succeeded', 'skipped', 'failed', 'not_requested']);
const tokenStatus = z.enum(['pending', 'active', 'unavailable', 'not_requested']);

const paymentStepView = z.object({
  status: stepStatus,
  payment_id: z.string().optional(),
  payment_status: z.string().optional(),
  recovered_after_failure: z.boolean().optional().describe('The job failed, and an attempt whose answer was lost had made this payment'),
});

/** `GET /jobs/{job_id}`: the job as its owner may see it — no lease, no hash, no TTL. */
export const jobViewSchema = z.object({
  job_id: z.string(),
  status: z.enum(JOB_STATUSES),
  created_at: z.string(),
  updated_at: z.string(),
  card: z.object({ brand: z.string(), last4: z.string(), exp_month: z.number().int(), exp_year: z.number().int() }).nullable(),
  charge: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
  steps: z.object({
    customer: z.object({ status: stepStatus, customer_id: z.string().optional() }),
    payment_method: z.object({
      status: stepStatus,
      payment_method_id: z.string().optional(),
      psp_token: tokenStatus,
      network_token: tokenStatus,
      recovered_after_failure: z.boolean().optional().describe('The job failed, and an attempt whose answer was lost had saved this card: it is saved'),
    }),
    payment: paymentStepView,
    verification: paymentStepView.describe('The zero-amount setup payment of verify: true'),
  }),
  next_action: z
    .object({ type: z.literal('redirect_to_url'), url: z.string() })
    .nullable()
    .describe('While requires_action: send the shopper here to authenticate (3-D Secure); the job then ends succeeded or failed'),
  action_expires_at: z.string().nullable().describe('While requires_action: the job ends failed (authentication_expired) if the shopper has not authenticated by then'),
  /** `verify: true` only: whether the issuer accepted the zero-amount setup payment (null: not asked, or not yet known). */
  verified: z.boolean().nullable(),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      retryable: z.boolean(),
      decline_message: z.string().optional().describe('For a declined payment: a message safe to show the shopper'),
    })
    .nullable(),
  attempts: z.number().int(),
});
export type JobView = z.infer<typeof jobViewSchema>;

/** The attempt times are the worker's bookkeeping, not part of the contract. */
function withoutAttempt<T extends { attempted_at?: string; first_attempted_at?: string }>(step: T): Omit<T, 'attempted_at' | 'first_attempted_at'> {
  const { attempted_at, first_attempted_at, ...rest } = step;
  return rest;
}

function verifiedOf(job: JobRecord): boolean | null {
  const status = job.steps.verification?.status;
  if (status === 'succeeded') return true;
  if (status === 'failed') return false;
  return null;
}

export function jobView(job: JobRecord): JobView {
  return {
    job_id: job.job_id,
    status: job.status,
    created_at: job.created_at,
    updated_at: job.updated_at,
    card: job.card ?? null,
    charge: job.charge ?? null,
    steps: {
      customer: job.steps.customer,
      payment_method: withoutAttempt(job.steps.payment_method),
      payment: withoutAttempt(job.steps.payment),
      verification: withoutAttempt<PaymentStep>(job.steps.verification ?? { status: 'not_requested' }),
    },
    next_action: job.status === 'requires_action' ? (job.next_action ?? null) : null,
    action_expires_at: job.status === 'requires_action' ? (job.action_expires_at ?? null) : null,
    verified: verifiedOf(job),
    error: job.error ?? null,
    attempts: job.attempts,
  };
}
