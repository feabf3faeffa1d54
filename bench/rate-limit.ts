/** The rate limiter: a backlog against Hyperswitch's 80 requests/s, ours against a naive loop. */
import { randomBytes } from 'node:crypto';
import { HyperswitchTransport, VaultClient } from '../lib/hyperswitch';
import { collectMetrics } from '../lib/metrics';
import { SIM_DEFAULTS, startSimulator } from '../local/hyperswitch-sim/server';
import { cardOf } from './bare-calls';
import { record, round } from './figures';
import { allSucceeded, benchStack, ourWorker, workerBlock } from './worker-stack';

/** A backlog against Hyperswitch's 80 requests/s: our worker (rate limiter on) versus a naive unthrottled loop. */
export async function rateLimitDiscipline(jobs: number): Promise<void> {
  const calls = jobs * 2;
  // Naive: the client alone, 20 at a time, no limiter.
  const simulator = await startSimulator({ port: 0 });
  simulator.faults.configure({ rateLimitPerSecond: 80, retryAfterSeconds: 1 });
  const transport = new HyperswitchTransport({ baseUrl: simulator.url, timeoutMs: 5_000, log: { debug() {}, info() {}, warn() {}, error() {} }, retry: { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 2_000 } });
  const vault = new VaultClient(transport, { secretId: 'naive', get: async () => ({ api_key: SIM_DEFAULTS.vaultApiKey, profile_id: SIM_DEFAULTS.profileId }), invalidate: () => undefined });
  let next = 0;
  let lostNaive = 0;
  const naiveStarted = performance.now();
  // The client's metrics, packed as in one invocation: a few lines on the bench's stdout, not one per call.
  await collectMetrics(() =>
    Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < jobs) {
          next += 1;
          try {
            const customer = await vault.createCustomer({ name: 'Jane Doe', email: 'jane@example.com' });
            await vault.createPaymentMethod(cardOf(customer.id));
          } catch {
            lostNaive += 1;
          }
        }
      }),
    ),
  );
  const naiveSeconds = (performance.now() - naiveStarted) / 1000;
  const naive429 = simulator.inspect().faults_injected.rate_limited;
  await simulator.close();

  // The emulators and the simulator apart, as for the throughput: the stack's process runs our functions only.
  const stack = await benchStack({});
  try {
    await stack.faults({ rateLimitPerSecond: 80, retryAfterSeconds: 1 });
    const ids = Array.from({ length: jobs }, (_, i) => `bench-rl-${i}-${randomBytes(3).toString('hex')}`);
    const { seconds } = await workerBlock(stack, ourWorker(stack), ids);
    await allSucceeded(stack, ids);
    const ours429 = (await stack.inspect()).faults_injected.rate_limited;
    const floor = calls / 80;
    record({
      name: 'rate_limit_discipline',
      ours: ours429,
      baseline: naive429,
      ratio: naive429 === 0 ? 0 : ours429 / naive429,
      target: 'no lost job, fewer 429s than naive, time ≤ 1.2 × calls/80 s',
      met: ours429 < naive429 && seconds <= 1.2 * floor,
      unit: '429s',
      detail: `ours ${jobs}/${jobs} jobs in ${round(seconds, 1)} s (floor ${round(floor, 1)} s, ×${round(seconds / floor)}); naive ${round(naiveSeconds, 1)} s, ${lostNaive} jobs lost`,
    });
  } finally {
    await stack.stop();
  }
}
