/**
 * The vault flow end to end on the real local stack (`npm start` in a child process): HTTP API →
 * checkout Lambda → SQS → worker → Hyperswitch simulator → DynamoDB → job status.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sqsClient } from '../../lib/aws';
import { encryptJson } from '../../lib/crypto';
import { DEFAULT_MAX_CHARGE_AMOUNT, publishVaultJob, sealVaultJob, SqsJobQueue, vaultRequestSchema, type JobRecord } from '../../lib/jobs';
import { LOCAL_API_KEYS, LOCAL_CARD_KEYS } from '../../local/stack';
import { invalidCheckouts, validCheckout } from '../fixtures/checkouts';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';

jest.setTimeout(60_000);

let stack: StackProcess;
const responses: string[] = [];
beforeAll(async () => {
  stack = await startStackProcess();
});
afterAll(() => stack?.stop());

const publishable = { Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` };
const server = { Authorization: `Bearer ${LOCAL_API_KEYS.server}` };
const json = { 'Content-Type': 'application/json', ...publishable };

async function checkoutRaw(body: string, headers: Record<string, string>) {
  const answer = await stack.request('/checkouts', { method: 'POST', headers, body });
  responses.push(answer.text);
  return answer;
}

const checkout = (body: unknown) => checkoutRaw(JSON.stringify(body), json);

async function status(jobId: string, secret: string) {
  const answer = await stack.request(`/jobs/${jobId}`, { headers: { 'X-Client-Secret': secret } });
  responses.push(answer.text);
  return answer;
}

/** Posts a checkout and waits for its job to end; returns the final status body. */
async function completed(body: unknown) {
  const accepted = await checkout(body);
  expect(accepted.status).toBe(202);
  const { job_id: jobId, client_secret: secret } = accepted.body;
  const final = await eventually(
    () => status(jobId, secret),
    (answer) => ['succeeded', 'failed'].includes(answer.body?.status),
  );
  return final.body;
}

describe('POST /checkouts → job', () => {
  it('answers 202 with the job id, a client secret and where to watch it', async () => {
    const accepted = await checkout(validCheckout());
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({
      job_id: expect.stringMatching(/^job_[0-9a-f]{32}$/),
      client_secret: expect.stringMatching(/^job_[0-9a-f]{32}_secret_/),
      status_url: `/jobs/${accepted.body.job_id}`,
    });
    expect(accepted.headers.get('location')).toBe(accepted.body.status_url);
    expect(accepted.headers.get('x-content-type-options')).toBe('nosniff');
    const first = await status(accepted.body.job_id, accepted.body.client_secret);
    expect(['queued', 'processing', 'succeeded']).toContain(first.body.status);
  });

  it('vaults a card: queued → succeeded with customer and payment-method ids and a masked card', async () => {
    const job = await completed(validCheckout());
    expect(job).toMatchObject({
      status: 'succeeded',
      card: { brand: 'Visa', last4: '4242', exp_month: 12 },
      steps: {
        customer: { status: 'succeeded', customer_id: expect.stringMatching(/_cus_/) },
        payment_method: { status: 'succeeded', payment_method_id: expect.stringMatching(/_pm_/) },
        payment: { status: 'not_requested' },
      },
      error: null,
    });
    expect(JSON.stringify(job)).not.toMatch(/4242424242424242|client_secret|lease/);
  });

  it('vaults and charges with the payment key', async () => {
    await stack.settled();
    const before = await stack.inspect();
    const job = await completed({ ...validCheckout(), charge: { amount: 6540, currency: 'USD', description: 'Order 1' } });
    expect(job).toMatchObject({ status: 'succeeded', charge: { amount: 6540, currency: 'USD' }, steps: { payment: { status: 'succeeded', payment_status: 'succeeded', payment_id: expect.stringMatching(/_pay_/) } } });
    const after = await stack.inspect();
    expect(after.payments - before.payments).toBe(1);
    expect((after.requests['POST /v2/payments']?.by_key.payment ?? 0) - (before.requests['POST /v2/payments']?.by_key.payment ?? 0)).toBe(1);
    expect(after.requests['POST /v2/payments']?.by_key.vault).toBeUndefined();
  });

  it('vaults for an existing customer without creating one', async () => {
    const first = await completed(validCheckout());
    const customerId = first.steps.customer.customer_id;
    await stack.settled();
    const before = await stack.inspect();
    const job = await completed({ ...validCheckout(), customer: { customer_id: customerId } });
    expect(job.steps.customer).toEqual({ status: 'skipped', customer_id: customerId });
    expect((await stack.inspect()).customers).toBe(before.customers);
  });

  it('requests PSP and network tokenization and reports both', async () => {
    await stack.settled();
    const before = await stack.inspect();
    const job = await completed({ ...validCheckout(), tokenization: { psp: true, network: true } });
    expect(job.steps.payment_method).toMatchObject({ psp_token: 'active', network_token: 'active' });
    expect((await stack.inspect()).token_requests.network - before.token_requests.network).toBe(1);
  });

  it('ends a declined charge failed with the decline reason', async () => {
    const body = validCheckout();
    const job = await completed({ ...body, card: { ...body.card, number: '4000000000000002' }, charge: { amount: 100, currency: 'EUR' } });
    expect(job).toMatchObject({ status: 'failed', error: { code: 'card_declined', retryable: false, decline_message: expect.any(String) }, steps: { payment: { status: 'failed' } } });
    expect(job.error.message).toContain('Your card was declined.');
  });
});

describe('Idempotency-Key', () => {
  const post = (key: string, body: unknown) => stack.request('/checkouts', { method: 'POST', headers: { ...json, 'Idempotency-Key': key }, body: JSON.stringify(body) });

  it('answers a repeated request with the first job, and runs it once', async () => {
    const key = `order-${randomBytes(4).toString('hex')}`;
    const before = (await stack.jobs()).length;
    const first = await post(key, validCheckout());
    const second = await post(key, validCheckout());
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect((await stack.jobs()).length).toBe(before + 1);
  });

  it('refuses the same key with a different body (409)', async () => {
    const key = `order-${randomBytes(4).toString('hex')}`;
    await post(key, validCheckout());
    const other = await post(key, { ...validCheckout(), charge: { amount: 100, currency: 'USD' } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('creates one job for concurrent requests with one key', async () => {
    const key = `order-${randomBytes(4).toString('hex')}`;
    const before = (await stack.jobs()).length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(key, validCheckout())));
    expect(new Set(answers.map((a) => a.body.job_id)).size).toBe(1);
    expect((await stack.jobs()).length).toBe(before + 1);
  });

  it('refuses a malformed key', async () => {
    expect((await post('x'.repeat(300), validCheckout())).body.error.code).toBe('invalid_idempotency_key');
  });
});

describe('bad input', () => {
  it.each(invalidCheckouts)('answers 400 to %s, naming the field, enqueuing nothing', async (_, body, path) => {
    const answer = await checkout(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'validation_failed', fields: expect.arrayContaining([expect.objectContaining({ path })]) });
    expect(answer.headers.get('location')).toBeNull();
  });

  it.each([
    ['a body that is not JSON', '{"card": ', json, 400, 'invalid_json'],
    ['an empty body', '', json, 400, 'invalid_json'],
    ['a form-encoded body', 'card=4242424242424242', { 'Content-Type': 'application/x-www-form-urlencoded', ...publishable }, 415, 'unsupported_media_type'],
    ['no content type', JSON.stringify(validCheckout()), publishable, 415, 'unsupported_media_type'],
    ['a body over 16 KB', JSON.stringify({ ...validCheckout(), metadata: { pad: 'x'.repeat(17_000) } }), json, 413, 'payload_too_large'],
  ])('answers %s with our error shape', async (_, body, headers, code, errorCode) => {
    const answer = await checkoutRaw(body, headers);
    expect(answer.status).toBe(code);
    expect(answer.body).toEqual({ error: { code: errorCode, message: expect.any(String) } });
  });

  it('created no job and called no Hyperswitch for any of them', async () => {
    await stack.settled();
    const jobs = await stack.jobs();
    await stack.settled();
    const before = await stack.inspect();
    for (const [, body] of invalidCheckouts.slice(0, 5)) await checkout(body);
    expect(await stack.jobs()).toHaveLength(jobs.length);
    expect((await stack.inspect()).customers).toBe(before.customers);
  });

  it('guards job status: credentials required, a secret bound to its job, unknown jobs 404 to a server key', async () => {
    const a = (await checkout(validCheckout())).body;
    const b = (await checkout(validCheckout())).body;
    expect((await stack.request(`/jobs/${a.job_id}`)).status).toBe(401);
    expect((await status(a.job_id, b.client_secret)).status).toBe(403);
    expect((await status(a.job_id, `${a.job_id}_secret_${'A'.repeat(32)}`)).status).toBe(403);
    const unknown = `job_${'0'.repeat(32)}`;
    // A forged secret is refused before the store is read: an unknown job looks like any other.
    expect((await status(unknown, `${unknown}_secret_${'A'.repeat(32)}`)).status).toBe(403);
    expect((await stack.request(`/jobs/${unknown}`, { headers: server })).status).toBe(404);
    expect((await stack.request('/jobs/..%2F..%2Fetc', { headers: server })).status).toBe(404);
    expect((await stack.request(`/jobs/${a.job_id}`, { headers: server })).body).toMatchObject({ job_id: a.job_id });
    expect((await stack.request(`/jobs/${a.job_id}`, { headers: publishable })).status).toBe(403);
    expect((await status(a.job_id, a.client_secret)).status).toBe(200);
  });
});

describe('merchant backends publishing to SQS', () => {
  const queue = () => new SqsJobQueue(stack.queueUrl, sqsClient(stack.awsEnv));
  const jobEnded = (jobId: string) => eventually(() => stack.job(jobId), (job) => job?.status === 'succeeded' || job?.status === 'failed') as Promise<JobRecord>;

  it('runs a vault-job/v1 message published with the typed publisher', async () => {
    const jobId = `merchant-${randomBytes(6).toString('hex')}`;
    await publishVaultJob(
      { ...validCheckout(), job_id: jobId, charge: { amount: 1999, currency: 'EUR' }, tokenization: { network: true } },
      { queue: queue(), dataKeys: async () => LOCAL_CARD_KEYS, maxChargeAmount: DEFAULT_MAX_CHARGE_AMOUNT },
    );
    const job = await jobEnded(jobId);
    expect(job).toMatchObject({ status: 'succeeded', source: 'queue', card: { last4: '4242' }, steps: { payment: { status: 'succeeded' }, payment_method: { network_token: 'active' } } });
  });

  it("labels the record it makes with the route its message names: an intake's job whose own write of the record did not land", async () => {
    const accepted = `intake-${randomBytes(6).toString('hex')}`;
    const { message } = sealVaultJob(accepted, vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse(validCheckout()), LOCAL_CARD_KEYS);
    await queue().send(message, 'checkout');
    const refused = `intake-bad-${randomBytes(6).toString('hex')}`;
    await sqsClient(stack.awsEnv).sendMessage({ QueueUrl: stack.queueUrl, MessageBody: JSON.stringify({ schema: 'vault-job/v1', job_id: refused, customer: 42 }), MessageAttributes: { source: { DataType: 'String', StringValue: 'charges' } } });
    await expect(jobEnded(accepted)).resolves.toMatchObject({ status: 'succeeded', source: 'checkout' });
    await expect(jobEnded(refused)).resolves.toMatchObject({ status: 'failed', source: 'charges', error: { code: 'invalid_message' } });
  });

  it("labels the record the dead-letter handler makes with the route its message names: a job no delivery could record", async () => {
    const jobId = `dead-${randomBytes(6).toString('hex')}`;
    const { message } = sealVaultJob(jobId, vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse(validCheckout()), LOCAL_CARD_KEYS);
    const deadLetterQueue = new SqsJobQueue(stack.queueUrl.replace(/vault-jobs$/, 'vault-jobs-dlq'), sqsClient(stack.awsEnv));
    await deadLetterQueue.send(message, 'charges');
    await expect(jobEnded(jobId)).resolves.toMatchObject({ status: 'failed', source: 'charges', error: { code: 'retries_exhausted' } });
  });

  it('ends a tampered message failed without calling Hyperswitch', async () => {
    const jobId = `tampered-${randomBytes(6).toString('hex')}`;
    const envelope = encryptJson(LOCAL_CARD_KEYS, { number: '4242424242424242' }, 'some-other-job');
    await stack.settled();
    const before = await stack.inspect();
    await stack.sendRaw(JSON.stringify({ schema: 'vault-job/v1', job_id: jobId, customer: { name: 'Jane', email: 'jane@example.com' }, card: envelope }));
    const job = await jobEnded(jobId);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'card_decryption_failed' } });
    expect((await stack.inspect()).requests).toEqual(before.requests);
  });

  it.each([
    ['a plain card', (jobId: string) => JSON.stringify({ schema: 'vault-job/v1', job_id: jobId, customer: { name: 'J', email: 'j@example.com' }, card: { number: '4111111111111111', cvc: '737' } }), 'plain_card_rejected'],
    ['an unknown schema version', (jobId: string) => JSON.stringify({ schema: 'vault-job/v9', job_id: jobId }), 'unsupported_schema'],
    ['an invalid body', (jobId: string) => JSON.stringify({ schema: 'vault-job/v1', job_id: jobId, customer: 42 }), 'invalid_message'],
  ])('ends a message with %s failed with a reason', async (_, make, code) => {
    const jobId = `bad-${randomBytes(6).toString('hex')}`;
    await stack.sendRaw(make(jobId));
    const job = await jobEnded(jobId);
    expect(job).toMatchObject({ status: 'failed', error: { code, retryable: false } });
  });
});

describe('redelivery and dead letters', () => {
  it('resumes a half-done job on redelivery without a second customer or payment method', async () => {
    await stack.script([{ kind: 'server_error', route: 'POST /v2/payment-methods' }]);
    await stack.settled();
    const before = await stack.inspect();
    const job = await completed(validCheckout());
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    const after = await stack.inspect();
    expect(after.customers - before.customers).toBe(1);
    expect(after.payment_methods - before.payment_methods).toBe(1);
    expect((after.requests['POST /v2/customers']?.total ?? 0) - (before.requests['POST /v2/customers']?.total ?? 0)).toBe(1);
  });

  it('ends a job that keeps failing `retries_exhausted` once SQS moves it to the DLQ', async () => {
    await stack.faults({ rates: { server_error: 1 }, routes: ['POST /v2/customers'] });
    try {
      const accepted = (await checkout(validCheckout())).body;
      const job = await eventually(
        () => status(accepted.job_id, accepted.client_secret),
        (answer) => answer.body?.status === 'failed',
        45_000,
      );
      expect(job.body).toMatchObject({ error: { code: 'retries_exhausted', retryable: false }, attempts: 5 });
    } finally {
      await stack.faults({});
    }
  });

  it('sends a message without a usable job id to the DLQ, where it is discarded with a log line', async () => {
    await stack.sendRaw('this is not a vault job');
    await eventually(async () => stack.output(), (output) => output.includes('Discarded a dead letter without a usable job id'), 45_000);
    expect(stack.output()).not.toContain('this is not a vault job');
  });
});

describe('serverless invoke local against the running stack', () => {
  it('runs the checkout function with events/checkout.json, and the stack vaults the card', async () => {
    const root = join(__dirname, '../..');
    const endpoints = new URL(stack.queueUrl);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'node_modules/serverless/bin/serverless.js'), 'invoke', 'local', '--stage', 'local', '-f', 'checkout', '-p', 'events/checkout.json'],
      {
        cwd: root,
        timeout: 120_000,
        env: { ...process.env, ...stack.awsEnv, LOCAL_SQS_PORT: endpoints.port, SLS_TELEMETRY_DISABLED: '1' },
      },
    );
    const response = JSON.parse(stdout.slice(stdout.indexOf('{\n')));
    expect(response.statusCode).toBe(202);
    const { job_id: jobId, client_secret: secret } = JSON.parse(response.body);
    const final = await eventually(() => status(jobId, secret), (answer) => answer.body?.status === 'succeeded');
    expect(final.body.steps.payment).toMatchObject({ status: 'succeeded' });
  });
});

describe('card data', () => {
  it('appears nowhere the stack logged, stored or answered', async () => {
    const records = JSON.stringify(await stack.jobs());
    const everything = [stack.output(), records, ...responses].join('\n');
    expect(stack.banner).toContain('s2s-vault local stack is up');
    expect(stack.output().length).toBeGreaterThan(1000);
    expect((await stack.jobs()).length).toBeGreaterThan(10);
    for (const pan of ['4242424242424242', '4242 4242 4242 4242', '4111111111111111', '4000000000000002']) expect(everything).not.toContain(pan);
    expect(everything).not.toMatch(/"(card_)?cvc"\s*:/);
    expect(records).not.toMatch(/secret_[A-Za-z0-9_-]{32}/);
  });
});
