/**
 * `Idempotency-Key` for the job-creating routes. The same key with the same request within 24 hours
 * answers with the first request's job; the same key with another request is a conflict; concurrent
 * requests with one key create one job (a conditional write decides). The record stores the key and
 * the request only as keyed hashes — never a plain hash of card data.
 *
 * Why not Powertools idempotency: it stores the handler's whole response (here: a client secret) and
 * fingerprints the payload with an unkeyed hash (here: of card data).
 */
import { conditionalWrite, dynamoDbClient, type DocumentTable } from '../aws';
import { keyedHash, type DataKeys } from '../crypto';
import { HttpError } from '../http/errors';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type Reservation = { outcome: 'new' } | { outcome: 'replay'; jobId: string };

export interface IdempotencyStore {
  /** Binds the key to `jobId` unless it is bound already: then the bound job, or a 409 for another request. */
  reserve(scope: string, key: string, fingerprint: string, jobId: string): Promise<Reservation>;
  /** Frees a key whose request failed before its job was queued, so that a retry with it can succeed. */
  release(scope: string, key: string): Promise<void>;
}

/** Canonical JSON (keys sorted at every depth), so that equal requests have equal fingerprints. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The key as a client sends it: 1-255 visible ASCII characters, else 400. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY_PATTERN.test(header)) throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters');
  return header;
}

export function requestFingerprint(keys: DataKeys, scope: string, request: unknown): string {
  return keyedHash(keys, `${scope}:${canonicalJson(request)}`);
}

/** Idempotency records in the jobs table, under keys no job id can take (`idem#…`), with the table's TTL. */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly tableName: string,
    private readonly keys: () => Promise<DataKeys>,
    private readonly documents: DocumentTable = dynamoDbClient(),
    private readonly clock: () => number = Date.now,
  ) {}

  private async itemKey(scope: string, key: string): Promise<string> {
    return `idem#${scope}#${keyedHash(await this.keys(), key)}`;
  }

  async reserve(scope: string, key: string, fingerprint: string, jobId: string): Promise<Reservation> {
    const itemKey = await this.itemKey(scope, key);
    const now = Math.floor(this.clock() / 1000);
    const reserved = await conditionalWrite(
      this.documents.put({
        TableName: this.tableName,
        Item: { job_id: itemKey, kind: 'idempotency', fingerprint, target_job_id: jobId, expires_at: now + IDEMPOTENCY_TTL_SECONDS },
        // DynamoDB's TTL deletes lazily: an expired record counts as absent.
        ConditionExpression: 'attribute_not_exists(job_id) OR expires_at < :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    if (reserved) return { outcome: 'new' };
    const { Item } = await this.documents.get({ TableName: this.tableName, Key: { job_id: itemKey }, ConsistentRead: true });
    if (!Item) throw new HttpError(409, 'idempotency_key_in_use', 'A request with this Idempotency-Key is being processed; retry', { retryable: true });
    if (Item.fingerprint !== fingerprint) {
      throw new HttpError(409, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request');
    }
    return { outcome: 'replay', jobId: Item.target_job_id as string };
  }

  async release(scope: string, key: string): Promise<void> {
    await this.documents.delete({ TableName: this.tableName, Key: { job_id: await this.itemKey(scope, key) } });
  }
}
