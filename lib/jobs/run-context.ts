/**
 * What every step of a job run shares: its dependencies, the errors that steer the run, and the
 * run's own operations (a Hyperswitch call with the lease renewed first, a checkpoint, the clock).
 */
import type { DataKeys } from '../crypto';
import { S2SVaultError } from '../errors';
import type { PaymentsApi, VaultApi } from '../hyperswitch';
import type { Currency as Currencies } from '../hyperswitch/enums.generated';
import type { Log } from '../log';
import type { JobRecord, JobSteps, VaultJobMessage } from './schemas';
import type { JobStore } from './store';

type Currency = (typeof Currencies)[number];

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

/** A Hyperswitch call made on the job's behalf (in a run: with the lease renewed first). */
export type HyperswitchCall = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/** One run of one job, as its steps see it. */
export interface StepRun {
  readonly jobId: string;
  readonly message: VaultJobMessage;
  readonly steps: JobSteps;
  readonly deps: PipelineDeps;
  readonly call: HyperswitchCall;
  checkpoint<K extends keyof JobSteps>(step: K, value: JobSteps[K]): Promise<void>;
  /** Epoch milliseconds. */
  now(): number;
}
