/** The Idempotency-Key store on DynamoDB (dynalite): replays, conflicts, races, expiry, release. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataKeys } from '../../../../lib/crypto';
import { HttpError } from '../../../../lib/http/errors';
import { canonicalJson, DynamoDbIdempotencyStore, IDEMPOTENCY_TTL_SECONDS, idempotencyKey, requestFingerprint } from '../../../../lib/jobs';
import { startJobsTable } from '../../../helpers/dynamo';

const keys: DataKeys = { current_key_id: 'k1', keys: { k1: randomBytes(32).toString('base64') }, hmac_key: randomBytes(32).toString('base64') };
let table: Awaited<ReturnType<typeof startJobsTable>>;
let now = Date.now();
let store: DynamoDbIdempotencyStore;

beforeAll(async () => {
  table = await startJobsTable();
  store = new DynamoDbIdempotencyStore(table.tableName, async () => keys, table.client, () => now);
});
afterAll(() => table.close());

const fingerprint = (body: unknown) => requestFingerprint(keys, 'checkout', body);
const body = { card: { number: '4242424242424242' }, amount: 100 };

describe('DynamoDbIdempotencyStore', () => {
  it('answers a repeat of the same request with the first job', async () => {
    const key = randomUUID();
    await expect(store.reserve('checkout', key, fingerprint(body), 'job_first')).resolves.toEqual({ outcome: 'new' });
    await expect(store.reserve('checkout', key, fingerprint({ amount: 100, card: { number: '4242424242424242' } }), 'job_second')).resolves.toEqual({ outcome: 'replay', jobId: 'job_first' });
  });

  it('refuses the same key with another request (409), and keeps keys apart per route', async () => {
    const key = randomUUID();
    await store.reserve('checkout', key, fingerprint(body), 'job_a');
    const error = await store.reserve('checkout', key, fingerprint({ ...body, amount: 101 }), 'job_b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 409, code: 'idempotency_key_reused' });
    await expect(store.reserve('charges', key, fingerprint(body), 'job_c')).resolves.toEqual({ outcome: 'new' });
  });

  it('lets exactly one of many concurrent requests with one key create a job', async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.reserve('checkout', key, fingerprint(body), `job_${i}`)));
    const created = results.map((r, i) => (r.outcome === 'new' ? `job_${i}` : undefined)).filter(Boolean);
    expect(created).toHaveLength(1);
    expect(new Set(results.filter((r) => r.outcome === 'replay').map((r) => (r as { jobId: string }).jobId))).toEqual(new Set(created));
  });

  it('forgets a key after 24 hours, and at once when released', async () => {
    const key = randomUUID();
    await store.reserve('checkout', key, fingerprint(body), 'job_old');
    now += (IDEMPOTENCY_TTL_SECONDS + 1) * 1000;
    await expect(store.reserve('checkout', key, fingerprint({ other: true }), 'job_new')).resolves.toEqual({ outcome: 'new' });
    await store.release('checkout', key);
    await expect(store.reserve('checkout', key, fingerprint(body), 'job_newer')).resolves.toEqual({ outcome: 'new' });
  });

  it('stores neither the key nor the request in the clear', async () => {
    const key = `order-${randomUUID()}`;
    await store.reserve('checkout', key, fingerprint(body), 'job_x');
    const stored = JSON.stringify(await table.scan());
    expect(stored).not.toContain(key);
    expect(stored).not.toContain('4242424242424242');
  });
});

describe('request fingerprints and keys', () => {
  it('ignore key order but not values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(requestFingerprint({ ...keys, hmac_key: randomBytes(32).toString('base64') }, 'checkout', body)).not.toBe(fingerprint(body));
  });

  it('accept 1-255 visible ASCII characters', () => {
    expect(idempotencyKey(undefined)).toBeUndefined();
    expect(idempotencyKey('order-42/attempt:1')).toBe('order-42/attempt:1');
    for (const bad of ['', ' ', 'a b', 'é', 'x'.repeat(256), 'a\r\nX-Injected: 1']) expect(() => idempotencyKey(bad)).toThrow(HttpError);
  });
});
