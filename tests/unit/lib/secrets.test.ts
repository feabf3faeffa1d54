import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretError } from '../../../lib/errors';
import { hyperswitchCredentialsSchema, parseSecret, SecretsManagerSource, typedSecret } from '../../../lib/secrets';

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } });
const VALUE = JSON.stringify({ api_key: 'snd_local_fake_key_1', profile_id: 'pro_fake' });

function callsFor(secretId: string): number {
  return sm.commandCalls(GetSecretValueCommand, { SecretId: secretId }).length;
}

async function caught(promise: Promise<unknown>): Promise<SecretError> {
  try {
    await promise;
  } catch (error) {
    return error as SecretError;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  sm.reset();
  jest.useFakeTimers({ now: new Date('2026-11-24T12:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});
afterEach(() => jest.useRealTimers());

describe('SecretsManagerSource', () => {
  it('serves repeated reads from the cache until the TTL passes', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALUE });
    const source = new SecretsManagerSource({ ttlSeconds: 60, client });
    await source.get('vault');
    await source.get('vault');
    jest.advanceTimersByTime(59_000);
    await source.get('vault');
    expect(callsFor('vault')).toBe(1);
    jest.advanceTimersByTime(2_000);
    await expect(source.get('vault')).resolves.toBe(VALUE);
    expect(callsFor('vault')).toBe(2);
  });

  it('defaults the TTL to five minutes', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALUE });
    const source = new SecretsManagerSource({ client });
    await source.get('vault');
    jest.advanceTimersByTime(299_000);
    await source.get('vault');
    expect(callsFor('vault')).toBe(1);
    jest.advanceTimersByTime(2_000);
    await source.get('vault');
    expect(callsFor('vault')).toBe(2);
  });

  it('coalesces concurrent reads of one secret into one call, and keeps secrets apart', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'vault' }).resolves({ SecretString: VALUE });
    sm.on(GetSecretValueCommand, { SecretId: 'payment' }).resolves({ SecretString: '{"other":1}' });
    const source = new SecretsManagerSource({ client });
    const reads = await Promise.all([...Array.from({ length: 20 }, () => source.get('vault')), source.get('payment')]);
    expect(reads.slice(0, 20)).toEqual(Array(20).fill(VALUE));
    expect(reads[20]).toBe('{"other":1}');
    expect(callsFor('vault')).toBe(1);
    expect(callsFor('payment')).toBe(1);
  });

  it('fetches afresh after invalidate, once for all concurrent readers', async () => {
    const rotated = JSON.stringify({ api_key: 'snd_local_fake_key_2', profile_id: 'pro_fake' });
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: VALUE }).resolves({ SecretString: rotated });
    const source = new SecretsManagerSource({ client });
    await expect(source.get('vault')).resolves.toBe(VALUE);
    source.invalidate('vault');
    const reads = await Promise.all([source.get('vault'), source.get('vault'), source.get('vault')]);
    expect(reads).toEqual([rotated, rotated, rotated]);
    expect(callsFor('vault')).toBe(2);
    await source.get('vault');
    expect(callsFor('vault')).toBe(2);
  });

  it('reports a missing secret by name, not retryable', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    const error = await caught(new SecretsManagerSource({ client }).get('s2s-vault/missing'));
    expect(error).toBeInstanceOf(SecretError);
    expect(error).toMatchObject({ code: 'secret_not_found', retryable: false, secretId: 's2s-vault/missing' });
    expect(error.message).toBe('Secret s2s-vault/missing does not exist');
  });

  it('reports throttling and network failures as retryable', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sm.on(GetSecretValueCommand).rejects(throttled);
    const error = await caught(new SecretsManagerSource({ client }).get('vault'));
    expect(error).toMatchObject({ code: 'secret_unavailable', retryable: true });
  });

  it('does not cache failures', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(Object.assign(new Error('reset'), { name: 'TimeoutError' })).resolves({ SecretString: VALUE });
    const source = new SecretsManagerSource({ client });
    await expect(source.get('vault')).rejects.toThrow(SecretError);
    await expect(source.get('vault')).resolves.toBe(VALUE);
  });

  it('refuses a binary secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const error = await caught(new SecretsManagerSource({ client }).get('vault'));
    expect(error).toMatchObject({ code: 'secret_malformed' });
  });
});

describe('parseSecret', () => {
  it('returns the typed value', () => {
    expect(parseSecret('vault', VALUE, hyperswitchCredentialsSchema)).toEqual({ api_key: 'snd_local_fake_key_1', profile_id: 'pro_fake' });
  });

  it('says the JSON is invalid without quoting it', () => {
    const raw = 'api_key=snd_local_fake_secret_value';
    let error: unknown;
    try {
      parseSecret('vault', raw, hyperswitchCredentialsSchema);
    } catch (caughtError) {
      error = caughtError;
    }
    expect(error).toMatchObject({ code: 'secret_malformed', message: 'Secret vault is not valid JSON' });
    expect(JSON.stringify(error) + String(error)).not.toContain('snd_local_fake_secret_value');
  });

  it('names wrong and missing fields without their values', () => {
    const raw = JSON.stringify({ api_key: 42, base_url: 'snd_local_fake_secret_value' });
    expect(() => parseSecret('vault', raw, hyperswitchCredentialsSchema)).toThrow(
      'Secret vault is malformed: invalid or missing api_key, profile_id, base_url',
    );
  });
});

describe('typedSecret', () => {
  it('parses every read and forwards invalidate to its source', async () => {
    const reads: string[] = [];
    const invalidated: string[] = [];
    const source = {
      get: async (id: string) => {
        reads.push(id);
        return VALUE;
      },
      invalidate: (id: string) => invalidated.push(id),
    };
    const secret = typedSecret(source, 'vault-id', hyperswitchCredentialsSchema);
    await expect(secret.get()).resolves.toMatchObject({ api_key: 'snd_local_fake_key_1' });
    secret.invalidate();
    expect(reads).toEqual(['vault-id']);
    expect(invalidated).toEqual(['vault-id']);
  });
});
