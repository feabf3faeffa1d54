/**
 * `npm start`: the local stack on this machine — the Hyperswitch simulator and a local Secrets Manager
 * seeded with fake local credentials for it. Ctrl-C stops everything.
 */
import { SIM_DEFAULTS, startSimulator } from './hyperswitch-sim/server';
import { LocalSecretsManager } from './secrets-manager';

async function main(): Promise<void> {
  const env = process.env;
  const simulator = await startSimulator({ port: Number(env.HYPERSWITCH_SIM_PORT ?? SIM_DEFAULTS.port) });
  const secrets = new LocalSecretsManager({
    's2s-vault/local/hyperswitch-vault': JSON.stringify({ api_key: SIM_DEFAULTS.vaultApiKey, profile_id: SIM_DEFAULTS.profileId, base_url: simulator.url }),
    's2s-vault/local/hyperswitch-payment': JSON.stringify({ api_key: SIM_DEFAULTS.paymentApiKey, profile_id: SIM_DEFAULTS.profileId, base_url: simulator.url }),
  });
  const secretsUrl = await secrets.listen(Number(env.LOCAL_SECRETS_MANAGER_PORT ?? 4584));
  console.log('s2s-vault local stack');
  console.log(`  Hyperswitch simulator   ${simulator.url}   (inspect: ${simulator.url}/__sim/inspect)`);
  console.log(`  Secrets Manager         ${secretsUrl}   (AWS_ENDPOINT_URL_SECRETS_MANAGER)`);
  const stop = () => {
    Promise.all([simulator.close(), secrets.close()]).then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('The local stack failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
