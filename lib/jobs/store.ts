import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, dynamoDbClient, type DocumentTable } from '../aws';
import { S2SVaultError } from '../errors';
import { intentAttribute, intentsOf, jobFromItem } from './item';
import { JOB_RECORD_TTL_DAYS, withIntent, type IntentStep } from './record';
import type { JobError, JobRecord, JobSteps, NextAction, PaymentStep } from './schemas';

/** A run's hold on a job: who, until when (ms), as of when. */
type Lease = { owner: string; until: number; now: number };

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
   * when none exists (a job a merchant published straight to the queue, or a checkout's whose put has
   * not landed yet). `intent` names the step whose create the run will send first: on the job's first
   * attempt at it, the claim records the intent too (`attempted_at` at `lease.now`), so that create
   * needs no write of its own. One request, whether the record exists or not.
   */
  claim(jobId: string, lease: Lease, initial: () => JobRecord, intent?: IntentStep): Promise<ClaimResult>;
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

/** What the claim sets whatever the record held; it keeps every other field a record already has. */
const SET_BY_CLAIM = new Set(['job_id', 'status', 'lease_owner', 'lease_until', 'updated_at', 'attempts']);

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
    return Item && jobFromItem(Item);
  }

  async claim(jobId: string, lease: Lease, initial: () => JobRecord, intent?: IntentStep): Promise<ClaimResult> {
    const at = now();
    const intentAt = new Date(lease.now).toISOString();
    const fresh = initial();
    // One update makes the record when none exists (every field of `fresh`) or claims the one there
    // (its fields kept: if_not_exists), so that whichever of the intake's put and this claim lands
    // first, each side sends one write.
    const kept = Object.entries(fresh).filter(([name]) => !SET_BY_CLAIM.has(name));
    const claimed = await conditionalWrite(
      this.documents.update({
        TableName: this.tableName,
        Key: { job_id: jobId },
        UpdateExpression: `SET ${[
          '#status = :processing',
          'lease_owner = :owner',
          'lease_until = :until',
          'updated_at = :at',
          ...kept.map((_, i) => `#kept${i} = if_not_exists(#kept${i}, :kept${i})`),
          // An earlier attempt's time must survive until this run has looked for what it left.
          ...(intent ? ['#intent = if_not_exists(#intent, :intentAt)'] : []),
        ].join(', ')} ADD attempts :one`,
        ConditionExpression: 'attribute_not_exists(job_id) OR (#status IN (:queued, :processing) AND (attribute_not_exists(lease_until) OR lease_until < :now))',
        ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(kept.map(([name], i) => [`#kept${i}`, name])), ...(intent ? { '#intent': intentAttribute(intent) } : {}) },
        ExpressionAttributeValues: {
          ':processing': 'processing',
          ':queued': 'queued',
          ':owner': lease.owner,
          ':until': lease.until,
          ':now': lease.now,
          ':at': at,
          ':one': 1,
          ...Object.fromEntries(kept.map(([, value], i) => [`:kept${i}`, value])),
          ...(intent ? { ':intentAt': intentAt } : {}),
        },
        // The record before the claim (none: this claim made it); it tells whether an earlier run recorded the intent.
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!claimed) return this.unclaimable(jobId);
    const before = claimed.Attributes ? jobFromItem(claimed.Attributes) : { ...fresh, attempts: 0 };
    const intentRecorded = intent !== undefined && !before.steps[intent]?.attempted_at;
    const steps = intentRecorded ? withIntent(before.steps, intent, intentAt) : before.steps;
    return { outcome: 'claimed', intentRecorded, job: { ...before, status: 'processing', lease_owner: lease.owner, lease_until: lease.until, updated_at: at, attempts: before.attempts + 1, steps } };
  }

  /** Why a job that exists could not be claimed: it ended, it waits for the shopper, or another run holds it. */
  private async unclaimable(jobId: string): Promise<ClaimResult> {
    const existing = await this.get(jobId);
    if (existing?.status === 'succeeded' || existing?.status === 'failed') return { outcome: 'finished', job: existing };
    if (existing?.status === 'requires_action') return { outcome: 'awaiting_action', job: existing };
    return { outcome: 'busy' };
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
      UpdateExpression: `SET #status = :status, steps.#step = :value, updated_at = :at${error ? ', #error = :error' : ''} REMOVE next_action, action_expires_at, ${intentAttribute(step)}`,
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
      UpdateExpression: `SET steps.#step = :value, updated_at = :at REMOVE ${intentAttribute(step)}`,
      ConditionExpression: '#status = :failed AND attribute_not_exists(steps.#step.#id)',
      ExpressionAttributeNames: { '#step': step, '#status': 'status', '#id': idField },
      ExpressionAttributeValues: { ':value': value, ':failed': 'failed', ':at': now() },
    });
  }

  /** A write only the lease owner may make (it sets `updated_at`): the record as the write left it (no second read). */
  private async ownedUpdate(jobId: string, owner: string, write: OwnedWrite): Promise<JobRecord> {
    const steps = Object.entries(write.steps);
    const removed = [...(write.endLease ? ['lease_owner', 'lease_until'] : []), ...intentsOf(steps.map(([step]) => step))];
    const updated = await this.updateIf(jobId, {
      UpdateExpression: `SET ${[...steps.map((_, i) => `steps.#step${i} = :step${i}`), ...write.set, 'updated_at = :at'].join(', ')}${removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''}`,
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
    return updated?.Attributes && jobFromItem(updated.Attributes);
  }
}
