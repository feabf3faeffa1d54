/**
 * Token management and merchant authentication on the real local stack: the saved card's whole
 * lifecycle, every kind of refused credential, and hostile path parameters that must never become a
 * Hyperswitch call.
 */
import { LOCAL_API_KEYS } from '../../local/stack';
import { validCheckout } from '../fixtures/checkouts';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';

jest.setTimeout(60_000);

let stack: StackProcess;
beforeAll(async () => {
  stack = await startStackProcess();
});
afterAll(() => stack?.stop());

const server = { Authorization: `Bearer ${LOCAL_API_KEYS.server}` };
const publishable = { Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` };
const json = { 'Content-Type': 'application/json' };

async function finishedJob(jobId: string) {
  return eventually(
    () => stack.request(`/jobs/${jobId}`, { headers: server }),
    (answer) => ['succeeded', 'failed'].includes(answer.body?.status),
  );
}

async function savedCard(body = validCheckout()) {
  const accepted = await stack.request('/checkouts', { method: 'POST', headers: { ...json, ...publishable }, body: JSON.stringify(body) });
  const job = (await finishedJob(accepted.body.job_id)).body;
  return { customerId: job.steps.customer.customer_id as string, paymentMethodId: job.steps.payment_method.payment_method_id as string };
}

describe('a saved card, from checkout to deletion', () => {
  it('is listed, read, updated, charged later without card data, deleted, and then gone', async () => {
    // Saved with verify: true, as a merchant saves a card it will charge later without the shopper.
    const { customerId, paymentMethodId } = await savedCard({ ...validCheckout(), tokenization: { psp: true, network: true }, verify: true } as ReturnType<typeof validCheckout>);

    const list = await stack.request(`/customers/${customerId}/payment-methods`, { headers: server });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      customer_id: customerId,
      payment_methods: [expect.objectContaining({ payment_method_id: paymentMethodId, card: expect.objectContaining({ brand: 'Visa', last4: '4242', exp_month: 12 }) })],
    });

    const one = await stack.request(`/payment-methods/${paymentMethodId}`, { headers: server });
    expect(one.body).toMatchObject({ payment_method_id: paymentMethodId, customer_id: customerId, psp_token: 'active', network_token: 'active', card: { holder_name: 'Jane Doe' } });

    const patched = await stack.request(`/payment-methods/${paymentMethodId}`, {
      method: 'PATCH',
      headers: { ...server, ...json },
      body: JSON.stringify({ holder_name: 'Jane Q. Doe', nick_name: 'travel card', cvc: '456' }),
    });
    expect(patched.status).toBe(200);
    expect(patched.body.card).toMatchObject({ holder_name: 'Jane Q. Doe', nick_name: 'travel card' });

    const token = await stack.request(`/payment-methods/${paymentMethodId}/network-token-status`, { headers: server });
    expect(token.body).toMatchObject({ payment_method_id: paymentMethodId, status: 'active', token_last4: expect.stringMatching(/^\d{4}$/) });

    const before = await stack.inspect();
    const charge = await stack.request('/charges', {
      method: 'POST',
      headers: { ...server, ...json },
      body: JSON.stringify({ customer_id: customerId, payment_method_id: paymentMethodId, amount: 1999, currency: 'EUR' }),
    });
    expect(charge.status).toBe(202);
    const charged = (await finishedJob(charge.body.job_id)).body;
    expect(charged).toMatchObject({
      status: 'succeeded',
      card: null,
      steps: { customer: { status: 'skipped' }, payment_method: { status: 'skipped', payment_method_id: paymentMethodId }, payment: { status: 'succeeded' } },
    });
    const after = await stack.inspect();
    expect(after.payments - before.payments).toBe(1);
    expect(after.payment_methods).toBe(before.payment_methods);

    const deleted = await stack.request(`/payment-methods/${paymentMethodId}`, { method: 'DELETE', headers: server });
    expect(deleted.body).toEqual({ payment_method_id: paymentMethodId, deleted: true });
    expect((await stack.request(`/payment-methods/${paymentMethodId}`, { method: 'DELETE', headers: server })).status).toBe(404);
    expect((await stack.request(`/payment-methods/${paymentMethodId}`, { headers: server })).body).toEqual({
      error: { code: 'payment_method_not_found', message: 'No such payment method' },
    });
  });

  it('erases a customer with every saved card; a repeat is 404', async () => {
    const { customerId, paymentMethodId } = await savedCard();
    const erased = await stack.request(`/customers/${customerId}`, { method: 'DELETE', headers: server });
    expect(erased.status).toBe(200);
    expect(erased.body).toEqual({ customer_id: customerId, deleted: true, payment_methods_deleted: true });
    expect((await stack.request(`/customers/${customerId}`, { method: 'DELETE', headers: server })).status).toBe(404);
    expect((await stack.request(`/customers/${customerId}/payment-methods`, { headers: server })).status).toBe(404);
    expect((await stack.request(`/payment-methods/${paymentMethodId}`, { headers: server })).status).toBe(404);
    expect((await stack.request(`/customers/${customerId}`, { method: 'DELETE', headers: publishable })).status).toBe(403);
  });

  it('refuses an update Hyperswitch cannot make, and an empty one', async () => {
    const { paymentMethodId } = await savedCard();
    const patch = (body: unknown) => stack.request(`/payment-methods/${paymentMethodId}`, { method: 'PATCH', headers: { ...server, ...json }, body: JSON.stringify(body) });
    const expiry = await patch({ exp_month: 1, exp_year: 2031 });
    expect(expiry.status).toBe(400);
    expect(expiry.body.error.fields).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'exp_month', message: expect.stringContaining('new payment method') })]));
    expect((await patch({})).status).toBe(400);
    expect((await patch({ cvc: '12' })).body.error.fields).toEqual([{ path: 'cvc', code: 'invalid_format', message: 'must be 3-4 digits' }]);
  });

  it('ends a charge of a card that is not the customer’s failed, without charging', async () => {
    const first = await savedCard();
    const second = await savedCard();
    const before = await stack.inspect();
    const charge = await stack.request('/charges', {
      method: 'POST',
      headers: { ...server, ...json },
      body: JSON.stringify({ customer_id: first.customerId, payment_method_id: second.paymentMethodId, amount: 100, currency: 'USD' }),
    });
    const job = (await finishedJob(charge.body.job_id)).body;
    expect(job).toMatchObject({ status: 'failed', error: { code: 'payment_method_not_found' } });
    expect((await stack.inspect()).payments).toBe(before.payments);
  });
});

describe('authentication', () => {
  // Every row has a body slot (null: none), so jest never takes the third parameter for a `done` callback.
  const routes: Array<[string, string, string | null]> = [
    ['GET', '/customers/12345_cus_0123456789abcdef0123456789abcdef/payment-methods', null],
    ['GET', '/payment-methods/12345_pm_0123456789abcdef0123456789abcdef', null],
    ['PATCH', '/payment-methods/12345_pm_0123456789abcdef0123456789abcdef', '{"nick_name":"x"}'],
    ['DELETE', '/payment-methods/12345_pm_0123456789abcdef0123456789abcdef', null],
    ['GET', '/payment-methods/12345_pm_0123456789abcdef0123456789abcdef/network-token-status', null],
    ['POST', '/charges', '{}'],
  ];

  it.each(routes)('%s %s: no key → 401, a bad key → 401, a publishable key → 403, a client secret → 401', async (method, path, body) => {
    const call = (headers: Record<string, string>) => stack.request(path, { method, headers: { ...json, ...headers }, body: body ?? undefined });
    await stack.settled();
    const before = await stack.inspect();
    const none = await call({});
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('authentication_required');
    expect((await call({ Authorization: 'Bearer sk_test_not_a_key_of_this_merchant' })).body.error.code).toBe('invalid_api_key');
    expect((await call({ Authorization: `Basic ${LOCAL_API_KEYS.server}` })).status).toBe(401);
    expect((await call({ Authorization: LOCAL_API_KEYS.server })).status).toBe(401);
    const scope = await call(publishable);
    expect(scope.status).toBe(403);
    expect(scope.body.error.code).toBe('forbidden');
    expect((await call({ 'X-Client-Secret': `job_${'0'.repeat(32)}_secret_${'A'.repeat(32)}` })).status).toBe(401);
    expect((await stack.inspect()).requests).toEqual(before.requests);
  });

  it('POST /checkouts: no key → 401, a bad key → 401; publishable and server keys both work', async () => {
    const post = (headers: Record<string, string>) => stack.request('/checkouts', { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(validCheckout()) });
    expect((await post({})).status).toBe(401);
    expect((await post({ Authorization: 'Bearer pk_test_forged_publishable_key' })).status).toBe(401);
    expect((await post(publishable)).status).toBe(202);
    expect((await post(server)).status).toBe(202);
  });

  it('a job is readable with a server key or its own client secret only', async () => {
    const create = () => stack.request('/checkouts', { method: 'POST', headers: { ...json, ...publishable }, body: JSON.stringify(validCheckout()) });
    const a = (await create()).body;
    const b = (await create()).body;
    const read = (jobId: string, headers: Record<string, string>) => stack.request(`/jobs/${jobId}`, { headers });
    expect((await read(a.job_id, { 'X-Client-Secret': a.client_secret })).status).toBe(200);
    expect((await read(a.job_id, server)).status).toBe(200);
    expect((await read(a.job_id, { 'X-Client-Secret': b.client_secret })).status).toBe(403);
    expect((await read(a.job_id, publishable)).status).toBe(403);
    expect((await read(a.job_id, {})).status).toBe(401);
    // An unknown job answers a foreign secret exactly as a known one does.
    const unknown = `job_${'f'.repeat(32)}`;
    const foreign = await read(unknown, { 'X-Client-Secret': b.client_secret });
    const known = await read(a.job_id, { 'X-Client-Secret': b.client_secret });
    expect([foreign.status, foreign.body]).toEqual([known.status, known.body]);
  });
});

describe('hostile path parameters', () => {
  it.each([
    ['an over-long id', `/payment-methods/${'a'.repeat(65)}`],
    ['a short id', '/payment-methods/pm_1'],
    ['dot segments', '/payment-methods/..%2F..%2Fv2%2Fpayments'],
    ['URL-encoded junk', '/payment-methods/%00%0d%0aX-Injected:%20yes'],
    ['unicode', '/payment-methods/12345_pm_%E2%80%AE0123456789abcdef0123456789abcdef'],
    ['a customer id with a slash', '/customers/a%2Fb%2Fc%2Fd%2Fe%2Ff%2Fg%2Fh%2Fi%2Fj%2Fk%2Fl%2Fm%2Fn%2Fo%2Fp/payment-methods'],
  ])('%s → 400 or 404, and no Hyperswitch call', async (_, path) => {
    await stack.settled();
    const before = await stack.inspect();
    const answer = await stack.request(path, { headers: server });
    expect([400, 404]).toContain(answer.status);
    expect(answer.body?.error ?? answer.body).toBeDefined();
    expect((await stack.inspect()).requests).toEqual(before.requests);
  });
});

describe('CORS', () => {
  it('answers preflights for configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.api}/checkouts`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
    const allowed = await preflight(stack.web);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(stack.web);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('GET /openapi.json', () => {
  it('serves the OpenAPI document', async () => {
    const answer = await stack.request('/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(Object.keys(answer.body.paths)).toContain('/payment-methods/{payment_method_id}');
  });
});
