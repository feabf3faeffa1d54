/**
 * The fault-injection suite, 100-job version (`npm run test:faults` runs 1000): every kind of
 * simulator fault (late commits and resets after write included), duplicate and concurrent
 * deliveries, and worker crashes at step boundaries, and still one customer, one payment method and
 * at most one payment per job, every card and payment named by its job, no job lost or stuck.
 */
import { HARM, runFaultSuite, type FaultSummary } from '../faults/suite';

jest.setTimeout(600_000);

let summary: FaultSummary;
beforeAll(async () => {
  // As after trying `npm start` with one's own keys: the suite's stack must keep its own.
  const shell = { S2S_VAULT_PUBLISHABLE_KEY: 'pk_test_someone_elses_fake_key', S2S_VAULT_SERVER_KEY: 'sk_test_someone_elses_fake_key' };
  Object.assign(process.env, shell);
  try {
    summary = await runFaultSuite({ jobs: 100, timeoutMs: 480_000 });
  } finally {
    for (const name of Object.keys(shell)) delete process.env[name];
  }
});

describe('100 jobs under faults', () => {
  it('injected faults of every kind', () => {
    const kinds = ['server_error', 'rate_limit', 'timeout', 'act_then_fail', 'act_then_reset', 'late_commit', 'latency_spike', 'worker_crash', 'duplicate_delivery'];
    for (const kind of kinds) expect(summary.faults_injected[kind] ?? 0).toBeGreaterThan(0);
    expect(Object.values(summary.faults_injected).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(50);
  });

  it.each(HARM)('%s: 0', (counter) => {
    expect(summary[counter]).toBe(0);
  });

  it('failed no job whose faults were all transient', () => {
    expect(summary.wrongly_failed_jobs).toBe(0);
    expect(summary.succeeded_jobs + summary.retries_exhausted_jobs + summary.shopper_failed_jobs).toBe(summary.jobs);
  });

  it('ran 3-D Secure and verification jobs among them', () => {
    expect(summary.three_ds_jobs).toBeGreaterThan(0);
    expect(summary.verification_jobs).toBeGreaterThan(0);
  });
});
