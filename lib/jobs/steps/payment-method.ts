import type { PaymentMethod, PaymentMethodCreateRequest } from '../../hyperswitch/schemas';
import { findAttemptedCard } from '../attempts';
import { RetryLaterError, type PipelineDeps, type StepRun } from '../run-context';
import type { CardJobMessage, JobSteps, SealedCard, TokenStatus, VaultJobMessage } from '../schemas';

/** Hyperswitch's payment-method create for a sealed card, with network tokenization when asked. */
export function cardCreateRequest(customerId: string, card: SealedCard, networkToken = false): PaymentMethodCreateRequest {
  return {
    payment_method_type: 'card',
    customer_id: customerId,
    storage_type: 'persistent',
    payment_method_data: {
      card: {
        card_number: card.number,
        card_exp_month: String(card.exp_month).padStart(2, '0'),
        card_exp_year: String(card.exp_year),
        card_holder_name: card.holder_name,
        card_issuing_country: card.issuing_country,
        card_cvc: card.cvc,
        ...(card.nick_name ? { nick_name: card.nick_name } : {}),
      },
    },
    ...(networkToken ? { network_tokenization: { enable: 'Enable' as const } } : {}),
  };
}

function tokenStatus(requested: boolean, present: boolean): TokenStatus {
  if (!requested) return 'not_requested';
  return present ? 'active' : 'unavailable';
}

/**
 * Whether the job's card is held beside its end rather than before it: a job that only saves a card
 * (no charge, no verification: the end is its next write) for a customer of its own (created under
 * the reference derived from its id). Only this job's runs save cards for that customer, so only
 * they look among its cards for one an attempt saved, and the hold is not refused (unless a merchant
 * names that customer in another job saving the same card, which is logged); a run that
 * stops between the end and the hold fails its invocation, and the redelivery that finds the job
 * ended holds the card (`holdRecordedCard`). A customer the job names, or shares through the
 * merchant's reference, has other jobs' cards: there the hold comes first (docs/DESIGN.md §10).
 */
export function cardHeldWithEnd(message: VaultJobMessage): boolean {
  return 'card' in message && !message.charge && !message.verify && !('customer_id' in message.customer) && !message.customer.merchant_reference_id;
}

/**
 * For a job whose card is held beside its end: holds the card its record names for it, if any. A
 * write that fails leaves the message to come back and hold it.
 */
export async function holdRecordedCard(deps: Pick<PipelineDeps, 'store' | 'log' | 'crashPoint'>, message: VaultJobMessage, steps: JobSteps): Promise<void> {
  if (cardHeldWithEnd(message)) await holdSavedCard(deps, message.job_id, steps);
}

/**
 * Holds for the job the card its steps record as saved, if any (a no-op where the job holds it). A
 * write that fails is a `RetryLaterError`: the message comes back to hold it.
 */
export async function holdSavedCard(deps: Pick<PipelineDeps, 'store' | 'log' | 'crashPoint'>, jobId: string, steps: JobSteps): Promise<void> {
  const saved = steps.payment_method;
  if (saved.status !== 'succeeded' || !saved.payment_method_id) return;
  deps.crashPoint?.('before hold');
  let held: boolean;
  try {
    held = await deps.store.holdPaymentMethod(saved.payment_method_id, jobId);
  } catch (error) {
    throw new RetryLaterError(`Job ${jobId}: its card could not be held; the next delivery holds it`, error);
  }
  // Only a merchant that named this job's customer in another job, saving the same card, could get here.
  if (!held) deps.log.error('The card the job saved is held by another job', { jobId, paymentMethodId: saved.payment_method_id });
}

/**
 * Step 2: save the card. Hyperswitch gives payment methods no merchant reference, so a create is
 * never repeated blindly: before each create the record holds its intent, `attempted_at` (and, the
 * first time, `first_attempted_at`); a run that finds an earlier one looks for the card that attempt
 * saved, and sends a new create only when none exists and Hyperswitch has had the settle time to
 * finish a late commit. The card is then held for this job in the job table (one payment method,
 * one job) before it is recorded — or beside the job's end (`cardHeldWithEnd`): a card another job
 * holds is never this job's.
 */
export async function paymentMethodStep(run: StepRun, customerId: string, card: SealedCard): Promise<string> {
  const step = run.steps.payment_method;
  if (step.status === 'succeeded' && step.payment_method_id) return step.payment_method_id;
  const { vault, store, settleMs, intentFreshMs } = run.deps;
  const { tokenization } = run.message as CardJobMessage;
  let method: PaymentMethod | undefined;
  const earlier = run.earlierAttempt('payment_method');
  if (earlier) {
    const facts = { last4: card.number.slice(-4), bin: card.number.slice(0, 8), exp_month: card.exp_month, exp_year: card.exp_year };
    method = await findAttemptedCard({ jobId: run.jobId, vault, store, call: run.call }, customerId, facts, earlier.first_attempted_at);
    // The earlier create went out up to intentFreshMs after its intent, and may commit up to settleMs after that.
    const sinceAttempt = run.now() - Date.parse(earlier.attempted_at);
    if (!method && sinceAttempt < settleMs + intentFreshMs) {
      throw new RetryLaterError(`Job ${run.jobId}: an earlier attempt's card may still be saved by Hyperswitch; looking again on the next delivery`);
    }
  }
  if (!method) {
    await run.intend('payment_method');
    method = await run.call('paymentMethods.create', () => vault.createPaymentMethod(cardCreateRequest(customerId, card, tokenization.network)));
  }
  if (!cardHeldWithEnd(run.message) && !(await store.holdPaymentMethod(method.id, run.jobId))) {
    // Another job took this card as its own (two jobs of one customer saving the same card at once):
    // the next delivery looks for this job's card among those no job holds.
    throw new RetryLaterError(`Job ${run.jobId}: payment method ${method.id} is held by another job`);
  }
  run.record('payment_method', {
    status: 'succeeded',
    payment_method_id: method.id,
    psp_token: tokenStatus(tokenization.psp, (method.connector_tokens?.length ?? 0) > 0),
    network_token: tokenStatus(tokenization.network, Boolean(method.network_token)),
  });
  return method.id;
}
