/**
 * Card-on-file by the networks' rules, end to end on the real local stack: a checkout's charge is a
 * customer-initiated payment that sets the card up for later off-session use; later charges are
 * merchant-initiated (or customer-initiated for a returning shopper); `verify: true` sets a card up
 * without charging it; declines come back as a short stable set with a message for the shopper. The
 * simulator records the stored-credential signals and declines an MIT of a card never set up, so
 * the flags are proven here, not assumed.
 */
import { LOCAL_API_KEYS } from '../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';
import { validCheckout } from '../fixtures/checkouts';

jest.setTimeout(120_000);

let stack: StackProcess;
beforeAll(async () => {
  stack = await startStackProcess();
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

describe('3-D Secure choices and the return URL', () => {
  it('sends authentication_type three_ds for three_ds: required, and the return URL of an allowed origin', async () => {
    const job = await checkout({ charge: { amount: 500, currency: 'USD', three_ds: 'required', return_url: 'http://localhost:5173/return' } });
    const [paymentId, payment] = Object.entries((await stack.inspect()).payment_signals).at(-1)!;
    expect(paymentId).toMatch(/_pay_/);
    expect(payment).toMatchObject({ customer_present: 'present', authentication_type: 'three_ds', setup_future_usage: 'off_session' });
    // The requires_action loop is not built yet: such a job ends failed, saying why.
    expect(job).toMatchObject({ status: 'failed', error: { code: 'payment_requires_customer_action' } });
  });

  it.each(['https://evil.example/phish', 'http://localhost:5174/return', 'javascript:alert(1)'])('refuses the return URL %s: no open redirect', async (returnUrl) => {
    const answer = await stack.request('/checkouts', { method: 'POST', headers: publishable, body: JSON.stringify({ ...validCheckout(), charge: { amount: 100, currency: 'USD', return_url: returnUrl } }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.fields).toEqual([expect.objectContaining({ path: 'charge.return_url' })]);
  });
});
