/**
 * The functions' metrics on the real local stack: what each flow emits (EMF lines among the logs),
 * and that no dimension ever carries an id.
 */
import { randomBytes } from 'node:crypto';
import { LOCAL_API_KEYS } from '../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';
import { validCheckout } from '../fixtures/checkouts';
import { metricsIn } from '../helpers/metrics';

jest.setTimeout(120_000);

let stack: StackProcess;
beforeAll(async () => {
  stack = await startStackProcess();
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` };
  const accepted = await stack.request('/checkouts', { method: 'POST', headers, body: JSON.stringify(validCheckout()) });
  await stack.request('/checkouts', { method: 'POST', headers, body: JSON.stringify({ ...validCheckout(), card: { ...validCheckout().card, number: '0000000000000000' } }) });
  // A plain card without a job id is dropped; a message without a job id dead-letters after five receives.
  await stack.sendRaw('card=4111111111111111&cvc=737');
  await stack.sendRaw(JSON.stringify({ schema: 'vault-job/v1', note: `no job id ${randomBytes(2).toString('hex')}` }));
  // A card create that fails before acting: the job comes back (a redelivery).
  await stack.script([{ kind: 'server_error', route: 'POST /v2/payment-methods' }, { kind: 'server_error', route: 'POST /v2/payment-methods' }, { kind: 'server_error', route: 'POST /v2/payment-methods' }]);
  const redelivered = await stack.request('/checkouts', { method: 'POST', headers, body: JSON.stringify(validCheckout()) });
  await eventually(() => stack.jobs(), (jobs) => [accepted.body.job_id, redelivered.body.job_id].every((id) => jobs.some((job) => job.job_id === id && job.status === 'succeeded')), 60_000);
  await eventually(async () => metricsIn(stack.output().split('\n')), (metrics) => metrics.some(({ name }) => name === 'DeadLetters'), 60_000, 500);
});
afterAll(() => stack?.stop());

const emitted = () => metricsIn(stack.output().split('\n'));
const named = (name: string) => emitted().filter((metric) => metric.name === name);

describe('metrics of the flows', () => {
  it('counts accepted checkouts and refused requests by route and code', () => {
    expect(named('JobsAccepted')).toEqual(expect.arrayContaining([expect.objectContaining({ dimensions: expect.objectContaining({ route: 'checkout', stage: 'local' }) })]));
    expect(named('ApiErrors')).toEqual([expect.objectContaining({ dimensions: expect.objectContaining({ route: 'POST /checkouts', code: 'validation_failed' }) })]);
  });

  it('counts finished jobs, their latency, Hyperswitch calls by status class, redeliveries and cold starts', () => {
    expect(named('JobsFinished').map(({ dimensions }) => dimensions.status)).toContain('succeeded');
    expect(named('JobLatency').length).toBeGreaterThanOrEqual(2);
    expect(named('HyperswitchCalls').map(({ dimensions }) => dimensions.status)).toEqual(expect.arrayContaining(['2xx', '5xx']));
    const calls = named('HyperswitchCallsByOperation').map(({ dimensions }) => `${dimensions.operation} ${dimensions.status}`);
    expect(calls).toEqual(expect.arrayContaining(['customers.create 2xx', 'paymentMethods.create 5xx', 'paymentMethods.create 2xx']));
    expect(named('Redeliveries').length).toBeGreaterThan(0);
    expect(named('ColdStart').length).toBeGreaterThan(0);
  });

  it('counts plain-card drops and dead letters', () => {
    expect(named('PlainCardDrops')).toHaveLength(1);
    expect(named('DeadLetters')).toHaveLength(1);
  });

  it('never puts an id, or anything about a card, in a dimension', () => {
    const values = emitted().flatMap(({ dimensions }) => Object.entries(dimensions).filter(([name]) => name !== 'function_name').map(([, value]) => value));
    expect(values.length).toBeGreaterThan(50);
    for (const value of values) expect(value).not.toMatch(/[0-9a-f]{8}|_cus_|_pm_|_pay_|job_/);
  });
});
