/**
 * Hyperswitch's webhooks into the local stack: the simulator signs and sends them as Hyperswitch does,
 * and a job that waits for 3-D Secure ends when the shopper answers — with nobody polling. Every
 * refusal acts on nothing; a replay, or an event that says what Hyperswitch does not, moves nothing.
 * Signatures here are computed by the test itself (node:crypto), not by our code.
 */
import { createHmac } from 'node:crypto';
import { LOCAL_API_KEYS, LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY } from '../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';
import { answerChallenge } from '../helpers/challenge';
import { validCheckout } from '../fixtures/checkouts';

jest.setTimeout(90_000);

let stack: StackProcess;
beforeAll(async () => {
  stack = await startStackProcess();
});
afterAll(async () => stack?.stop());

const sign = (body: string, key = LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY) => createHmac('sha512', key).update(body).digest('hex');
const deliver = (body: string, headers: Record<string, string>) => stack.request('/webhooks/hyperswitch', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
const webhook = (paymentId: string, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    merchant_id: 'merchant_sim',
    event_id: `evt_test_${Math.random().toString(16).slice(2)}`,
    event_type: 'payment_succeeded',
    content: { type: 'payment_details', object: { id: paymentId, status: 'succeeded' } },
    timestamp: new Date().toISOString(),
    ...overrides,
  });

async function checkout(body: Record<string, unknown>): Promise<string> {
  const answer = await stack.request('/checkouts', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` }, body: JSON.stringify(body) });
  expect(answer.status).toBe(202);
  return answer.body.job_id;
}

describe('Hyperswitch webhooks', () => {
  it("end a job waiting for 3-D Secure when the shopper answers, without anyone polling", async () => {
    const jobId = await checkout({ ...validCheckout(), charge: { amount: 700, currency: 'USD', three_ds: 'required', return_url: `${stack.web}/return` } });
    // Read from the table, not through GET /jobs (which would itself ask Hyperswitch).
    const waiting = await eventually(() => stack.job(jobId), (job) => job?.status === 'requires_action', 30_000);
    await answerChallenge(waiting!.next_action!.url, 'approve');
    const done = await eventually(() => stack.job(jobId), (job) => job?.status === 'succeeded', 20_000);
    expect(done!.steps.payment).toMatchObject({ status: 'succeeded', payment_status: 'succeeded' });
    const sent = (await stack.inspect()).webhooks!;
    expect(sent.webhooks).toBeGreaterThanOrEqual(2);
  });

  it('a shopper who fails the challenge fails the job the same way', async () => {
    const jobId = await checkout({ ...validCheckout(), charge: { amount: 800, currency: 'USD', three_ds: 'required', return_url: `${stack.web}/return` } });
    const waiting = await eventually(() => stack.job(jobId), (job) => job?.status === 'requires_action', 30_000);
    await answerChallenge(waiting!.next_action!.url, 'fail');
    const done = await eventually(() => stack.job(jobId), (job) => job?.status === 'failed', 20_000);
    expect(done!.error?.code).toBe('authentication_failed');
  });

  it('records the late settlement of a processing payment on its ended job, and tells the merchant', async () => {
    const script = await fetch(`${stack.hyperswitch}/__sim/outcomes/script`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ outcome: 'processing', settle_after_ms: 800, settles_to: 'failed' }]) });
    expect(script.ok).toBe(true);
    const jobId = await checkout({ ...validCheckout(), charge: { amount: 900, currency: 'USD' } });
    const ended = await eventually(() => stack.job(jobId), (job) => job?.status === 'succeeded', 30_000);
    expect(ended!.steps.payment.payment_status).toBe('processing');
    const settled = await eventually(() => stack.job(jobId), (job) => job?.steps.payment.payment_status === 'failed', 20_000);
    // The job ended when the payment was accepted; what the payment became is recorded beside it.
    expect(settled!.status).toBe('succeeded');
    const events = await eventually(
      async () => (await stack.request(`/events?job_id=${jobId}`, { headers: { Authorization: `Bearer ${LOCAL_API_KEYS.server}` } })).body.data as Array<{ type: string }>,
      (list) => list.some(({ type }) => type === 'payment.failed'),
    );
    expect(events.map(({ type }) => type)).not.toContain('payment.succeeded');
  });

  it('refuses the unsigned, the badly signed, the oversized, the non-JSON, the malformed and the stale, acting on nothing', async () => {
    const body = webhook('12345_pay_0123456789abcdef0123456789abcdef');
    const refusals = [
      [await deliver(body, {}), 401, 'signature_missing'],
      [await deliver(body, { 'X-Webhook-Signature-512': sign(body, 'another-hash-key-entirely-0001') }), 401, 'signature_invalid'],
      [await deliver(body, { 'X-Webhook-Signature-512': 'not hex' }), 401, 'signature_invalid'],
      [await deliver(`${body} `.repeat(4000), { 'X-Webhook-Signature-512': sign(`${body} `.repeat(4000)) }), 413, 'payload_too_large'],
      [await deliver('not json', { 'X-Webhook-Signature-512': sign('not json') }), 400, 'invalid_json'],
      [await deliver('{"event_id": "x"}', { 'X-Webhook-Signature-512': sign('{"event_id": "x"}') }), 400, 'validation_failed'],
    ] as const;
    const stale = webhook('12345_pay_0123456789abcdef0123456789abcdef', { timestamp: new Date(Date.now() - 4 * 86_400_000).toISOString() });
    const staleAnswer = await deliver(stale, { 'X-Webhook-Signature-512': sign(stale) });
    for (const [answer, status, code] of [...refusals, [staleAnswer, 400, 'stale_event'] as const]) expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  });

  it('takes a replay once, and an event that contradicts Hyperswitch changes nothing', async () => {
    // A declined charge: its job failed; a signed event claiming the payment succeeded must not revive it.
    const jobId = await checkout({ ...validCheckout(), card: { ...validCheckout().card, number: '4000000000000002' }, charge: { amount: 100, currency: 'EUR' } });
    const failed = await eventually(() => stack.job(jobId), (job) => job?.status === 'failed', 30_000);
    const paymentId = failed!.steps.payment.payment_id!;
    const forged = webhook(paymentId, { content: { type: 'payment_details', object: { id: paymentId, status: 'succeeded', metadata: { s2s_vault_job_id: jobId } } } });
    const first = await deliver(forged, { 'X-Webhook-Signature-512': sign(forged) });
    expect(first).toMatchObject({ status: 200, body: { received: true } });
    const replay = await deliver(forged, { 'X-Webhook-Signature-512': sign(forged) });
    expect(replay).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await stack.job(jobId)).toMatchObject({ status: 'failed', error: { code: 'card_declined' }, steps: { payment: { status: 'failed' } } });
  });
});
