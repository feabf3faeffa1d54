/**
 * Card-on-file by the networks' rules, end to end on the real local stack: a checkout's charge is a
 * customer-initiated payment that sets the card up for later off-session use; later charges are
 * merchant-initiated (or customer-initiated for a returning shopper); `verify: true` sets a card up
 * without charging it; declines come back as a short stable set with a message for the shopper. The
 * simulator records the stored-credential signals and declines an MIT of a card never set up, so
 * the flags are proven here, not assumed.
 */
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paymentReference } from '../../lib/jobs';
import { LOCAL_API_KEYS } from '../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';
import { validCheckout } from '../fixtures/checkouts';
import { answerChallenge } from '../helpers/challenge';

jest.setTimeout(120_000);

let stack: StackProcess;
// A short wait for 3-D Secure, so that its expiry is seen here.
const WINDOW_SECONDS = 8;
beforeAll(async () => {
  stack = await startStackProcess({ AUTHENTICATION_WINDOW_SECONDS: String(WINDOW_SECONDS) });
});
afterAll(() => stack?.stop());

const publishable = { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` };
const server = { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.server}` };

async function finished(jobId: string) {
  const answer = await eventually(
    () => stack.request(`/jobs/${jobId}`, { headers: server }),
    (job) => ['succeeded', 'failed'].includes(job.body?.status),
    30_000,
  );
  return answer.body;
}

async function checkout(change: Record<string, unknown> = {}, card: Record<string, unknown> = {}) {
  const body = { ...validCheckout(), ...change, card: { ...validCheckout().card, ...card } };
  const answer = await stack.request('/checkouts', { method: 'POST', headers: publishable, body: JSON.stringify(body) });
  expect(answer.status).toBe(202);
  return finished(answer.body.job_id);
}

async function charge(job: { steps: { customer: { customer_id: string }; payment_method: { payment_method_id: string } } }, extra: Record<string, unknown> = {}) {
  const body = { customer_id: job.steps.customer.customer_id, payment_method_id: job.steps.payment_method.payment_method_id, amount: 1500, currency: 'EUR', ...extra };
  const answer = await stack.request('/charges', { method: 'POST', headers: server, body: JSON.stringify(body) });
  expect(answer.status).toBe(202);
  return finished(answer.body.job_id);
}

const signals = async (paymentId: string) => (await stack.inspect()).payment_signals[paymentId];

describe('customer-initiated setup, then merchant-initiated charges', () => {
  it('a checkout charge is a CIT that sets the card up; a later charge is an MIT without the shopper, and succeeds', async () => {
    const saved = await checkout({ charge: { amount: 4200, currency: 'EUR' } });
    expect(saved).toMatchObject({ status: 'succeeded', steps: { payment: { status: 'succeeded' } } });
    expect(await signals(saved.steps.payment.payment_id)).toEqual({ customer_present: 'present', setup_future_usage: 'off_session', authentication_type: null, apply_mit_exemption: null });

    const later = await charge(saved);
    expect(later).toMatchObject({ status: 'succeeded', steps: { payment: { status: 'succeeded' } } });
    expect(await signals(later.steps.payment.payment_id)).toEqual({ customer_present: 'absent', setup_future_usage: null, authentication_type: null, apply_mit_exemption: 'Apply' });
  });

  it('refuses a merchant-initiated charge of a card saved without a setup, without calling Hyperswitch to pay', async () => {
    const saved = await checkout();
    await stack.settled();
    const before = (await stack.inspect()).payments;
    const refused = await charge(saved);
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'payment_method_not_set_up', retryable: false } });
    expect((await stack.inspect()).payments).toBe(before);
  });

  it('still knows a card was set up once the records of its vaulting have expired (a monthly subscription), and one that was not', async () => {
    const setUp = await checkout({ charge: { amount: 4200, currency: 'EUR' } });
    const notSetUp = await checkout();
    // DynamoDB's TTL removes the vaulting job's record and the card's hold after 30 days (dynalite keeps them): as it would.
    const dynamo = new DynamoDBClient({ region: 'us-east-1', endpoint: stack.awsEnv.AWS_ENDPOINT_URL_DYNAMODB, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    for (const job of [setUp, notSetUp]) {
      for (const key of [job.job_id, `pm#${job.steps.payment_method.payment_method_id}`]) {
        await dynamo.send(new DeleteItemCommand({ TableName: stack.tableName, Key: { job_id: { S: key } }, ConditionExpression: 'attribute_exists(job_id)' }));
      }
    }
    dynamo.destroy();

    const monthly = await charge(setUp);
    expect(monthly).toMatchObject({ status: 'succeeded', steps: { payment: { status: 'succeeded' } } });
    expect(await signals(monthly.steps.payment.payment_id)).toMatchObject({ customer_present: 'absent', apply_mit_exemption: 'Apply' });
    const before = (await stack.inspect()).payments;
    await expect(charge(notSetUp)).resolves.toMatchObject({ status: 'failed', error: { code: 'payment_method_not_set_up' } });
    expect((await stack.inspect()).payments).toBe(before);
  });

  it('charges a card saved without a setup when the shopper is present (a returning shopper), as a CIT', async () => {
    const saved = await checkout();
    const present = await charge(saved, { customer_present: true, three_ds: 'skip' });
    expect(present).toMatchObject({ status: 'succeeded' });
    expect(await signals(present.steps.payment.payment_id)).toMatchObject({ customer_present: 'present', setup_future_usage: null, authentication_type: 'no_three_ds' });
  });
});

describe('zero-amount verification (verify: true)', () => {
  it('verifies the card with a zero-amount CIT setup, says verified: true, and readies it for MITs', async () => {
    const saved = await checkout({ verify: true });
    expect(saved).toMatchObject({ status: 'succeeded', verified: true, steps: { verification: { status: 'succeeded', payment_status: 'succeeded' } } });
    expect(await signals(saved.steps.verification.payment_id)).toMatchObject({ customer_present: 'present', setup_future_usage: 'off_session' });
    expect(await charge(saved)).toMatchObject({ status: 'succeeded' });
  });

  it('ends the job failed with card_verification_failed and the decline when the issuer refuses the card', async () => {
    const refused = await checkout({ verify: true }, { number: '4000000000009995' });
    expect(refused).toMatchObject({
      status: 'failed',
      verified: false,
      error: { code: 'card_verification_failed', decline_message: 'Your card has insufficient funds. Try another card.' },
      steps: { payment_method: { status: 'succeeded' }, verification: { status: 'failed' } },
    });
    expect(refused.error.message).toContain('[insufficient_funds]');
  });

  it('refuses verify together with a charge: the charge sets the card up itself', async () => {
    const answer = await stack.request('/checkouts', { method: 'POST', headers: publishable, body: JSON.stringify({ ...validCheckout(), verify: true, charge: { amount: 100, currency: 'USD' } }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.fields).toEqual([expect.objectContaining({ path: 'verify' })]);
  });
});

describe('declines a shopper can act on', () => {
  it.each([
    ['4000000000000002', 'card_declined', 'Your card was declined. Try another card.'],
    ['4000000000009995', 'insufficient_funds', 'Your card has insufficient funds. Try another card.'],
    ['4000000000000069', 'expired_card', 'Your card has expired. Try another card.'],
    ['4000000000000127', 'incorrect_cvc', "Your card's security code is incorrect. Check it and try again."],
    ['4000000000000119', 'processing_error', 'We could not process your card. Try again in a little while.'],
  ])('%s → %s, with a message for the shopper and never the card number', async (number, code, shopperMessage) => {
    const declined = await checkout({ charge: { amount: 999, currency: 'USD' } }, { number });
    expect(declined).toMatchObject({ status: 'failed', error: { code, retryable: false, decline_message: shopperMessage }, steps: { payment: { status: 'failed' } } });
    expect(JSON.stringify(declined)).not.toContain(number);
  });
});

async function accepted(path: string, body: unknown, headers = publishable) {
  const answer = await stack.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
  expect(answer.status).toBe(202);
  return answer.body as { job_id: string; client_secret: string };
}
const asShopper = (job: { job_id: string; client_secret: string }) => stack.request(`/jobs/${job.job_id}`, { headers: { 'X-Client-Secret': job.client_secret } });
const awaitingShopper = async (job: { job_id: string; client_secret: string }) =>
  (await eventually(() => asShopper(job), (answer) => answer.body?.status === 'requires_action', 30_000)).body;

describe('3-D Secure: requires_action, the shopper, and back', () => {
  it('a checkout with 3-D Secure required waits for the shopper, who approves: the job succeeds and the card is set up', async () => {
    const job = await accepted('/checkouts', { ...validCheckout(), charge: { amount: 500, currency: 'USD', three_ds: 'required', return_url: `${stack.web}/return` } });
    const waiting = await awaitingShopper(job);
    expect(waiting).toMatchObject({ status: 'requires_action', next_action: { type: 'redirect_to_url', url: expect.stringContaining('/__sim/3ds/') }, steps: { payment: { status: 'requires_action' } } });
    expect(await signals(waiting.steps.payment.payment_id)).toMatchObject({ customer_present: 'present', authentication_type: 'three_ds', setup_future_usage: 'off_session' });
    const back = await answerChallenge(waiting.next_action.url, 'approve');
    expect(back.headers.get('location')).toBe(`${stack.web}/return`);
    const done = (await asShopper(job)).body;
    expect(done).toMatchObject({ status: 'succeeded', next_action: null, steps: { payment: { status: 'succeeded', payment_id: waiting.steps.payment.payment_id } } });
    await stack.settled();
    const payments = (await stack.inspect()).payments;
    expect((await charge(done)).status).toBe('succeeded');
    expect((await stack.inspect()).payments).toBe(payments + 1);
  });

  it('4000002500003155: 3-D Secure on the setup; the shopper fails it and the job ends failed authentication_failed', async () => {
    const job = await accepted('/checkouts', { ...validCheckout(), card: { ...validCheckout().card, number: '4000002500003155' }, verify: true });
    const waiting = await awaitingShopper(job);
    expect(waiting.steps.verification.status).toBe('requires_action');
    await answerChallenge(waiting.next_action.url, 'fail');
    expect((await asShopper(job)).body).toMatchObject({ status: 'failed', verified: false, error: { code: 'card_verification_failed', message: expect.stringContaining('[authentication_failed]') } });
  });

  it('4000002500003155: after an approved setup, merchant-initiated charges need no 3-D Secure', async () => {
    const job = await accepted('/checkouts', { ...validCheckout(), card: { ...validCheckout().card, number: '4000002500003155' }, verify: true });
    const waiting = await awaitingShopper(job);
    await answerChallenge(waiting.next_action.url, 'approve');
    const verified = (await asShopper(job)).body;
    expect(verified).toMatchObject({ status: 'succeeded', verified: true });
    expect(await charge(verified)).toMatchObject({ status: 'succeeded' });
  });

  it('4000002760003184: a returning shopper charged with the card present authenticates with the charge job\'s client secret', async () => {
    const saved = await checkout({}, { number: '4000002760003184' });
    const job = await accepted('/charges', { customer_id: saved.steps.customer.customer_id, payment_method_id: saved.steps.payment_method.payment_method_id, amount: 700, currency: 'EUR', customer_present: true }, server);
    const waiting = await awaitingShopper(job);
    await answerChallenge(waiting.next_action.url, 'approve');
    expect((await asShopper(job)).body).toMatchObject({ status: 'succeeded' });
  });

  it('ends a job the shopper never authenticated failed with authentication_expired, with no second payment', async () => {
    const job = await accepted('/checkouts', { ...validCheckout(), card: { ...validCheckout().card, number: '4000002760003184' }, charge: { amount: 800, currency: 'USD' } });
    const waiting = await awaitingShopper(job);
    // Nobody reads the job: its own message comes back when the wait ends, and the worker ends it.
    const expired = await eventually(() => stack.job(job.job_id), (record) => record?.status === 'failed', (WINDOW_SECONDS + 20) * 1000, 500);
    expect(expired).toMatchObject({ status: 'failed', error: { code: 'authentication_expired' } });
    expect((await stack.inspect()).payments_by_reference[paymentReference(job.job_id)]).toBe(1);
    expect((await asShopper(job)).body).toMatchObject({ status: 'failed', next_action: null, error: { code: 'authentication_expired' } });
    expect(waiting.steps.payment.payment_id).toMatch(/_pay_/);
  });
});

describe('the return URL', () => {
  it.each(['https://evil.example/phish', 'http://localhost:5174/return', 'javascript:alert(1)'])('refuses the return URL %s: no open redirect', async (returnUrl) => {
    const answer = await stack.request('/checkouts', { method: 'POST', headers: publishable, body: JSON.stringify({ ...validCheckout(), charge: { amount: 100, currency: 'USD', return_url: returnUrl } }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.fields).toEqual([expect.objectContaining({ path: 'charge.return_url' })]);
  });
});
