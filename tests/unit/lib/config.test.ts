import * as z from 'zod';
import { checkoutEnv, hyperswitchEnv, intentFreshMs, readConfig, workerEnv } from '../../../lib/config';
import { ConfigError } from '../../../lib/errors';

describe('readConfig', () => {
  const required = { HYPERSWITCH_VAULT_SECRET_ID: 'vault', HYPERSWITCH_PAYMENT_SECRET_ID: 'payment' };

  it('applies defaults and coerces numbers', () => {
    const config = readConfig(hyperswitchEnv, { ...required, HYPERSWITCH_TIMEOUT_MS: '2500' });
    expect(config).toEqual({
      ...required,
      HYPERSWITCH_BASE_URL: 'https://sandbox.hyperswitch.io',
      HYPERSWITCH_TIMEOUT_MS: 2500,
      HYPERSWITCH_MAX_RETRIES: 2,
      HYPERSWITCH_MAX_RETRY_AFTER_MS: 5000,
      HYPERSWITCH_RATE_LIMIT_PER_SECOND: 19,
      SECRETS_TTL_SECONDS: 300,
    });
  });

  it('names every missing variable', () => {
    expect(() => readConfig(hyperswitchEnv, {})).toThrow(
      new ConfigError('Invalid configuration: HYPERSWITCH_VAULT_SECRET_ID is not set; HYPERSWITCH_PAYMENT_SECRET_ID is not set'),
    );
  });

  it('names an invalid variable without printing its value', () => {
    const secretLooking = 'not-a-url-sk_live_123';
    let error: unknown;
    try {
      readConfig(hyperswitchEnv, { ...required, HYPERSWITCH_BASE_URL: secretLooking });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('config_invalid');
    expect((error as Error).message).toMatch(/^Invalid configuration: HYPERSWITCH_BASE_URL is invalid/);
    expect((error as Error).message).not.toContain(secretLooking);
  });

  it('requires the worker lease to outlast one Hyperswitch call with its retries', () => {
    const worker = { ...required, JOBS_TABLE_NAME: 't', CARD_KEYS_SECRET_ID: 'k', VAULT_JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/vault-jobs' };
    expect(readConfig(workerEnv, worker).JOB_LEASE_SECONDS).toBe(45);
    expect(() => readConfig(workerEnv, { ...worker, JOB_LEASE_SECONDS: '20' })).toThrow(/JOB_LEASE_SECONDS is invalid: must exceed one Hyperswitch call/);
    const short = readConfig(workerEnv, { ...worker, JOB_LEASE_SECONDS: '3', HYPERSWITCH_TIMEOUT_MS: '800', HYPERSWITCH_MAX_RETRY_AFTER_MS: '0' });
    expect(short.JOB_LEASE_SECONDS).toBe(3);
    // One call's budget is 3 × 800 ms + 100 + 200 ms of backoff: a create may start up to 300 ms after its intent.
    expect(intentFreshMs(short)).toBe(300);
  });

  it('reads return-URL origins as a list of origins, and refuses one with a path', () => {
    const checkout = { JOBS_TABLE_NAME: 't', CARD_KEYS_SECRET_ID: 'k', VAULT_JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/q' };
    expect(readConfig(checkoutEnv, checkout).RETURN_URL_ORIGINS).toEqual([]);
    expect(readConfig(checkoutEnv, { ...checkout, RETURN_URL_ORIGINS: 'https://shop.example, http://localhost:5173' }).RETURN_URL_ORIGINS).toEqual(['https://shop.example', 'http://localhost:5173']);
    expect(() => readConfig(checkoutEnv, { ...checkout, RETURN_URL_ORIGINS: 'https://shop.example/return' })).toThrow(/RETURN_URL_ORIGINS.0 is invalid: must be an origin/);
  });

  it('rejects out-of-range numbers', () => {
    expect(() => readConfig(hyperswitchEnv, { ...required, HYPERSWITCH_MAX_RETRIES: '9' })).toThrow(/HYPERSWITCH_MAX_RETRIES is invalid/);
    expect(() => readConfig(z.object({ N: z.coerce.number().int() }), { N: 'x' })).toThrow(/N is invalid/);
  });
});
