/** `npm run simulator`: the Hyperswitch simulator on HYPERSWITCH_SIM_PORT (default 8181). */
import { runUntilSignalled } from '../process';
import { LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY } from '../stack';
import { SIM_DEFAULTS, startSimulator } from './server';

runUntilSignalled('Hyperswitch simulator', async () => {
  const env = process.env;
  const simulator = await startSimulator({
    port: Number(env.HYPERSWITCH_SIM_PORT ?? SIM_DEFAULTS.port),
    vaultApiKey: env.HYPERSWITCH_SIM_VAULT_API_KEY,
    paymentApiKey: env.HYPERSWITCH_SIM_PAYMENT_API_KEY,
    profileId: env.HYPERSWITCH_SIM_PROFILE_ID,
    // Hyperswitch's webhooks for the payments it changes, when a receiver is given (e.g. the local stack's API).
    ...(env.HYPERSWITCH_SIM_WEBHOOK_URL ? { webhooks: { url: env.HYPERSWITCH_SIM_WEBHOOK_URL, hashKey: env.HYPERSWITCH_WEBHOOK_HASH_KEY ?? LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY } } : {}),
  });
  console.log(`Hyperswitch simulator listening on ${simulator.url}`);
  console.log(`  vault API key and payment API key: see HYPERSWITCH_SIM_VAULT_API_KEY / HYPERSWITCH_SIM_PAYMENT_API_KEY (local fakes by default)`);
  console.log(`  inspect: GET ${simulator.url}/__sim/inspect · faults: PUT ${simulator.url}/__sim/faults · reset: POST ${simulator.url}/__sim/reset`);
  return { stop: () => simulator.close() };
});
