import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailure as isConditionFailure } from '../aws';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { S2SVaultError } from '../errors';
import { JOB_RECORD_TTL_DAYS } from './record';
import type { JobError, JobRecord, JobSteps, NextAction, PaymentStep } from './schemas';

export type ClaimResult =
  | { outcome: 'claimed'; job: JobRecord }
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
   * when none exists (a job a merchant published straight to the queue).
   */
  claim(jobId: string, lease: { owner: string; until: number; now: number }, initial: () => JobRecord): Promise<ClaimResult>;
  /** Extends the lease before work that must not overlap another run; only the lease owner may. */
  renew(jobId: string, owner: string, until: number): Promise<void>;
  /** Records one step's result; only the lease owner may. */
  checkpoint<K extends keyof JobSteps>(jobId: string, owner: string, step: K, value: JobSteps[K]): Promise<void>;
  /** Ends the job; only the lease owner may. Returns the ended record. */
  finish(jobId: string, owner: string, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }): Promise<JobRecord>;
  /**
   * Parks the job until the shopper authenticates: `requires_action` with where and until when;
   * the lease is given up (only the lease owner may). Returns the parked record.
   */
  awaitAction(jobId: string, owner: string, action: { next_action: NextAction; action_expires_at: string }): Promise<JobRecord>;
  /**
   * Ends a parked job with what the payment became: only from `requires_action` (false when the job
   * was no longer waiting — ended by a webhook, another reader, or the expiry), so a finished job
   * never returns to an earlier state.
   */
  resolveAction<K extends 'payment' | 'verification'>(jobId: string, step: K, value: PaymentStep, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }): Promise<boolean>;
  /** Gives the lease up after a transient failure, so a redelivery can claim the job at once. */
  release(jobId: string, owner: string): Promise<void>;
  /**
   * Ends the job `failed` unless it already ended, whoever holds it (dead letters, a failed enqueue,
   * a message that cannot be processed). Creates the record when `initial` is given and none exists.
   */
  failUnlessFinished(jobId: string, error: JobError, initial?: () => JobRecord): Promise<void>;
  /**
   * Holds a payment method for one job (a uniqueness record in the job table): true when this job
   * holds it now, false when another job does. A payment method is recorded by one job only.
   */
  holdPaymentMethod(paymentMethodId: string, jobId: string): Promise<boolean>;
  /** The job that holds the payment method, if any. */
  paymentMethodHolder(paymentMethodId: string): Promise<string | undefined>;
  /** Records that a customer-initiated setup (a charge or a verification) readied the card for MITs. */
  markSetUpForOffSession(paymentMethodId: string): Promise<void>;
  /** Whether a customer-initiated setup readied the card for merchant-initiated charges. */
  isSetUpForOffSession(paymentMethodId: string): Promise<boolean>;
  /**
   * Records what a payment that was `processing` when its job ended became (a Hyperswitch webhook):
   * only its `payment_status`, only from `from`, only for that payment. False when it had moved on.
   */
  recordPaymentSettlement(jobId: string, step: 'payment' | 'verification', paymentId: string, from: string, to: string): Promise<boolean>;
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

/** DynamoDB adapter: key `job_id`, conditional writes for every transition. */
export class DynamoDbJobStore implements JobStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(job: JobRecord): Promise<void> {
    try {
      await this.documents.send(new PutCommand({ TableName: this.tableName, Item: job, ConditionExpression: 'attribute_not_exists(job_id)' }));
    } catch (error) {
      if (isConditionFailure(error)) throw new JobExistsError(job.job_id);
      throw error;
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { job_id: jobId }, ConsistentRead: true }));
    return Item as JobRecord | undefined;
  }

  async claim(jobId: string, lease: { owner: string; until: number; now: number }, initial: () => JobRecord): Promise<ClaimResult> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: jobId },
          UpdateExpression: 'SET #status = :processing, lease_owner = :owner, lease_until = :until, updated_at = :at ADD attempts :one',
          ConditionExpression: 'attribute_exists(job_id) AND #status IN (:queued, :processing) AND (attribute_not_exists(lease_until) OR lease_until < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':processing': 'processing',
            ':queued': 'queued',
            ':owner': lease.owner,
            ':until': lease.until,
            ':now': lease.now,
            ':at': now(),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'claimed', job: Attributes as JobRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const existing = await this.get(jobId);
    if (existing?.status === 'succeeded' || existing?.status === 'failed') return { outcome: 'finished', job: existing };
    if (existing?.status === 'requires_action') return { outcome: 'awaiting_action', job: existing };
    if (existing) return { outcome: 'busy' };
    const job: JobRecord = { ...initial(), status: 'processing', attempts: 1, lease_owner: lease.owner, lease_until: lease.until };
    try {
      await this.create(job);
      return { outcome: 'claimed', job };
    } catch (error) {
      if (error instanceof JobExistsError) return { outcome: 'busy' };
      throw error;
    }
  }

  async renew(jobId: string, owner: string, until: number): Promise<void> {
    await this.ownedUpdate(jobId, owner, 'SET lease_until = :until, updated_at = :at', {}, { ':until': until });
  }

  async checkpoint<K extends keyof JobSteps>(jobId: string, owner: string, step: K, value: JobSteps[K]): Promise<void> {
    await this.ownedUpdate(jobId, owner, 'SET steps.#step = :value, updated_at = :at', { '#step': step }, { ':value': value });
  }

  async finish(jobId: string, owner: string, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }): Promise<JobRecord> {
    const error = outcome.status === 'failed' ? outcome.error : undefined;
    return this.ownedUpdate(
      jobId,
      owner,
      `SET #status = :status, updated_at = :at${error ? ', #error = :error' : ''} REMOVE lease_owner, lease_until`,
      { '#status': 'status', ...(error ? { '#error': 'error' } : {}) },
      { ':status': outcome.status, ...(error ? { ':error': error } : {}) },
      { returnRecord: true },
    );
  }

  async awaitAction(jobId: string, owner: string, action: { next_action: NextAction; action_expires_at: string }): Promise<JobRecord> {
    return this.ownedUpdate(
      jobId,
      owner,
      'SET #status = :status, next_action = :action, action_expires_at = :expires, updated_at = :at REMOVE lease_owner, lease_until',
      { '#status': 'status' },
      { ':status': 'requires_action', ':action': action.next_action, ':expires': action.action_expires_at },
      { returnRecord: true },
    );
  }

  async resolveAction<K extends 'payment' | 'verification'>(jobId: string, step: K, value: PaymentStep, outcome: { status: 'succeeded' } | { status: 'failed'; error: JobError }): Promise<boolean> {
    const error = outcome.status === 'failed' ? outcome.error : undefined;
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: jobId },
          UpdateExpression: `SET #status = :status, steps.#step = :value, updated_at = :at${error ? ', #error = :error' : ''} REMOVE next_action, action_expires_at`,
          ConditionExpression: '#status = :waiting',
          ExpressionAttributeNames: { '#status': 'status', '#step': step, ...(error ? { '#error': 'error' } : {}) },
          ExpressionAttributeValues: { ':status': outcome.status, ':value': value, ':waiting': 'requires_action', ':at': now(), ...(error ? { ':error': error } : {}) },
        }),
      );
      return true;
    } catch (caught) {
      if (isConditionFailure(caught)) return false;
      throw caught;
    }
  }

  async recordPaymentSettlement(jobId: string, step: 'payment' | 'verification', paymentId: string, from: string, to: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: jobId },
          UpdateExpression: 'SET steps.#step.payment_status = :to, updated_at = :at',
          ConditionExpression: 'steps.#step.payment_id = :payment AND steps.#step.payment_status = :from',
          ExpressionAttributeNames: { '#step': step },
          ExpressionAttributeValues: { ':to': to, ':from': from, ':payment': paymentId, ':at': now() },
        }),
      );
      return true;
    } catch (caught) {
      if (isConditionFailure(caught)) return false;
      throw caught;
    }
  }

  async release(jobId: string, owner: string): Promise<void> {
    await this.ownedUpdate(jobId, owner, 'SET updated_at = :at REMOVE lease_owner, lease_until', {}, {});
  }

  async failUnlessFinished(jobId: string, error: JobError, initial?: () => JobRecord): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: jobId },
          UpdateExpression: 'SET #status = :failed, #error = :error, updated_at = :at REMOVE lease_owner, lease_until',
          ConditionExpression: 'attribute_exists(job_id) AND #status IN (:queued, :processing)',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: { ':failed': 'failed', ':error': error, ':queued': 'queued', ':processing': 'processing', ':at': now() },
        }),
      );
      return;
    } catch (caught) {
      if (!isConditionFailure(caught)) throw caught;
    }
    if (!initial || (await this.get(jobId))) return;
    try {
      await this.create({ ...initial(), status: 'failed', error });
    } catch (caught) {
      // Created meanwhile by another run: that run decides the job's fate.
      if (!(caught instanceof JobExistsError)) throw caught;
    }
  }

  async holdPaymentMethod(paymentMethodId: string, jobId: string): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { job_id: holdKey(paymentMethodId), kind: 'payment_method_hold', holder_job_id: jobId, expires_at: Math.floor(Date.now() / 1000) + JOB_RECORD_TTL_DAYS * 86_400 },
          ConditionExpression: 'attribute_not_exists(job_id) OR holder_job_id = :job',
          ExpressionAttributeValues: { ':job': jobId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async paymentMethodHolder(paymentMethodId: string): Promise<string | undefined> {
    return (await this.holdRecord(paymentMethodId))?.holder_job_id as string | undefined;
  }

  async markSetUpForOffSession(paymentMethodId: string): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { job_id: holdKey(paymentMethodId) },
        UpdateExpression: 'SET off_session_ready_at = if_not_exists(off_session_ready_at, :at)',
        ExpressionAttributeValues: { ':at': now() },
      }),
    );
  }

  async isSetUpForOffSession(paymentMethodId: string): Promise<boolean> {
    return typeof (await this.holdRecord(paymentMethodId))?.off_session_ready_at === 'string';
  }

  /** A payment method's uniqueness record: the job that holds it, and whether it is set up for MITs. */
  private async holdRecord(paymentMethodId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { job_id: holdKey(paymentMethodId) }, ConsistentRead: true }));
    return Item;
  }

  async amendFailedJob<K extends 'payment_method' | 'payment' | 'verification'>(jobId: string, step: K, value: NonNullable<JobSteps[K]>): Promise<void> {
    const idField = step === 'payment_method' ? 'payment_method_id' : 'payment_id';
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { job_id: jobId },
        UpdateExpression: 'SET steps.#step = :value, updated_at = :at',
        ConditionExpression: '#status = :failed AND attribute_not_exists(steps.#step.#id)',
        ExpressionAttributeNames: { '#step': step, '#status': 'status', '#id': idField },
        ExpressionAttributeValues: { ':value': value, ':failed': 'failed', ':at': now() },
      }),
    );
  }

  /** A write only the lease owner may make; with `returnRecord`, the record as the write left it (no second read). */
  private async ownedUpdate(jobId: string, owner: string, expression: string, names: Record<string, string>, values: Record<string, unknown>): Promise<void>;
  private async ownedUpdate(jobId: string, owner: string, expression: string, names: Record<string, string>, values: Record<string, unknown>, options: { returnRecord: true }): Promise<JobRecord>;
  private async ownedUpdate(jobId: string, owner: string, expression: string, names: Record<string, string>, values: Record<string, unknown>, options?: { returnRecord: true }): Promise<JobRecord | void> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: jobId },
          UpdateExpression: expression,
          ConditionExpression: 'lease_owner = :owner',
          ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
          ExpressionAttributeValues: { ...values, ':owner': owner, ':at': now() },
          ...(options?.returnRecord ? { ReturnValues: 'ALL_NEW' as const } : {}),
        }),
      );
      if (options?.returnRecord) return Attributes as JobRecord;
    } catch (error) {
      if (isConditionFailure(error)) throw new LeaseLostError(jobId);
      throw error;
    }
  }
}
