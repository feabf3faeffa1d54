import { secretsManagerClient } from '../../lib/aws';
import { createHyperswitchClients } from '../../lib/hyperswitch';
import { SecretsManagerSource } from '../../lib/secrets';
import { SIM_DEFAULTS, startSimulator, type HyperswitchSimulator, type SimulatorOptions } from '../../local/hyperswitch-sim/server';
import { LocalSecretsManager } from '../../local/secrets-manager';
import { LOCAL_AWS } from './dynamo';
import { recordingLog } from './log';

export const VAULT_SECRET_ID = 's2s-vault/local/hyperswitch-vault';
export const PAYMENT_SECRET_ID = 's2s-vault/local/hyperswitch-payment';

export function credentialsSecret(apiKey: string, baseUrl: string): string {
  return JSON.stringify({ api_key: apiKey, profile_id: SIM_DEFAULTS.profileId, base_url: baseUrl });
}

/**
 * The real client, reading its keys through the real Secrets Manager path (lib/aws, the local endpoint),
 * against the simulator on a free port.
 */
export async function startHyperswitchStack(options: { timeoutMs?: number; simulator?: Omit<SimulatorOptions, 'port'> } = {}) {
  const simulator: HyperswitchSimulator = await startSimulator({ port: 0, ...options.simulator });
  const secretsManager = new LocalSecretsManager({
    [VAULT_SECRET_ID]: credentialsSecret(SIM_DEFAULTS.vaultApiKey, simulator.url),
    [PAYMENT_SECRET_ID]: credentialsSecret(SIM_DEFAULTS.paymentApiKey, simulator.url),
  });
  const endpoint = await secretsManager.listen();
  const secrets = new SecretsManagerSource({
    client: secretsManagerClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint }),
  });
  const log = recordingLog();
  const env = {
    HYPERSWITCH_VAULT_SECRET_ID: VAULT_SECRET_ID,
    HYPERSWITCH_PAYMENT_SECRET_ID: PAYMENT_SECRET_ID,
    HYPERSWITCH_BASE_URL: 'http://127.0.0.1:1',
    HYPERSWITCH_TIMEOUT_MS: options.timeoutMs ?? 2000,
    HYPERSWITCH_MAX_RETRIES: 2,
    HYPERSWITCH_MAX_RETRY_AFTER_MS: 5_000,
    HYPERSWITCH_RATE_LIMIT_PER_SECOND: 0,
    SECRETS_TTL_SECONDS: 300,
  };
  const clients = createHyperswitchClients(env, secrets, log);
  return {
    simulator,
    secretsManager,
    secrets,
    log,
    env,
    ...clients,
    async close() {
      await Promise.all([simulator.close(), secretsManager.close()]);
    },
  };
}
export type HyperswitchStack = Awaited<ReturnType<typeof startHyperswitchStack>>;

/** A customer, as the vault flow creates one. */
export const customerRequest = (reference?: string) => ({
  name: 'Jane Doe',
  email: 'jane@example.com',
  ...(reference ? { merchant_reference_id: reference } : {}),
});

export const cardRequest = (customerId: string, number = '4242424242424242', extra: { network?: boolean } = {}) => ({
  payment_method_type: 'card' as const,
  payment_method_subtype: 'credit' as const,
  customer_id: customerId,
  storage_type: 'persistent' as const,
  payment_method_data: {
    card: {
      card_number: number,
      card_exp_month: '12',
      card_exp_year: String(new Date().getUTCFullYear() + 3),
      card_holder_name: 'Jane Doe',
      card_issuing_country: 'US' as const,
      card_cvc: '123',
    },
  },
  ...(extra.network ? { network_tokenization: { enable: 'Enable' as const } } : {}),
});

export const paymentRequest = (customerId: string, paymentMethodId: string, reference?: string) => ({
  amount_details: { order_amount: 6540, currency: 'USD' as const },
  customer_id: customerId,
  payment_method_type: 'card' as const,
  payment_method_id: paymentMethodId,
  payment_method_data: { card_token: { card_holder_name: 'Jane Doe' } },
  ...(reference ? { merchant_reference_id: reference } : {}),
});
