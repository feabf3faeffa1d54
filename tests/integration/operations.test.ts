/**
 * The operations scripts against the real local stack, as docs/operations.md uses them:
 * `npm run job` shows a job's record and its log lines; `npm run redrive` counts and moves dead
 * letters back, after which the worker runs the jobs they hold. The stack runs with its dead-letter
 * consumer disabled, as an operator would find it when that function is broken.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOCAL_API_KEYS } from '../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';
import { validCheckout } from '../fixtures/checkouts';

jest.setTimeout(120_000);

const root = join(__dirname, '../..');
let stack: StackProcess;
let scratch: string;

beforeAll(async () => {
  stack = await startStackProcess({ LOCAL_DISABLED_CONSUMERS: 'deadLetter' });
  scratch = mkdtempSync(join(tmpdir(), 's2s-vault-ops-'));
});
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await stack?.stop();
});

/** An npm script as a person runs it: its own process, the stack's ports in the environment. */
async function script(name: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), `scripts/${name}.ts`, ...args], {
    cwd: root,
    env: { ...process.env, ...stack.stageEnv },
    timeout: 60_000,
  });
  return run.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('npm run job', () => {
  it("prints a job's record and its log lines, with no card number", async () => {
    const accepted = await stack.request('/checkouts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` },
      body: JSON.stringify(validCheckout()),
    });
    const jobId: string = accepted.body.job_id;
    await eventually(() => stack.job(jobId), (job) => job?.status === 'succeeded');

    const { code, stdout } = await script('job', jobId, '--stage', 'local');
    expect(code).toBe(0);
    const [record, lines] = stdout.split('\nLog lines');
    expect(JSON.parse(record!)).toMatchObject({ job_id: jobId, status: 'succeeded', card: { last4: '4242' } });
    const logged = lines!.split('\n').filter((line) => line.startsWith('{'));
    // At INFO a job logs its acceptance and one summary of its run (per-call lines are DEBUG).
    expect(logged.map((line) => JSON.parse(line).message)).toEqual(expect.arrayContaining(['Checkout accepted', 'Vault job finished']));
    expect(JSON.parse(logged.find((line) => line.includes('Vault job finished'))!)).toMatchObject({ status: 'succeeded', calls: 2, stepMs: { customer: expect.any(Number), payment_method: expect.any(Number) }, paymentMethodId: expect.stringMatching(/_pm_/) });
    expect(logged.every((line) => line.includes(jobId))).toBe(true);
    expect(stdout).not.toMatch(/4242\s?4242\s?4242\s?4242/);
  });

  it('says so, and fails, for a job it does not know; refuses what is not a job id', async () => {
    const unknown = await script('job', 'job_0000000000000000000000000000', '--stage', 'local');
    expect(unknown).toMatchObject({ code: 1, stdout: expect.stringContaining('No job job_0000000000000000000000000000') });
    const invalid = await script('job', 'not a job id');
    expect(invalid).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a job id') });
  });
});

describe('npm run redrive', () => {
  it('counts the dead letters with --dry-run, then moves them back, and the worker runs their jobs', async () => {
    const jobId = `ops-redrive-${Date.now()}`;
    const file = join(scratch, 'job.json');
    writeFileSync(file, JSON.stringify({ job_id: jobId, ...validCheckout() }));
    const deadLetterQueue = stack.queueUrl.replace(/vault-jobs$/, 'vault-jobs-dlq');
    const published = await promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/publish-job.ts', '--local', file], {
      cwd: root,
      env: { ...process.env, ...stack.stageEnv, VAULT_JOBS_QUEUE_URL: deadLetterQueue },
    });
    expect(JSON.parse(published.stdout)).toMatchObject({ job_id: jobId });

    const counted = await script('redrive', '--stage', 'local', '--dry-run');
    expect(counted).toMatchObject({ code: 0, stdout: expect.stringContaining('s2s-vault-local-vault-jobs-dlq: 1 message(s) would move to s2s-vault-local-vault-jobs\n') });
    // Every DLQ of serverless.yml, each to its own queue.
    expect(counted.stdout).toContain('s2s-vault-local-webhook-deliveries-dlq: 0 message(s) would move to s2s-vault-local-webhook-deliveries\n');
    expect(await stack.job(jobId)).toBeUndefined();

    const moved = await script('redrive', '--stage', 'local');
    expect(moved).toMatchObject({ code: 0, stdout: expect.stringContaining('s2s-vault-local-vault-jobs-dlq: moved 1 message(s) to s2s-vault-local-vault-jobs\n') });
    await eventually(() => stack.job(jobId), (job) => job?.status === 'succeeded', 30_000);
    expect(await script('redrive', '--stage', 'local', '--dry-run')).toMatchObject({ stdout: expect.stringContaining(': 0 message(s)') });
  });

  it('needs a stage', async () => {
    expect(await script('redrive')).toMatchObject({ code: 1, stderr: expect.stringContaining('usage: npm run redrive -- --stage <stage>') });
  });
});
