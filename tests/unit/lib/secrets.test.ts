import type { SecretsManager } from '../../../lib/aws';
import { SecretError } from '../../../lib/errors';
import { hyperswitchCredentialsSchema, parseSecret, SecretsManagerSource, typedSecret } from '../../../lib/secrets';

/** Secrets Manager's `GetSecretValue`, answering as each test scripts it. */
const getSecretValue = jest.fn<ReturnType<SecretsManager['getSecretValue']>, [string]>();
const client: SecretsManager = { getSecretValue };
const VALUE = JSON.stringify({ api_key: 'snd_local_fake_key_1', profile_id: 'pro_fake' });

function callsFor(secretId: string): number {
  return getSecretValue.mock.calls.filter(([id]) => id === secretId).length;
}

/** An error as our AWS client raises it: DynamoDB and Secrets Manager name it by the error's code. */
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

async function caught(promise: Promise<unknown>): Promise<SecretError> {
  try {
    await promise;
  } catch (error) {
    return error as SecretError;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  getSecretValue.mockReset();
  jest.useFakeTimers({ now: new Date('2026-11-24T12:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});
afterEach(() => jest.useRealTimers());

describe('SecretsManagerSource', () => {
  it('serves repeated reads from the cache until the TTL passes', async () => {
    getSecretValue.mockResolvedValue({ SecretString: VALUE });
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
    getSecretValue.mockResolvedValue({ SecretString: VALUE });
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
    getSecretValue.mockImplementation(async (id) => ({ SecretString: id === 'vault' ? VALUE : '{"other":1}' }));
    const source = new SecretsManagerSource({ client });
    const reads = await Promise.all([...Array.from({ length: 20 }, () => source.get('vault')), source.get('payment')]);
    expect(reads.slice(0, 20)).toEqual(Array(20).fill(VALUE));
    expect(reads[20]).toBe('{"other":1}');
    expect(callsFor('vault')).toBe(1);
    expect(callsFor('payment')).toBe(1);
  });

  it('fetches afresh after invalidate, once for all concurrent readers', async () => {
    const rotated = JSON.stringify({ api_key: 'snd_local_fake_key_2', profile_id: 'pro_fake' });
    getSecretValue.mockResolvedValueOnce({ SecretString: VALUE }).mockResolvedValue({ SecretString: rotated });
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
    getSecretValue.mockRejectedValue(awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."));
    const error = await caught(new SecretsManagerSource({ client }).get('s2s-vault/missing'));
    expect(error).toBeInstanceOf(SecretError);
    expect(error).toMatchObject({ code: 'secret_not_found', retryable: false, secretId: 's2s-vault/missing' });
    expect(error.message).toBe('Secret s2s-vault/missing does not exist');
  });

  it('reports throttling and network failures as retryable', async () => {
    getSecretValue.mockRejectedValue(awsError('ThrottlingException', 'Rate exceeded'));
    const error = await caught(new SecretsManagerSource({ client }).get('vault'));
    expect(error).toMatchObject({ code: 'secret_unavailable', retryable: true });
  });

  it('does not cache failures', async () => {
    getSecretValue.mockRejectedValueOnce(awsError('TimeoutError', 'reset')).mockResolvedValue({ SecretString: VALUE });
    const source = new SecretsManagerSource({ client });
    await expect(source.get('vault')).rejects.toThrow(SecretError);
    await expect(source.get('vault')).resolves.toBe(VALUE);
  });

  it('refuses a binary secret', async () => {
    getSecretValue.mockResolvedValue({});
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
