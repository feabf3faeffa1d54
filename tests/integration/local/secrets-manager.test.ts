/** The functions' client and Powertools path against the local Secrets Manager endpoint. */
import { secretsManagerClient, type SecretsManager } from '../../../lib/aws';
import { SecretsManagerSource, typedSecret, hyperswitchCredentialsSchema } from '../../../lib/secrets';
import { LocalSecretsManager } from '../../../local/secrets-manager';
import { LOCAL_AWS } from '../../helpers/dynamo';

let local: LocalSecretsManager;
let client: SecretsManager;
beforeAll(async () => {
  local = new LocalSecretsManager({ 's2s-vault/local/hyperswitch-vault': JSON.stringify({ api_key: 'snd_local_fake_vault', profile_id: 'pro_local' }) });
  const endpoint = await local.listen();
  client = secretsManagerClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint });
});
afterAll(() => local.close());

describe('local Secrets Manager endpoint', () => {
  it('serves GetSecretValue to our client, one call for concurrent readers', async () => {
    const source = new SecretsManagerSource({ client });
    const secret = typedSecret(source, 's2s-vault/local/hyperswitch-vault', hyperswitchCredentialsSchema);
    const values = await Promise.all(Array.from({ length: 10 }, () => secret.get()));
    expect(values.every((v) => v.api_key === 'snd_local_fake_vault')).toBe(true);
    expect(local.calls.get('s2s-vault/local/hyperswitch-vault')).toBe(1);
  });

  it('answers a missing secret the way Secrets Manager does', async () => {
    const source = new SecretsManagerSource({ client });
    await expect(source.get('s2s-vault/local/nope')).rejects.toMatchObject({ name: 'SecretError', code: 'secret_not_found' });
  });

  it('serves a rotated value after invalidate', async () => {
    const source = new SecretsManagerSource({ client });
    local.put('rotating', 'first');
    await expect(source.get('rotating')).resolves.toBe('first');
    local.put('rotating', 'second');
    await expect(source.get('rotating')).resolves.toBe('first');
    source.invalidate('rotating');
    await expect(source.get('rotating')).resolves.toBe('second');
  });

  it('refuses operations it does not serve', async () => {
    const response = await fetch(local.url, { method: 'POST', headers: { 'X-Amz-Target': 'secretsmanager.DeleteSecret' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
