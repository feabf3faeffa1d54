/**
 * The leak scan: drive the flows (checkouts and charges, declines, faults, bad input carrying card
 * numbers, a producer's plain-card message) through the real local stack with test cards and CVCs,
 * then scan every log line, every record in the table, every message left in the queues and every
 * HTTP answer for card numbers, CVCs and secret values.
 */
import { randomBytes } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SIM_DEFAULTS } from '../../local/hyperswitch-sim/server';
import { LOCAL_API_KEYS, LOCAL_CARD_KEYS, LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY, LOCAL_WEBHOOK } from '../../local/stack';
import { validCheckout } from '../fixtures/checkouts';
import { scan } from '../leaks/scanner';
import { startStackProcess, type StackProcess } from '../../local/stack-process';

jest.setTimeout(120_000);

let stack: StackProcess;
const answers: string[] = [];
const pk = { Authorization: `Bearer ${LOCAL_API_KEYS.publishable}`, 'Content-Type': 'application/json' };
const sk = { Authorization: `Bearer ${LOCAL_API_KEYS.server}`, 'Content-Type': 'application/json' };

async function call(path: string, init: RequestInit) {
  const answer = await stack.request(path, init);
  answers.push(answer.text);
  return answer;
}

beforeAll(async () => {
  stack = await startStackProcess();
  const body = validCheckout();
  const flows = [
    body,
    { ...body, charge: { amount: 6540, currency: 'USD' }, tokenization: { psp: true, network: true } },
    { ...body, card: { ...body.card, number: '4111 1111 1111 1111', cvc: '737' }, charge: { amount: 100, currency: 'EUR' } },
    { ...body, card: { ...body.card, number: '4000000000000002' }, charge: { amount: 100, currency: 'EUR' } },
  ];
  await stack.faults({ rates: { act_then_fail: 0.15, server_error: 0.1, timeout: 0.05 }, seed: 3, retryAfterSeconds: 0 });
  const jobs = [];
  for (const [i, flow] of flows.entries()) {
    for (let n = 0; n < 3; n++) jobs.push((await call('/checkouts', { method: 'POST', headers: { ...pk, 'Idempotency-Key': `leak-${i}-${n}` }, body: JSON.stringify(flow) })).body);
  }
  // Bad input that carries card data in places it must never come back from.
  await call('/checkouts', { method: 'POST', headers: pk, body: JSON.stringify({ ...body, card: { ...body.card, number: '4242424242424241' } }) });
  await call('/checkouts', { method: 'POST', headers: pk, body: JSON.stringify({ ...body, card_number: '4242424242424242', cvc: '123' }) });
  await call('/checkouts', { method: 'POST', headers: pk, body: JSON.stringify({ ...body, metadata: { note: '4111-1111-1111-1111' } }) });
  await call('/checkouts', { method: 'POST', headers: pk, body: `{"card": {"number": "4242424242424242", "cvc": "123"` });
  await call('/checkouts', { method: 'POST', headers: { ...pk, 'Content-Type': 'text/plain' }, body: 'number=4242424242424242&cvc=123' });
  await call('/checkouts', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer 4242424242424242' }, body: JSON.stringify(body) });
  // A producer publishing a plain card, with and without a job id.
  await stack.sendRaw(JSON.stringify({ schema: 'vault-job/v1', job_id: `plain-${randomBytes(4).toString('hex')}`, card: { number: '4242424242424242', cvc: '123' } }));
  await stack.sendRaw('card=4111111111111111&cvc=737');
  await stack.settled();
  await stack.faults({});
  // Manage a saved card: PATCH a fresh CVC, charge it later.
  const done = (await call(`/jobs/${jobs[1].job_id}`, { headers: sk })).body;
  const pm = done.steps.payment_method.payment_method_id;
  await call(`/payment-methods/${pm}`, { method: 'PATCH', headers: sk, body: JSON.stringify({ cvc: '123', nick_name: 'travel' }) });
  await call('/charges', { method: 'POST', headers: sk, body: JSON.stringify({ customer_id: done.steps.customer.customer_id, payment_method_id: pm, amount: 50, currency: 'USD' }) });
  await call(`/customers/${done.steps.customer.customer_id}/payment-methods`, { headers: sk });
  await call(`/payment-methods/${pm}`, { headers: sk });
  for (const job of jobs) await call(`/jobs/${job.job_id}`, { headers: { 'X-Client-Secret': job.client_secret } });
  await stack.settled();
});
afterAll(() => stack?.stop());

async function leftInQueue(url: string): Promise<string[]> {
  const { Messages = [] } = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }));
  return Messages.map((message) => JSON.stringify(message));
}

describe('the leak scan', () => {
  it('finds no card number, CVC or secret in anything the system wrote, and says what it read', async () => {
    const sources = {
      logs: stack.output().split('\n').filter(Boolean),
      job_records: (await stack.jobs()).map((job) => JSON.stringify(job)),
      queue_messages: (
        await Promise.all(['vault-jobs', 'webhook-deliveries', 'hyperswitch-events'].flatMap((queue) => [queue, `${queue}-dlq`]).map((queue) => leftInQueue(stack.queueUrl.replace(/vault-jobs$/, queue))))
      ).flat(),
      // The events table through its API: every payload the merchant is sent, and its delivery attempts.
      events: ((await stack.request('/events?limit=100', { headers: { Authorization: `Bearer ${LOCAL_API_KEYS.server}` } })).body.data as unknown[]).map((event) => JSON.stringify(event)),
      http_answers: answers,
    };
    const secrets = [
      LOCAL_API_KEYS.server,
      LOCAL_API_KEYS.publishable,
      SIM_DEFAULTS.vaultApiKey,
      SIM_DEFAULTS.paymentApiKey,
      LOCAL_CARD_KEYS.hmac_key,
      ...Object.values(LOCAL_CARD_KEYS.keys),
      LOCAL_WEBHOOK.secret,
      LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY,
    ];
    const report = scan(sources, secrets);
    console.error(`leak scan read: ${JSON.stringify(report.counts)}`);
    expect(report.findings).toEqual([]);
    expect(report.counts.logs!.items).toBeGreaterThan(50);
    // The metrics (EMF lines among the logs) are scanned too.
    expect(sources.logs.filter((line) => line.includes('"_aws"')).length).toBeGreaterThan(10);
    expect(report.counts.job_records!.items).toBeGreaterThanOrEqual(14);
    expect(report.counts.http_answers!.items).toBeGreaterThan(20);
    expect(report.counts.events!.items).toBeGreaterThanOrEqual(10);
    expect(report.findings).toEqual([]);
  });

  it('saw the faults and refusals it meant to provoke', async () => {
    const records = await stack.jobs();
    expect(records.some((job) => job.error?.code === 'card_declined')).toBe(true);
    expect(records.some((job) => job.error?.code === 'plain_card_rejected')).toBe(true);
    expect(stack.output()).toContain('Dropped a message that holds a plain card number');
    expect((await stack.inspect()).faults_injected.act_then_fail).toBeGreaterThan(0);
  });
});
