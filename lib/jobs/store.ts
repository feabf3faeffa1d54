import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, dynamoDbClient, type DocumentTable } from '../aws';
import { S2SVaultError } from '../errors';
import { JOB_RECORD_TTL_DAYS, withIntent } from './record';
import type { JobError, JobRecord, JobSteps, NextAction, PaymentStep } from './schemas';

/** A run's hold on a job: who, until when (ms), as of when. */
type Lease = { owner: string; until: number; now: number };

/** The steps whose create is not repeated blindly: an intent (`attempted_at`) is recorded before each is sent. */
export type IntentStep = 'payment_method' | 'payment' | 'verification';

export type ClaimResult =
  /** `intentRecorded`: the claim recorded the intent of `intent` (the job's first attempt at it). */
  | { outcome: 'claimed'; job: JobRecord; intentRecorded: boolean }
  /** The job already ended: acknowledge the message, do nothing. */
  | { outcome: 'finished'; job: JobRecord }
  /** The job waits for the shopper to authenticate: nothing to run, perhaps something to resolve. */
  | { outcome: 'awaiting_action'; job: JobRecord }
  /** Another run holds an unexpired lease: try again later. */
  | { outcome: 'busy' };

/** The job records: the checkpoint log of each job. */
export interface JobStore {
  /** Writes a new record; fails with `job_exists` if the id is taken. */
  create(job: JobRecord): Promise<void>;
  get(jobId: string): Promise<JobRecord | undefined>;
  /**
   * Takes the job for one run: sets it `processing` with a lease. `initial` is the record to create
   * when none exists (a job a merchant published straight to the queue). `intent` names the step
   * whose create the run will send first: on the job's first attempt at it, the claim records the
   * intent too (`attempted_at` at `lease.now`), so that create needs no write of its own.
   * `likelyNew`: the job probably has no record yet (a merchant published it, and this is its first
   * delivery), so the record is put first rather than after a refused claim: one request, not two.
   * It orders the attempts only; the outcome is the same either way.
   */
  claim(jobId: string, lease: Lease, initial: () => JobRecord, intent?: IntentStep, options?: { likelyNew?: boolean }): Promise<ClaimResult>;
  /** Records steps (results, an intent) and extends the lease to `leaseUntil`; only the lease owner may. */
  checkpoint(jobId: string, owner: string, steps: Partial<JobSteps>, leaseUntil: number): Promise<void>;
  /** Ends the job with the steps not yet recorded; only the lease owner may. Returns the ended record. */
  finish(jobId: string, owner: string, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }, steps: Partial<JobSteps>): Promise<JobRecord>;
  /**
   * Parks the job until the shopper authenticates: `requires_action` with where and until when, and
   * the steps not yet recorded; the lease is given up (only the lease owner may). Returns the parked record.
   */
  awaitAction(jobId: string, owner: string, action: { next_action: NextAction; action_expires_at: string }, steps: Partial<JobSteps>): Promise<JobRecord>;
  /**
   * Ends a parked job with what the payment became: only from `requires_action` (undefined when the
   * job was no longer waiting — ended by a webhook, another reader, or the expiry), so a finished job
   * never returns to an earlier state. Returns the ended record.
   */
  resolveAction<K extends 'payment' | 'verification'>(jobId: string, step: K, value: PaymentStep, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }): Promise<JobRecord | undefined>;
  /** Gives the lease up after a transient failure, recording the steps done so far, so a redelivery can claim the job at once and resume. */
  release(jobId: string, owner: string, steps: Partial<JobSteps>): Promise<void>;
  /**
   * Ends the job `failed` unless it already ended, whoever holds it (dead letters, a failed enqueue,
   * a message that cannot be processed). Creates the record when `initial` is given and none exists.
   * Returns the record as it now stands (undefined when there is none).
   */
  failUnlessFinished(jobId: string, error: JobError, initial?: () => JobRecord): Promise<JobRecord | undefined>;
  /**
   * Holds a payment method for one job (a uniqueness record in the job table): true when this job
   * holds it now, false when another job does. A payment method is recorded by one job only.
   */
  holdPaymentMethod(paymentMethodId: string, jobId: string): Promise<boolean>;
  /** The job that holds the payment method, if any. */
  paymentMethodHolder(paymentMethodId: string): Promise<string | undefined>;
  /**
   * Records what a payment that was `processing` when its job ended became (a Hyperswitch webhook):
   * only its `payment_status`, only from `from`, only for that payment. Returns the record, or
   * undefined when the payment had moved on.
   */
  recordPaymentSettlement(jobId: string, step: 'payment' | 'verification', paymentId: string, from: string, to: string): Promise<JobRecord | undefined>;
  /** Records a step's result on a job that already failed (its reconciliation), unless it has one. */
  amendFailedJob<K extends 'payment_method' | 'payment' | 'verification'>(jobId: string, step: K, value: NonNullable<JobSteps[K]>): Promise<void>;
}

/** The lease moved on: another run owns the job now, this one must stop. */
export class LeaseLostError extends S2SVaultError {
  constructor(jobId: string) {
    super(`The lease on job ${jobId} was lost to another run`, { code: 'lease_lost', retryable: true });
  }
}

export class JobExistsError extends S2SVaultError {
  constructor(jobId: string) {
    super(`Job ${jobId} already exists`, { code: 'job_exists' });
  }
}

const now = () => new Date().toISOString();

/** The key of a payment method's uniqueness record, in the job table beside the jobs (`pm#<id>`). */
const holdKey = (paymentMethodId: string) => `pm#${paymentMethodId}`;

/**
 * A write of the lease owner's: `set` clauses and their names and values, plus whole steps (so a
 * step's result and its intent never overlap in one expression); `endLease` gives the lease up.
 */
interface OwnedWrite {
  set: string[];
  names?: Record<string, string>;
  values?: Record<string, unknown>;
  steps: Partial<JobSteps>;
  endLease?: boolean;
}

/** DynamoDB adapter: key `job_id`, conditional writes for every transition. */
export class DynamoDbJobStore implements JobStore {
  constructor(
    private readonly tableName: string,
    private readonly documents: DocumentTable = dynamoDbClient(),
  ) {}

  async create(job: JobRecord): Promise<void> {
    const made = await conditionalWrite(this.documents.put({ TableName: this.tableName, Item: job, ConditionExpression: 'attribute_not_exists(job_id)' }));
    if (!made) throw new JobExistsError(job.job_id);
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.documents.get({ TableName: this.tableName, Key: { job_id: jobId }, ConsistentRead: true });
    return Item as JobRecord | undefined;
  }

  async claim(jobId: string, lease: Lease, initial: () => JobRecord, intent?: IntentStep, { likelyNew = false }: { likelyNew?: boolean } = {}): Promise<ClaimResult> {
    const intentAt = new Date(lease.now).toISOString();
    // Two attempts, in the order the hint suggests: update a claimable record; put a new one, claimed.
    // Only where both are refused is the record read, to say why.
    const update = () => this.claimExisting(jobId, lease, intentAt, intent);
    const put = () => this.createClaimed(initial, lease, intentAt, intent);
    const [first, second] = likelyNew ? [put, update] : [update, put];
    return (await first()) ?? (await second()) ?? this.unclaimable(jobId, lease, intentAt, intent);
  }

  /** Claims an existing record that is queued, or processing with an expired lease; undefined otherwise. */
  private async claimExisting(jobId: string, lease: Lease, intentAt: string, intent?: IntentStep): Promise<ClaimResult | undefined> {
    const at = now();
    // The intent rides on the claim only where no earlier run recorded one (if_not_exists): an
    // earlier attempt's time must survive until this run has looked for what it left.
    const claimed = await conditionalWrite(
      this.documents.update({
        TableName: this.tableName,
        Key: { job_id: jobId },
        UpdateExpression: `SET #status = :processing, lease_owner = :owner, lease_until = :until, updated_at = :at${
          intent ? ', steps.#intent.attempted_at = if_not_exists(steps.#intent.attempted_at, :intentAt), steps.#intent.first_attempted_at = if_not_exists(steps.#intent.first_attempted_at, :intentAt)' : ''
        } ADD attempts :one`,
        ConditionExpression: 'attribute_exists(job_id) AND #status IN (:queued, :processing) AND (attribute_not_exists(lease_until) OR lease_until < :now)',
        ExpressionAttributeNames: { '#status': 'status', ...(intent ? { '#intent': intent } : {}) },
        ExpressionAttributeValues: {
          ':processing': 'processing',
          ':queued': 'queued',
          ':owner': lease.owner,
          ':until': lease.until,
          ':now': lease.now,
          ':at': at,
          ':one': 1,
          ...(intent ? { ':intentAt': intentAt } : {}),
        },
        // The record before the claim: it tells whether an earlier run recorded the intent.
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!claimed) return undefined;
    const before = claimed.Attributes as JobRecord;
    const intentRecorded = intent !== undefined && !before.steps[intent]?.attempted_at;
    const steps = intentRecorded ? withIntent(before.steps, intent, intentAt) : before.steps;
    return { outcome: 'claimed', intentRecorded, job: { ...before, status: 'processing', lease_owner: lease.owner, lease_until: lease.until, updated_at: at, attempts: before.attempts + 1, steps } };
  }

  /** Creates the record, claimed, when none exists; undefined when one does. */
  private async createClaimed(initial: () => JobRecord, lease: Lease, intentAt: string, intent?: IntentStep): Promise<ClaimResult | undefined> {
    const fresh = initial();
    const job: JobRecord = { ...fresh, steps: intent ? withIntent(fresh.steps, intent, intentAt) : fresh.steps, status: 'processing', attempts: 1, lease_owner: lease.owner, lease_until: lease.until };
    try {
      await this.create(job);
      return { outcome: 'claimed', job, intentRecorded: intent !== undefined };
    } catch (error) {
      if (error instanceof JobExistsError) return undefined;
      throw error;
    }
  }

  /**
   * Why a job that exists could not be claimed. One not ended may have appeared between the two
   * attempts — the intake's write landing after the worker read its message, whose update found no
   * record and whose put found one — so the claim is tried once more, its own condition deciding,
   * rather than left to wait a visibility timeout.
   */
  private async unclaimable(jobId: string, lease: Lease, intentAt: string, intent?: IntentStep): Promise<ClaimResult> {
    const existing = await this.get(jobId);
    if (existing?.status === 'succeeded' || existing?.status === 'failed') return { outcome: 'finished', job: existing };
    if (existing?.status === 'requires_action') return { outcome: 'awaiting_action', job: existing };
    return (existing && (await this.claimExisting(jobId, lease, intentAt, intent))) || { outcome: 'busy' };
  }

  async checkpoint(jobId: string, owner: string, steps: Partial<JobSteps>, leaseUntil: number): Promise<void> {
    await this.ownedUpdate(jobId, owner, { set: ['lease_until = :until'], values: { ':until': leaseUntil }, steps });
  }

  async finish(jobId: string, owner: string, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }, steps: Partial<JobSteps>): Promise<JobRecord> {
    const error = outcome.status === 'failed' ? outcome.error : undefined;
    return this.ownedUpdate(jobId, owner, {
      set: ['#status = :status', ...(error ? ['#error = :error'] : [])],
      names: { '#status': 'status', ...(error ? { '#error': 'error' } : {}) },
      values: { ':status': outcome.status, ...(error ? { ':error': error } : {}) },
      steps,
      endLease: true,
    });
  }

  async awaitAction(jobId: string, owner: string, action: { next_action: NextAction; action_expires_at: string }, steps: Partial<JobSteps>): Promise<JobRecord> {
    return this.ownedUpdate(jobId, owner, {
      set: ['#status = :status', 'next_action = :action', 'action_expires_at = :expires'],
      names: { '#status': 'status' },
      values: { ':status': 'requires_action', ':action': action.next_action, ':expires': action.action_expires_at },
      steps,
      endLease: true,
    });
  }

  async resolveAction<K extends 'payment' | 'verification'>(jobId: string, step: K, value: PaymentStep, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }): Promise<JobRecord | undefined> {
    const error = outcome.status === 'failed' ? outcome.error : undefined;
    return this.updateIf(jobId, {
      UpdateExpression: `SET #status = :status, steps.#step = :value, updated_at = :at${error ? ', #error = :error' : ''} REMOVE next_action, action_expires_at`,
      ConditionExpression: '#status = :waiting',
      ExpressionAttributeNames: { '#status': 'status', '#step': step, ...(error ? { '#error': 'error' } : {}) },
      ExpressionAttributeValues: { ':status': outcome.status, ':value': value, ':waiting': 'requires_action', ':at': now(), ...(error ? { ':error': error } : {}) },
    });
  }

  async recordPaymentSettlement(jobId: string, step: 'payment' | 'verification', paymentId: string, from: string, to: string): Promise<JobRecord | undefined> {
    return this.updateIf(jobId, {
      UpdateExpression: 'SET steps.#step.payment_status = :to, updated_at = :at',
      ConditionExpression: 'steps.#step.payment_id = :payment AND steps.#step.payment_status = :from',
      ExpressionAttributeNames: { '#step': step },
      ExpressionAttributeValues: { ':to': to, ':from': from, ':payment': paymentId, ':at': now() },
    });
  }

  async release(jobId: string, owner: string, steps: Partial<JobSteps>): Promise<void> {
    await this.ownedUpdate(jobId, owner, { set: [], steps, endLease: true });
  }

  async failUnlessFinished(jobId: string, error: JobError, initial?: () => JobRecord): Promise<JobRecord | undefined> {
    const failed = await this.updateIf(jobId, {
      UpdateExpression: 'SET #status = :failed, #error = :error, updated_at = :at REMOVE lease_owner, lease_until',
      ConditionExpression: 'attribute_exists(job_id) AND #status IN (:queued, :processing)',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
      ExpressionAttributeValues: { ':failed': 'failed', ':error': error, ':queued': 'queued', ':processing': 'processing', ':at': now() },
    });
    if (failed) return failed;
    const existing = await this.get(jobId);
    if (existing || !initial) return existing;
    const job: JobRecord = { ...initial(), status: 'failed', error };
    try {
      await this.create(job);
      return job;
    } catch (caught) {
      // Created meanwhile by another run: that run decides the job's fate.
      if (!(caught instanceof JobExistsError)) throw caught;
      return this.get(jobId);
    }
  }

  async holdPaymentMethod(paymentMethodId: string, jobId: string): Promise<boolean> {
    const held = await conditionalWrite(
      this.documents.put({
        TableName: this.tableName,
        Item: { job_id: holdKey(paymentMethodId), kind: 'payment_method_hold', holder_job_id: jobId, expires_at: Math.floor(Date.now() / 1000) + JOB_RECORD_TTL_DAYS * 86_400 },
        ConditionExpression: 'attribute_not_exists(job_id) OR holder_job_id = :job',
        ExpressionAttributeValues: { ':job': jobId },
      }),
    );
    return held !== undefined;
  }

  async paymentMethodHolder(paymentMethodId: string): Promise<string | undefined> {
    const { Item } = await this.documents.get({ TableName: this.tableName, Key: { job_id: holdKey(paymentMethodId) }, ConsistentRead: true });
    return Item?.holder_job_id as string | undefined;
  }

  async amendFailedJob<K extends 'payment_method' | 'payment' | 'verification'>(jobId: string, step: K, value: NonNullable<JobSteps[K]>): Promise<void> {
    const idField = step === 'payment_method' ? 'payment_method_id' : 'payment_id';
    await this.documents.update({
      TableName: this.tableName,
      Key: { job_id: jobId },
      UpdateExpression: 'SET steps.#step = :value, updated_at = :at',
      ConditionExpression: '#status = :failed AND attribute_not_exists(steps.#step.#id)',
      ExpressionAttributeNames: { '#step': step, '#status': 'status', '#id': idField },
      ExpressionAttributeValues: { ':value': value, ':failed': 'failed', ':at': now() },
    });
  }

  /** A write only the lease owner may make (it sets `updated_at`): the record as the write left it (no second read). */
  private async ownedUpdate(jobId: string, owner: string, write: OwnedWrite): Promise<JobRecord> {
    const steps = Object.entries(write.steps);
    const updated = await this.updateIf(jobId, {
      UpdateExpression: `SET ${[...steps.map((_, i) => `steps.#step${i} = :step${i}`), ...write.set, 'updated_at = :at'].join(', ')}${write.endLease ? ' REMOVE lease_owner, lease_until' : ''}`,
      ConditionExpression: 'lease_owner = :owner',
      ExpressionAttributeNames: steps.length > 0 || write.names ? { ...Object.fromEntries(steps.map(([step], i) => [`#step${i}`, step])), ...write.names } : undefined,
      ExpressionAttributeValues: { ...Object.fromEntries(steps.map(([, value], i) => [`:step${i}`, value])), ...write.values, ':owner': owner, ':at': now() },
    });
    if (!updated) throw new LeaseLostError(jobId);
    return updated;
  }

  /** A conditional update of a job: the record as it left it, or undefined when its condition did not hold. */
  private async updateIf(jobId: string, update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>): Promise<JobRecord | undefined> {
    const updated = await conditionalWrite(this.documents.update({ TableName: this.tableName, Key: { job_id: jobId }, ...update, ReturnValues: 'ALL_NEW' }));
    return updated?.Attributes as JobRecord | undefined;
  }
}
