/**
 * The vault pipeline: one job, its steps strictly in order — customer, payment method, and the charge
 * when the job carries one — each result checkpointed in the job record before the next step starts,
 * so a redelivered job resumes where the last run stopped.
 */
import { randomUUID } from 'node:crypto';
import { fullExpiryYear, maskCard, redactPans } from '../card';
import { CardDecryptionError, decryptJson, type DataKeys } from '../crypto';
import { S2SVaultError } from '../errors';
import {
  HyperswitchConnectorError,
  HyperswitchDuplicateError,
  HyperswitchError,
  HyperswitchInvalidRequestError,
  HyperswitchNotFoundError,
  type PaymentsApi,
  type VaultApi,
} from '../hyperswitch';
import type { Payment, PaymentMethod } from '../hyperswitch/schemas';
import type { Log } from '../log';
import { newJobRecord } from './record';
import { customerReference, paymentReference } from './references';
import { sealedCardSchema, type CardJobMessage, type JobError, type JobRecord, type JobSteps, type SealedCard, type TokenStatus, type VaultJobMessage } from './schemas';
import type { JobStore } from './store';

export interface PipelineDeps {
  store: JobStore;
  /**
   * Called at every step boundary (before and after each Hyperswitch call and each checkpoint) with
   * its name. Only the fault-injection tests set it: throwing a SimulatedCrash there stops the run
   * as a killed worker would, leaving the lease and the record as they are.
   */
  crashPoint?: (point: string) => void;
  vault: VaultApi;
  payments: PaymentsApi;
  dataKeys: () => Promise<DataKeys>;
  /** Forgets cached keys: an envelope sealed with a key id we do not know yet may follow a rotation. */
  refreshDataKeys?: () => void;
  log: Log;
  /** Shorter than the queue's visibility timeout, longer than one Hyperswitch call with its retries can take. */
  leaseMs: number;
  clock?: () => number;
}

/** The job could not finish now for a reason that is not its own: let SQS deliver it again. */
export class RetryLaterError extends S2SVaultError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'job_retry_later', retryable: true, cause });
  }
}

/** A worker killed mid-run, for fault injection: nothing is cleaned up. */
export class SimulatedCrash extends Error {
  constructor(point: string) {
    super(`Simulated crash ${point}`);
    this.name = 'SimulatedCrash';
  }
}

// Hyperswitch's clock and ours may differ: an earlier attempt's card counts from this long before it.
const ATTEMPT_CLOCK_SKEW_MS = 5 * 60_000;

/** A failure that belongs to the job itself and will not go away on retry. */
class JobFailure extends S2SVaultError {
  constructor(code: string, message: string) {
    super(message, { code });
  }
}

// Payment statuses after which the charge is done (captured, or authorized for a later capture).
const CHARGED = new Set(['succeeded', 'processing', 'requires_capture', 'partially_captured', 'partially_captured_and_capturable', 'partially_authorized_and_requires_capture', 'partially_captured_and_processing']);

/**
 * Errors that belong to the job (bad card, bad request, unknown customer, refused by the connector)
 * end it `failed`. Anything else — timeouts, 5xx, 429, unknown outcomes, auth or configuration
 * trouble — is retried by redelivery and, if it persists, ends in the DLQ.
 */
function jobFault(error: unknown): JobError | undefined {
  if (error instanceof JobFailure || error instanceof CardDecryptionError) return { code: error.code, message: error.message, retryable: false };
  if (error instanceof HyperswitchError && !error.retryable && !error.outcomeUnknown) {
    if (error instanceof HyperswitchInvalidRequestError || error instanceof HyperswitchNotFoundError || error instanceof HyperswitchConnectorError || error instanceof HyperswitchDuplicateError) {
      return { code: error.code, message: error.message, retryable: false };
    }
  }
  return undefined;
}

function openCard(keys: DataKeys, message: CardJobMessage): SealedCard {
  const parsed = sealedCardSchema.safeParse(decryptJson(keys, message.card, message.job_id));
  if (!parsed.success) throw new JobFailure('invalid_card_payload', 'The encrypted card does not hold a valid card');
  return parsed.data;
}

/** Opens the envelope; an unknown key id gets one fresh read of the keys (a rotation we have not seen yet). */
async function openCardWithRefresh(message: CardJobMessage, deps: PipelineDeps): Promise<SealedCard> {
  try {
    return openCard(await deps.dataKeys(), message);
  } catch (error) {
    if (!(error instanceof CardDecryptionError && error.code === 'unknown_key_id' && deps.refreshDataKeys)) throw error;
    deps.refreshDataKeys();
    return openCard(await deps.dataKeys(), message);
  }
}

function tokenStatus(requested: boolean, present: boolean): TokenStatus {
  if (!requested) return 'not_requested';
  return present ? 'active' : 'unavailable';
}

export interface JobOutcome {
  status: JobRecord['status'];
  /** True when this delivery found the job already ended and did nothing. */
  duplicate: boolean;
}

export async function runVaultJob(message: VaultJobMessage, deps: PipelineDeps): Promise<JobOutcome> {
  const { store, log } = deps;
  const clock = deps.clock ?? Date.now;
  const jobId = message.job_id;

  let card: SealedCard | undefined;
  if ('card' in message) {
    try {
      card = await openCardWithRefresh(message, deps);
    } catch (error) {
      const fault = jobFault(error);
      if (!fault) throw new RetryLaterError(`Job ${jobId}: the card keys are unavailable`, error);
      await store.failUnlessFinished(jobId, fault, () => initialRecord(message));
      log.warn('Vault job failed', { jobId, code: fault.code });
      return { status: 'failed', duplicate: false };
    }
  }

  const owner = randomUUID();
  const now = clock();
  const claim = await store.claim(jobId, { owner, until: now + deps.leaseMs, now }, () => initialRecord(message, card));
  if (claim.outcome === 'finished') return { status: claim.job.status, duplicate: true };
  if (claim.outcome === 'busy') throw new RetryLaterError(`Job ${jobId} is being processed by another run`);

  const run = new JobRun(message, card, claim.job.steps, owner, deps);
  try {
    const outcome = await run.execute();
    await store.finish(jobId, owner, outcome);
    log.info('Vault job finished', { jobId, status: outcome.status, ...(outcome.status === 'failed' ? { code: outcome.error.code } : {}) });
    return { status: outcome.status, duplicate: false };
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    const fault = jobFault(error);
    if (fault) {
      await store.finish(jobId, owner, { status: 'failed', error: fault });
      log.warn('Vault job failed', { jobId, code: fault.code });
      return { status: 'failed', duplicate: false };
    }
    await store.release(jobId, owner).catch(() => undefined);
    throw new RetryLaterError(`Job ${jobId} will be retried: ${error instanceof S2SVaultError ? error.code : 'unexpected error'}`, error);
  }
}

function initialRecord(message: VaultJobMessage, card?: SealedCard): JobRecord {
  return newJobRecord({
    jobId: message.job_id,
    source: 'queue',
    card: card ? maskCard(card.number, card.exp_month, card.exp_year) : undefined,
    charge: message.charge ? { amount: message.charge.amount, currency: message.charge.currency } : undefined,
    existingCustomer: 'customer_id' in message.customer,
    tokenization: 'tokenization' in message ? message.tokenization : undefined,
    savedPaymentMethodId: 'payment_method_id' in message ? message.payment_method_id : undefined,
  });
}

/** What a charge of a saved method sends as `card_token`: the holder name, and a CVC when we have one. */
type CardToken = { card_holder_name: string; card_cvc?: string };

/**
 * One run of one job: the steps, each skipped when the record shows it done. Before a create whose
 * outcome could be lost (Hyperswitch acts, then the answer or our checkpoint never arrives), the
 * step records `attempted_at`; a later run that finds it looks the object up before creating again.
 */
class JobRun {
  constructor(
    private readonly message: VaultJobMessage,
    private readonly card: SealedCard | undefined,
    private readonly steps: JobSteps,
    private readonly owner: string,
    private readonly deps: PipelineDeps,
  ) {}

  async execute(): Promise<{ status: 'succeeded' } | { status: 'failed'; error: JobError }> {
    const customerId = await this.customer();
    const { paymentMethodId, cardToken } = this.card
      ? { paymentMethodId: await this.vaultCard(customerId, this.card), cardToken: { card_holder_name: this.card.holder_name, card_cvc: this.card.cvc } }
      : await this.savedPaymentMethod(customerId);
    if (!this.message.charge || this.steps.payment.status === 'succeeded') return { status: 'succeeded' };
    return this.charge(customerId, paymentMethodId, cardToken);
  }

  /**
   * A Hyperswitch call, with the crash points around it. The lease is renewed first, so the call
   * starts with a whole lease ahead of it (longer than a call with its retries can take) and no
   * other run can act on the job meanwhile; a run that lost the lease stops here.
   */
  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await this.deps.store.renew(this.message.job_id, this.owner, (this.deps.clock ?? Date.now)() + this.deps.leaseMs);
    this.deps.crashPoint?.(`before ${operation}`);
    const result = await fn();
    this.deps.crashPoint?.(`after ${operation}`);
    return result;
  }

  private async checkpoint<K extends keyof JobSteps>(step: K, value: JobSteps[K]): Promise<void> {
    this.deps.crashPoint?.(`before checkpoint ${step}`);
    await this.deps.store.checkpoint(this.message.job_id, this.owner, step, value);
    this.steps[step] = value;
    this.deps.crashPoint?.(`after checkpoint ${step}`);
  }

  private now(): string {
    return new Date((this.deps.clock ?? Date.now)()).toISOString();
  }

  private async customer(): Promise<string> {
    const done = this.steps.customer;
    if ((done.status === 'succeeded' || done.status === 'skipped') && done.customer_id) return done.customer_id;
    const spec = this.message.customer;
    if ('customer_id' in spec) {
      try {
        await this.call('customers.retrieve', () => this.deps.vault.getCustomer(spec.customer_id));
      } catch (error) {
        if (error instanceof HyperswitchNotFoundError) throw new JobFailure('customer_not_found', 'The customer_id given does not exist in Hyperswitch');
        throw error;
      }
      await this.checkpoint('customer', { status: 'skipped', customer_id: spec.customer_id });
      return spec.customer_id;
    }
    // The reference makes the create idempotent: a repeat answers HE_01 and the customer is looked up.
    const reference = spec.merchant_reference_id ?? customerReference(this.message.job_id);
    let customer;
    try {
      customer = await this.call('customers.create', () =>
        this.deps.vault.createCustomer({ name: spec.name, email: spec.email, merchant_reference_id: reference, ...(spec.phone ? { phone: spec.phone } : {}) }),
      );
    } catch (error) {
      if (!(error instanceof HyperswitchDuplicateError)) throw error;
      customer = await this.call('customers.retrieveByReference', () => this.deps.vault.getCustomerByReference(reference));
    }
    await this.checkpoint('customer', { status: 'succeeded', customer_id: customer.id });
    return customer.id;
  }

  private async vaultCard(customerId: string, card: SealedCard): Promise<string> {
    const step = this.steps.payment_method;
    if (step.status === 'succeeded' && step.payment_method_id) return step.payment_method_id;
    const { tokenization } = this.message as CardJobMessage;
    // Payment methods have no merchant reference: an earlier attempt's card is recognised by what it is.
    let method = step.attempted_at ? await this.findVaultedCard(customerId, card, step.attempted_at) : undefined;
    if (!method) {
      await this.checkpoint('payment_method', { ...step, attempted_at: this.now() });
      method = await this.call('paymentMethods.create', () =>
        this.deps.vault.createPaymentMethod({
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
          ...(tokenization.network ? { network_tokenization: { enable: 'Enable' as const } } : {}),
        }),
      );
    }
    await this.checkpoint('payment_method', {
      status: 'succeeded',
      payment_method_id: method.id,
      psp_token: tokenStatus(tokenization.psp, (method.connector_tokens?.length ?? 0) > 0),
      network_token: tokenStatus(tokenization.network, Boolean(method.network_token)),
    });
    return method.id;
  }

  /**
   * The card an earlier attempt of this job vaulted, if Hyperswitch did: same last four, BIN and
   * expiry, saved for this customer since shortly before that attempt.
   */
  private async findVaultedCard(customerId: string, card: SealedCard, attemptedAt: string): Promise<PaymentMethod | undefined> {
    const { customer_payment_methods: methods } = await this.call('customers.listSavedPaymentMethods', () => this.deps.vault.listCustomerPaymentMethods(customerId));
    const since = Date.parse(attemptedAt) - ATTEMPT_CLOCK_SKEW_MS;
    const match = methods
      .filter((method) => {
        const saved = method.payment_method_data?.card;
        return (
          saved?.last4_digits === card.number.slice(-4) &&
          (!saved.card_isin || card.number.startsWith(saved.card_isin)) &&
          Number(saved.expiry_month) === card.exp_month &&
          fullExpiryYear(Number(saved.expiry_year)) === card.exp_year &&
          Date.parse(method.created) >= since
        );
      })
      .sort((a, b) => Date.parse(a.created) - Date.parse(b.created))[0];
    return match ? this.call('paymentMethods.retrieve', () => this.deps.vault.getPaymentMethod(match.id)) : undefined;
  }

  /** A charge of a card saved earlier: it must exist and belong to the job's customer. */
  private async savedPaymentMethod(customerId: string): Promise<{ paymentMethodId: string; cardToken: CardToken }> {
    const paymentMethodId = (this.message as { payment_method_id: string }).payment_method_id;
    let method: PaymentMethod;
    try {
      method = await this.call('paymentMethods.retrieve', () => this.deps.vault.getPaymentMethod(paymentMethodId));
    } catch (error) {
      if (error instanceof HyperswitchNotFoundError) throw new JobFailure('payment_method_not_found', 'The payment_method_id given does not exist in Hyperswitch');
      throw error;
    }
    if (method.customer_id !== customerId) throw new JobFailure('payment_method_not_found', 'The payment method does not belong to this customer');
    const holderName = method.payment_method_data?.card?.card_holder_name;
    if (!holderName) throw new JobFailure('card_holder_name_unknown', 'The saved card has no holder name, which a charge needs; add one with PATCH /payment-methods/{id}');
    return { paymentMethodId, cardToken: { card_holder_name: holderName } };
  }

  private async charge(customerId: string, paymentMethodId: string, cardToken: CardToken): Promise<{ status: 'succeeded' } | { status: 'failed'; error: JobError }> {
    const charge = this.message.charge!;
    const reference = paymentReference(this.message.job_id);
    const step = this.steps.payment;
    // A payment whose outcome is unknown is looked up before anything is sent again.
    let payment = step.attempted_at ? await this.findPayment(customerId, reference) : undefined;
    if (!payment) {
      await this.checkpoint('payment', { ...step, attempted_at: this.now() });
      try {
        payment = await this.call('payments.createAndConfirm', () =>
          this.deps.payments.createAndConfirmPayment({
            amount_details: { order_amount: charge.amount, currency: charge.currency },
            merchant_reference_id: reference,
            customer_id: customerId,
            payment_method_type: 'card',
            payment_method_id: paymentMethodId,
            payment_method_data: { card_token: cardToken },
            ...(charge.description ? { description: charge.description } : {}),
          }),
        );
      } catch (error) {
        // HE_01: the reference exists — an earlier attempt charged; never charge twice.
        if (!(error instanceof HyperswitchDuplicateError)) throw error;
        payment = await this.findPayment(customerId, reference);
        if (!payment) throw new RetryLaterError(`Hyperswitch reports payment ${reference} as a duplicate but does not list it yet`);
      }
    }
    const charged = CHARGED.has(payment.status);
    await this.checkpoint('payment', { status: charged ? 'succeeded' : 'failed', payment_id: payment.id, payment_status: payment.status });
    if (charged) return { status: 'succeeded' };
    const declined = payment.status === 'failed';
    return {
      status: 'failed',
      error: {
        code: declined ? 'payment_declined' : `payment_${payment.status}`,
        message: declined
          ? `The charge was declined: ${redactPans(payment.error?.message ?? 'no reason given').slice(0, 200)}${payment.error?.code ? ` (${payment.error.code})` : ''}`
          : `The charge ended in status ${payment.status}, which needs action outside this flow`,
        retryable: false,
      },
    };
  }

  /** The payment with our reference for this job, if Hyperswitch has one. */
  private async findPayment(customerId: string, reference: string): Promise<Payment | undefined> {
    const list = await this.call('payments.list', () => this.deps.payments.listPayments({ customerId }));
    const found = list.data.find((payment) => payment.merchant_reference_id === reference);
    return found ? this.call('payments.retrieve', () => this.deps.payments.getPayment(found.id)) : undefined;
  }
}
