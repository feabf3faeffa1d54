import { CheckoutError, createCheckout, type Job } from '../../../web/client';

type Answer = Response | Error;
function fakeApi(answers: Answer[]) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return answer;
  }) as unknown as typeof globalThis.fetch;
  return { calls, checkout: createCheckout({ apiBase: 'https://api.test/', publishableKey: 'pk_test_fake', fetch }) };
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const accepted = { job_id: 'job_0123456789abcdef', client_secret: 'job_0123456789abcdef_secret_x', status_url: '/jobs/job_0123456789abcdef' };

describe('the browser client', () => {
  it('posts the checkout once with the publishable key and the attempt’s Idempotency-Key, and no cookies', async () => {
    const { calls, checkout } = fakeApi([json(202, accepted)]);
    await expect(checkout.submit({ card: {} }, { idempotencyKey: 'attempt-1' })).resolves.toEqual(accepted);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('https://api.test/checkouts');
    expect(calls[0]!.init).toMatchObject({ method: 'POST', credentials: 'omit', headers: { Authorization: 'Bearer pk_test_fake', 'Idempotency-Key': 'attempt-1' } });
  });

  it('retries a request that got no answer with the same Idempotency-Key, then gives up with network_error', async () => {
    const { calls, checkout } = fakeApi([new TypeError('Failed to fetch'), json(202, accepted)]);
    await expect(checkout.submit({}, { idempotencyKey: 'attempt-2' })).resolves.toEqual(accepted);
    expect(calls.map(({ init }) => (init.headers as Record<string, string>)['Idempotency-Key'])).toEqual(['attempt-2', 'attempt-2']);

    const down = fakeApi([new TypeError('Failed to fetch'), new TypeError('Failed to fetch'), new TypeError('Failed to fetch')]);
    const error = await down.checkout.submit({}, { idempotencyKey: 'attempt-3' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckoutError);
    expect(error).toMatchObject({ code: 'network_error', status: undefined, retryable: true });
    expect(down.calls).toHaveLength(3);
  });

  it('turns an error answer into a CheckoutError with our code and field paths, and does not retry it', async () => {
    const fields = [{ path: 'card.cvc', code: 'cvc_length_invalid', message: 'must be 4 digits for AmericanExpress' }];
    const { calls, checkout } = fakeApi([json(400, { error: { code: 'validation_failed', message: 'The request body is invalid', fields } })]);
    const error = await checkout.submit({}, { idempotencyKey: 'attempt-4' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CheckoutError', code: 'validation_failed', status: 400, fields, retryable: false });
    expect(calls).toHaveLength(1);
  });

  it('polls the job with its client secret until it ends, telling each change', async () => {
    const job = (status: Job['status']) => json(200, { job_id: accepted.job_id, status });
    const { calls, checkout } = fakeApi([job('queued'), job('processing'), job('processing'), job('succeeded')]);
    const seen: string[] = [];
    await expect(checkout.waitForJob(accepted, { onUpdate: (update) => seen.push(update.status) })).resolves.toMatchObject({ status: 'succeeded' });
    expect(seen).toEqual(['queued', 'processing', 'succeeded']);
    expect(calls.every(({ url, init }) => url === `https://api.test/jobs/${accepted.job_id}` && (init.headers as Record<string, string>)['X-Client-Secret'] === accepted.client_secret)).toBe(true);
  }, 15_000);

  it('stops at requires_action, for the page to send the shopper on', async () => {
    const { checkout } = fakeApi([json(200, { job_id: accepted.job_id, status: 'requires_action', next_action: { type: 'redirect_to_url', url: 'https://issuer.test/3ds' } })]);
    await expect(checkout.waitForJob(accepted)).resolves.toMatchObject({ status: 'requires_action', next_action: { url: 'https://issuer.test/3ds' } });
  });
});
