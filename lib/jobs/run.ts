/**
 * One run of one job: its steps in order and the writes they need — an intent before a create that
 * must not be repeated blindly, the results riding on the next write, the end.
 */
import { milliseconds } from '../metrics';
import { INTENT_STEPS, withIntent, type IntentStep } from './record';
import { allOf, type EarlierAttempt, type HyperswitchCall, type PipelineDeps, type RunCalls, type StepRun } from './run-context';
import type { JobRecord, JobSteps, SealedCard, VaultJobMessage } from './schemas';
import { chargeStep, savedPaymentMethodStep } from './steps/charge';
import type { StepOutcome } from './steps/payment';
import { customerStep, type FoundCustomer } from './steps/customer';
import { holdRecordedCard, paymentMethodStep } from './steps/payment-method';
import { verificationStep } from './steps/verification';

/** The customer step's value asked for before the claim (pipeline.ts), and when it was asked. */
export interface CustomerAhead {
  value: Promise<FoundCustomer>;
  startedAt: number;
}

/**
 * One run of one job: the steps in order, each skipped when the record shows it done (steps/).
 * The record is written only when it must be: before a create that must not be repeated blindly
 * (its intent, carrying the results so far and extending the lease) and at the end. A run that
 * stops in between loses only results that the next run finds again (run-context.ts, `record`).
 */
export class JobRun implements StepRun {
  readonly jobId: string;
  private pending: Partial<JobSteps> = {};
  /** How long each step that made calls took in this run. */
  readonly stepMs: Partial<Record<keyof JobSteps, number>> = {};
  /** Intents recorded by earlier runs, as the claim found them (this run's own are not among them). */
  private readonly earlier: Partial<Record<IntentStep, EarlierAttempt>>;

  constructor(
    readonly message: VaultJobMessage,
    private readonly card: SealedCard | undefined,
    readonly steps: JobSteps,
    private readonly owner: string,
    readonly deps: PipelineDeps,
    /** The intent this run recorded last (the claim's, or a checkpoint's), and when. */
    private intent: { step: IntentStep; at: number } | undefined,
    /** The run's calls, counted from before the claim (the customer's may go out beside it). */
    private readonly calls: RunCalls,
    private readonly customerAhead?: CustomerAhead,
  ) {
    this.jobId = message.job_id;
    this.earlier = Object.fromEntries(
      INTENT_STEPS.flatMap((step) => {
        const { attempted_at: attemptedAt, first_attempted_at: firstAttemptedAt } = steps[step] ?? {};
        return attemptedAt && step !== intent?.step ? [[step, { attempted_at: attemptedAt, first_attempted_at: firstAttemptedAt ?? attemptedAt }]] : [];
      }),
    );
  }

  async execute(): Promise<StepOutcome> {
    const ahead = this.customerAhead;
    const customerId = await this.timed('customer', () => customerStep(this, ahead?.value), ahead && { at: ahead.startedAt, calls: 0 });
    const card = this.card;
    const { paymentMethodId, cardToken } = card
      ? { paymentMethodId: await this.timed('payment_method', () => paymentMethodStep(this, customerId, card)), cardToken: { card_holder_name: card.holder_name, card_cvc: card.cvc } }
      : await this.timed('payment_method', () => savedPaymentMethodStep(this, customerId));
    if ('card' in this.message && this.message.verify && this.steps.verification?.status !== 'succeeded') {
      const verified = await this.timed('verification', () => verificationStep(this, customerId, paymentMethodId, cardToken));
      if (verified.status !== 'succeeded') return verified;
    }
    if (!this.message.charge || this.steps.payment.status === 'succeeded') return { status: 'succeeded' };
    return this.timed('payment', () => chargeStep(this, customerId, paymentMethodId, cardToken));
  }

  /**
   * A step's duration, when it ran (a step the record shows done, skipped without a call, is not one),
   * from `since`: when its calls began, if before the step (the customer's, asked for ahead).
   */
  private async timed<T>(step: keyof JobSteps, run: () => Promise<T>, since = { at: performance.now(), calls: this.calls.count }): Promise<T> {
    try {
      return await run();
    } finally {
      if (this.calls.count > since.calls) {
        this.stepMs[step] = Math.round(performance.now() - since.at);
        milliseconds('StepDuration', this.stepMs[step], { step });
      }
    }
  }

  get call(): HyperswitchCall {
    return this.calls.call;
  }

  record<K extends keyof JobSteps>(step: K, value: JobSteps[K]): void {
    this.steps[step] = value;
    this.pending[step] = value;
  }

  async intend(step: IntentStep): Promise<void> {
    const now = this.now();
    if (this.intent?.step === step && now - this.intent.at <= this.deps.intentFreshMs) return;
    this.record(step, withIntent(this.steps, step, new Date(now).toISOString())[step]);
    const recorded = Object.keys(this.pending).join('+');
    this.deps.crashPoint?.(`before checkpoint ${recorded}`);
    await this.deps.store.checkpoint(this.jobId, this.owner, this.pending, now + this.deps.leaseMs);
    this.pending = {};
    this.intent = { step, at: now };
    this.deps.crashPoint?.(`after checkpoint ${recorded}`);
  }

  get callCount(): number {
    return this.calls.count;
  }

  earlierAttempt(step: IntentStep): EarlierAttempt | undefined {
    return this.earlier[step];
  }

  /** The results not written yet: they go with the job's end (or its release). */
  unrecorded(): Partial<JobSteps> {
    return this.pending;
  }

  /**
   * The job's last write, with its crash points, then its report (metrics, the summary line) and its
   * events, which are derived from the ended record; beside them, the card's hold where the hold goes
   * with the end (steps/payment-method.ts, `cardHeldWithEnd`): the events need only the end. The run
   * waits for all, however each ends.
   */
  async end(write: () => Promise<JobRecord>, report: (ended: JobRecord) => void): Promise<JobRecord> {
    const finish = async () => {
      this.deps.crashPoint?.('before finish');
      const ended = await write();
      this.pending = {};
      this.deps.crashPoint?.('after finish');
      report(ended);
      await this.deps.jobChanged?.(ended);
      return ended;
    };
    const [ended] = await allOf<[JobRecord, void]>([finish(), holdRecordedCard(this.deps, this.message, this.steps)]);
    return ended;
  }

  now(): number {
    return (this.deps.clock ?? Date.now)();
  }
}
