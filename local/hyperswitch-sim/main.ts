/** `npm run simulator`: the Hyperswitch simulator on HYPERSWITCH_SIM_PORT (default 8181). */
import { runUntilSignalled } from '../process';
import { SIM_DEFAULTS, startSimulator } from './server';

runUntilSignalled('Hyperswitch simulator', async () => {
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
  return { stop: () => simulator.close() };
});
