import type { MaskedCard } from '../card';
import type { JobRecord, JobSteps } from './schemas';

/** Job records expire (DynamoDB TTL) after this long: they hold ids and a masked card only. */
export const JOB_RECORD_TTL_DAYS = 30;

export interface NewJob {
  jobId: string;
  source: JobRecord['source'];
  card?: MaskedCard;
  charge?: { amount: number; currency: string };
  /** True when the job names an existing Hyperswitch customer: that step is skipped. */
  existingCustomer?: boolean;
  tokenization?: { psp: boolean; network: boolean };
  /** The payment method saved earlier that the job charges: nothing is vaulted. */
  savedPaymentMethodId?: string;
  /** `verify: true`: a zero-amount setup payment follows the vaulting. */
  verify?: boolean;
  now?: Date;
}

export function newJobRecord({ jobId, source, card, charge, existingCustomer = false, tokenization, savedPaymentMethodId, verify = false, now = new Date() }: NewJob): JobRecord {
  const at = now.toISOString();
  return {
    job_id: jobId,
    status: 'queued',
    source,
    created_at: at,
    updated_at: at,
    expires_at: Math.floor(now.getTime() / 1000) + JOB_RECORD_TTL_DAYS * 86_400,
    ...(card ? { card } : {}),
    ...(charge ? { charge } : {}),
    steps: {
      customer: { status: existingCustomer ? 'skipped' : 'pending' },
      payment_method: {
        status: savedPaymentMethodId ? 'skipped' : 'pending',
        ...(savedPaymentMethodId ? { payment_method_id: savedPaymentMethodId } : {}),
        psp_token: tokenization?.psp ? 'pending' : 'not_requested',
        network_token: tokenization?.network ? 'pending' : 'not_requested',
      },
      payment: { status: charge ? 'pending' : 'not_requested' },
      verification: { status: verify ? 'pending' : 'not_requested' },
    },
    attempts: 0,
  };
}

/** The steps whose create is not repeated blindly: an intent (`attempted_at`) is recorded before each is sent. */
export type IntentStep = 'payment_method' | 'payment' | 'verification';
export const INTENT_STEPS: readonly IntentStep[] = ['payment_method', 'payment', 'verification'];

/**
 * The steps with an intent recorded on `step` at `at`: `attempted_at` now, `first_attempted_at`
 * kept from an earlier attempt if there was one. Before a create that must not be repeated blindly.
 */
export function withIntent(steps: JobSteps, step: IntentStep, at: string): JobSteps {
  const current = steps[step] ?? { status: 'pending' as const };
  return { ...steps, [step]: { ...current, attempted_at: at, first_attempted_at: current.first_attempted_at ?? at } };
}
