/** `npm run simulator`: the Hyperswitch simulator on HYPERSWITCH_SIM_PORT (default 8181). */
import { SIM_DEFAULTS, startSimulator } from './server';

async function main(): Promise<void> {
  const env = process.env;
  const simulator = await startSimulator({
    port: Number(env.HYPERSWITCH_SIM_PORT ?? SIM_DEFAULTS.port),
    vaultApiKey: env.HYPERSWITCH_SIM_VAULT_API_KEY,
    paymentApiKey: env.HYPERSWITCH_SIM_PAYMENT_API_KEY,
    profileId: env.HYPERSWITCH_SIM_PROFILE_ID,
  });
  console.log(`Hyperswitch simulator listening on ${simulator.url}`);
  console.log(`  vault API key and payment API key: see HYPERSWITCH_SIM_VAULT_API_KEY / HYPERSWITCH_SIM_PAYMENT_API_KEY (local fakes by default)`);
  console.log(`  inspect: GET ${simulator.url}/__sim/inspect · faults: PUT ${simulator.url}/__sim/faults · reset: POST ${simulator.url}/__sim/reset`);
  const stop = () => {
    simulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('Hyperswitch simulator failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
