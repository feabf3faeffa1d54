import { retryPolicy, type HyperswitchEnv, type PaymentsApiEnv, type VaultApiEnv } from '../config';
import type { Log } from '../log';
import { hyperswitchCredentialsSchema, typedSecret, type SecretSource } from '../secrets';
import { PaymentsClient, VaultClient } from './client';
import { RateLimiter } from './rate-limit';
import { HyperswitchTransport } from './transport';

export * from './client';
export * from './errors';
export type * from './schemas';
export { HyperswitchTransport, onTheWire, type Credentials } from './transport';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
export { RateLimiter } from './rate-limit';
export * from './webhooks';

function transportFor(env: Omit<VaultApiEnv, 'HYPERSWITCH_VAULT_SECRET_ID'>, log: Log): HyperswitchTransport {
  return new HyperswitchTransport({
    baseUrl: env.HYPERSWITCH_BASE_URL,
    timeoutMs: env.HYPERSWITCH_TIMEOUT_MS,
    retry: retryPolicy(env),
    rateLimiter: env.HYPERSWITCH_RATE_LIMIT_PER_SECOND > 0 ? new RateLimiter(env.HYPERSWITCH_RATE_LIMIT_PER_SECOND) : undefined,
    log,
  });
}

/** The vault client alone, for functions that must never hold the payment key. */
export function createVaultClient(env: VaultApiEnv, secrets: SecretSource, log: Log): VaultClient {
  return new VaultClient(transportFor(env, log), typedSecret(secrets, env.HYPERSWITCH_VAULT_SECRET_ID, hyperswitchCredentialsSchema));
}

/** The payments client alone, for functions that must never hold the vault key. */
export function createPaymentsClient(env: PaymentsApiEnv, secrets: SecretSource, log: Log): PaymentsClient {
  return new PaymentsClient(transportFor(env, log), typedSecret(secrets, env.HYPERSWITCH_PAYMENT_SECRET_ID, hyperswitchCredentialsSchema));
}

/**
 * The two clients over one connection pool. Each reads its own secret: the vault key can only reach
 * customers and payment methods, the payment key only payments.
 */
export function createHyperswitchClients(env: HyperswitchEnv, secrets: SecretSource, log: Log) {
  const transport = transportFor(env, log);
  return {
    vault: new VaultClient(transport, typedSecret(secrets, env.HYPERSWITCH_VAULT_SECRET_ID, hyperswitchCredentialsSchema)),
    payments: new PaymentsClient(transport, typedSecret(secrets, env.HYPERSWITCH_PAYMENT_SECRET_ID, hyperswitchCredentialsSchema)),
  };
}
