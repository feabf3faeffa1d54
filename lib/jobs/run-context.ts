/**
 * What every step of a job run shares: its dependencies, the errors that steer the run, and the
 * run's own operations (a Hyperswitch call, a result to record, an intent before a create, the clock).
 */
import type { DataKeys } from '../crypto';
import { S2SVaultError } from '../errors';
import type { PaymentsApi, VaultApi } from '../hyperswitch';
import type { Currency as Currencies } from '../hyperswitch/enums.generated';
import type { Log } from '../log';
import type { JobRecord, JobSteps, VaultJobMessage } from './schemas';
import type { IntentStep } from './record';
import type { JobStore } from './store';

type Currency = (typeof Currencies)[number];

export interface PipelineDeps {
  store: JobStore;
  /**
   * Called at every step boundary (before and after each Hyperswitch call and each write of the
   * record) with its name. Only the fault-injection tests set it: throwing a SimulatedCrash there stops the run
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
  /**
   * A create is sent at most this long after the write that recorded its intent (`attempted_at`) and
   * extended the lease — so it starts with one call's budget of lease left; an older intent is written
   * again first. An earlier create may thus have gone out until `attempted_at` + this, and commit late
   * until the settle time after that. The lease less one call's budget (config `intentFreshMs`).
   */
  intentFreshMs: number;
  /**
   * How long Hyperswitch may still act on a create after we stopped waiting for it (a late commit).
   * A card create whose outcome is unknown is not sent again before this has passed and a look-up
   * has found nothing.
   */
  settleMs: number;
  /** Refuse merchant-initiated charges of cards no customer-initiated setup readied (OFF_SESSION_REQUIRES_SETUP). */
  offSessionRequiresSetup: boolean;
  /** How long a job waits for the shopper to authenticate (3-D Secure) before it ends authentication_expired. */
  actionWindowMs: number;
  /** Publishes the events a job's record implies (lib/events), after each change and whenever a run finds the job ended. */
  jobChanged?: (job: JobRecord) => Promise<void>;
  /** The currency of `verify: true`'s zero-amount setup payment (VERIFICATION_CURRENCY). */
  verificationCurrency: Currency;
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

/** A failure that belongs to the job itself and will not go away on retry. */
export class JobFailure extends S2SVaultError {
  constructor(code: string, message: string) {
    super(message, { code });
  }
}

/** A Hyperswitch call made on the job's behalf. */
export type HyperswitchCall = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/** Waits for work of the run's that no one else awaits, however it ends (a simulated crash still stops the run): nothing outlives the invocation. */
export async function settled(work: Promise<unknown> | undefined): Promise<void> {
  await work?.catch((error: unknown) => {
    if (error instanceof SimulatedCrash) throw error;
  });
}

/**
 * Waits for all of a run's work sent at once, however each ends, then fails as the first that failed
 * — a simulated crash before anything else, since a killed worker stops whatever went wrong beside it.
 */
export async function allOf<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> | undefined }): Promise<T> {
  const results = await Promise.allSettled(work);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((failure) => failure instanceof SimulatedCrash) ?? failures[0];
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** A run's Hyperswitch calls: counted (the job's summary line), with a crash point on each side. */
export class RunCalls {
  private made = 0;

  constructor(private readonly crashPoint?: (point: string) => void) {}

  readonly call: HyperswitchCall = async (operation, fn) => {
    this.made++;
    this.crashPoint?.(`before ${operation}`);
    const result = await fn();
    this.crashPoint?.(`after ${operation}`);
    return result;
  };

  get count(): number {
    return this.made;
  }
}

/** An intent an earlier run recorded: it may have sent the step's create, whose outcome this run must find. */
export interface EarlierAttempt {
  attempted_at: string;
  first_attempted_at: string;
}

/** One run of one job, as its steps see it. */
export interface StepRun {
  readonly jobId: string;
  readonly message: VaultJobMessage;
  readonly steps: JobSteps;
  readonly deps: PipelineDeps;
  readonly call: HyperswitchCall;
  /**
   * Records a step's result. It is written with the run's next write (an intent, or the job's end):
   * whatever a run that stops before then had done is found again — the customer by its reference,
   * the card and the payment by the intent recorded before their create.
   */
  record<K extends keyof JobSteps>(step: K, value: JobSteps[K]): void;
  /**
   * Before a create that must not be repeated blindly: makes sure the record holds this run's intent,
   * fresh (the claim's, or a write now that also records the results so far and extends the lease).
   */
  intend(step: IntentStep): Promise<void>;
  /** The intent an earlier run recorded for this step, if any: look for what it made before creating. */
  earlierAttempt(step: IntentStep): EarlierAttempt | undefined;
  /** Epoch milliseconds. */
  now(): number;
}
