/** The simulator as a component, over plain HTTP: auth, validation, fault control, inspection. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SIM_DEFAULTS, startSimulator, type HyperswitchSimulator } from '../../../local/hyperswitch-sim/server';
import { answerChallenge } from '../../helpers/challenge';

let sim: HyperswitchSimulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const VAULT = `api-key=${SIM_DEFAULTS.vaultApiKey}`;
const PAYMENT = `api-key=${SIM_DEFAULTS.paymentApiKey}`;

interface CallOptions {
  /** null: no header at all. */
  auth?: string | null;
  profile?: string | null;
  body?: unknown;
  raw?: string;
  contentType?: string;
}

async function call(method: string, path: string, { auth = VAULT, profile = SIM_DEFAULTS.profileId, body, raw, contentType = 'application/json' }: CallOptions = {}) {
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (auth !== null) headers.Authorization = auth;
  if (profile !== null) headers['X-Profile-Id'] = profile;
  const response = await fetch(`${sim.url}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const customer = { name: 'Jane Doe', email: 'jane@example.com' };

describe('authentication', () => {
  it.each([
    ['no Authorization header', null, 401, 'IR_01'],
    ['an unknown key', 'api-key=snd_local_fake_unknown', 401, 'IR_01'],
    ['a key in another scheme', `Bearer ${SIM_DEFAULTS.vaultApiKey}`, 401, 'IR_01'],
    ['the payment key on a vault route', PAYMENT, 403, 'IR_22'],
  ])('refuses %s', async (_, auth, status, code) => {
    const answer = await call('POST', '/v2/customers', { auth, body: customer });
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error: { type: 'invalid_request', message: expect.any(String), code } });
    expect(sim.inspect().customers).toBe(0);
  });

  it('refuses the vault key on a payment route', async () => {
    const answer = await call('GET', '/v2/payments/12345_pay_0123456789abcdef0123456789abcdef?force_sync=false', { auth: VAULT });
    expect(answer.status).toBe(403);
  });

  it('requires X-Profile-Id where the spec does, and the right one', async () => {
    expect((await call('POST', '/v2/customers', { profile: null, body: customer })).body.error.code).toBe('IR_04');
    expect((await call('POST', '/v2/customers', { profile: 'pro_other', body: customer })).status).toBe(403);
    expect((await call('POST', '/v2/customers', { body: customer })).status).toBe(200);
  });
});

describe('request validation', () => {
  it.each([
    ['a body that is not JSON', { raw: '{"name":' }],
    ['a wrong content type', { raw: JSON.stringify(customer), contentType: 'text/plain' }],
    ['a missing required field', { body: { name: 'Jane' } }],
    ['an unknown field', { body: { ...customer, nickname: 'J' } }],
    ['a field of the wrong type', { body: { ...customer, name: 42 } }],
    ['an over-long reference', { body: { ...customer, merchant_reference_id: 'r'.repeat(65) } }],
  ])('answers 400 IR_06 to %s, and creates nothing', async (_, options) => {
    const answer = await call('POST', '/v2/customers', options);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('IR_06');
    expect(sim.inspect().customers).toBe(0);
  });

  it('denies unknown card fields and never echoes the card number', async () => {
    const { body: created } = await call('POST', '/v2/customers', { body: customer });
    const answer = await call('POST', '/v2/payment-methods', {
      body: {
        payment_method_type: 'card',
        customer_id: created.id,
        storage_type: 'persistent',
        payment_method_data: { card: { card_number: '4242424242424242', card_exp_month: '12', card_exp_year: '2099', card_cvc: '123', pin: '1234' } },
      },
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).not.toContain('4242424242424242');
  });

  it('answers 404 IR_02 to a route Hyperswitch does not have', async () => {
    expect((await call('GET', '/v2/nothing-here')).body.error.code).toBe('IR_02');
  });

  it('sends a request id with every answer', async () => {
    const answer = await call('GET', '/v2/nothing-here');
    expect(answer.headers.get('x-request-id')).toMatch(/^sim_[0-9a-f]{16}$/);
  });
});

describe('fault control over HTTP', () => {
  it('injects scripted faults for the named route only', async () => {
    const script = await fetch(`${sim.url}/__sim/faults/script`, {
      method: 'POST',
      body: JSON.stringify([{ kind: 'server_error', route: 'POST /v2/customers' }]),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(await script.json()).toEqual({ pending: 1 });
    expect((await call('GET', '/v2/customers/reference/none')).status).toBe(404);
    expect((await call('POST', '/v2/customers', { body: customer })).status).toBe(500);
    expect((await call('POST', '/v2/customers', { body: customer })).status).toBe(200);
    expect(sim.inspect().faults_injected.server_error).toBe(1);
  });

  it('draws random faults at the configured rates, the same way for the same seed', async () => {
    const run = async () => {
      sim.reset();
      const configured = await fetch(`${sim.url}/__sim/faults`, {
        method: 'PUT',
        body: JSON.stringify({ seed: 7, rates: { server_error: 0.3, rate_limit: 0.2 }, routes: ['GET /v2/customers/reference/{merchant_reference_id}'] }),
        headers: { 'Content-Type': 'application/json' },
      });
      expect(configured.status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await call('GET', '/v2/customers/reference/none')).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    const count = (status: number) => first.filter((s) => s === status).length;
    expect(count(500)).toBeGreaterThan(5);
    expect(count(429)).toBeGreaterThan(3);
    expect(count(404)).toBeGreaterThan(15);
    expect(count(500) + count(429) + count(404)).toBe(60);
  });

  it('rejects a fault configuration that makes no sense', async () => {
    const answer = await fetch(`${sim.url}/__sim/faults`, { method: 'PUT', body: JSON.stringify({ rates: { server_error: 0.8, timeout: 0.5 } }) });
    expect(answer.status).toBe(400);
    const unknownKind = await fetch(`${sim.url}/__sim/faults/script`, { method: 'POST', body: JSON.stringify([{ kind: 'meteor' }]) });
    expect(unknownKind.status).toBe(400);
  });

  it('adds latency', async () => {
    sim.faults.configure({ latencyMs: 120 });
    const started = performance.now();
    await call('GET', '/v2/customers/reference/none');
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('enforces a rate limit with Retry-After when one is set', async () => {
    sim.faults.configure({ rateLimitPerSecond: 5, retryAfterSeconds: 1 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => call('GET', '/v2/customers/reference/none')));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(6);
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    expect(sim.inspect().faults_injected.rate_limited).toBe(limited.length);
  });

  it('acts and then fails when told to', async () => {
    sim.faults.enqueue([{ kind: 'act_then_fail' }]);
    expect((await call('POST', '/v2/customers', { body: { ...customer, merchant_reference_id: 'acted' } })).status).toBe(500);
    expect(sim.inspect().customers_by_reference).toEqual({ acted: 1 });
  });

  it('acts and then resets the connection when told to', async () => {
    sim.faults.enqueue([{ kind: 'act_then_reset', route: 'POST /v2/customers' }]);
    await expect(call('POST', '/v2/customers', { body: customer })).rejects.toThrow();
    expect(sim.inspect().customers).toBe(1);
  });

  it('commits late: no answer, then the operation happens lateCommitMs after the request arrived', async () => {
    sim.faults.configure({ lateCommitMs: 300 });
    sim.faults.enqueue([{ kind: 'late_commit', route: 'POST /v2/customers' }]);
    const answer = call('POST', '/v2/customers', { body: customer }).catch(() => 'no answer');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.inspect().customers).toBe(0);
    await expect(answer).resolves.toBe('no answer');
    expect(sim.inspect().customers).toBe(1);
  });

  it('keeps a journal of every request: the ids it touched, the fault it drew, how it ended, what it acted on', async () => {
    sim.faults.enqueue([{ kind: 'act_then_fail', route: 'POST /v2/customers' }]);
    await call('POST', '/v2/customers', { body: { ...customer, merchant_reference_id: 'ref-journal' } });
    const { id } = sim.objects().customers[0]!;
    await call('GET', `/v2/customers/${id}`);
    const journal = await (await fetch(`${sim.url}/__sim/journal`)).json();
    expect(journal).toEqual([
      { seq: 0, at: expect.any(String), route: 'POST /v2/customers', request_id: expect.stringMatching(/^sim_/), reference: 'ref-journal', fault: 'act_then_fail', outcome: 500, acted_on: id },
      { seq: 1, at: expect.any(String), route: 'GET /v2/customers/{id}', request_id: expect.stringMatching(/^sim_/), customer_id: id, outcome: 200 },
    ]);
    const objects = await (await fetch(`${sim.url}/__sim/objects`)).json();
    expect(objects).toEqual({ customers: [{ id, merchant_reference_id: 'ref-journal', created_at: expect.any(String) }], payment_methods: [], payments: [] });
  });

  it('resets state and faults', async () => {
    await call('POST', '/v2/customers', { body: customer });
    sim.faults.enqueue([{ kind: 'timeout' }]);
    expect((await fetch(`${sim.url}/__sim/reset`, { method: 'POST' })).status).toBe(200);
    const inspection = sim.inspect();
    expect(inspection.customers).toBe(0);
    expect(inspection.requests).toEqual({});
    expect(sim.faults.pending).toBe(0);
  });
});

describe('test-card scenarios', () => {
  const nextYear = String(new Date().getUTCFullYear() + 1);
  async function savedCard(number: string) {
    const { body: created } = await call('POST', '/v2/customers', { body: customer });
    const card = { card_number: number, card_exp_month: '12', card_exp_year: nextYear, card_holder_name: 'Jane Doe', card_cvc: '123' };
    const { body: method } = await call('POST', '/v2/payment-methods', { body: { payment_method_type: 'card', customer_id: created.id, storage_type: 'persistent', payment_method_data: { card } } });
    return { customerId: created.id as string, methodId: method.id as string };
  }
  const pay = (saved: { customerId: string; methodId: string }, extra: Record<string, unknown> = {}) =>
    call('POST', '/v2/payments', {
      auth: PAYMENT,
      body: { amount_details: { order_amount: 1000, currency: 'USD' }, customer_id: saved.customerId, payment_method_type: 'card', payment_method_id: saved.methodId, payment_method_data: { card_token: { card_holder_name: 'Jane Doe' } }, ...extra },
    });

  it("keeps merchant references unique as Hyperswitch does: HE_01 for a second customer's or payment's, a deleted customer's free again", async () => {
    const first = await call('POST', '/v2/customers', { body: { ...customer, merchant_reference_id: 'ref-unique' } });
    expect((await call('POST', '/v2/customers', { body: { ...customer, merchant_reference_id: 'ref-unique' } })).body.error.code).toBe('HE_01');
    expect((await call('GET', '/v2/customers/reference/ref-unique')).body.id).toBe(first.body.id);
    expect((await call('DELETE', `/v2/customers/${first.body.id}`)).status).toBe(200);
    expect((await call('GET', '/v2/customers/reference/ref-unique')).status).toBe(404);
    const again = await call('POST', '/v2/customers', { body: { ...customer, merchant_reference_id: 'ref-unique' } });
    expect(again.status).toBe(200);
    expect((await call('GET', '/v2/customers/reference/ref-unique')).body.id).toBe(again.body.id);

    const saved = await savedCard('4242424242424242');
    // A payment's reference is 30 characters in the spec.
    const order = (name: string) => name.padEnd(30, '0');
    expect((await pay(saved, { merchant_reference_id: order('order_unique') })).status).toBe(200);
    expect((await pay(saved, { merchant_reference_id: order('order_unique') })).body.error.code).toBe('HE_01');
    expect((await pay(saved, { merchant_reference_id: order('order_other') })).status).toBe(200);
  });

  it('asks for 3-D Secure on every payment of 4000002760003184, through a challenge page with Approve and Fail', async () => {
    const saved = await savedCard('4000002760003184');
    const { body: payment } = await pay(saved, { customer_present: 'present', return_url: 'http://localhost:5173/return' });
    expect(payment).toMatchObject({ status: 'requires_customer_action', next_action: { type: 'redirect_to_url', redirect_to_url: `${sim.url}/__sim/3ds/${payment.id}` } });
    expect(await (await fetch(`${sim.url}/__sim/challenges`)).json()).toEqual([{ payment_id: payment.id, url: payment.next_action.redirect_to_url }]);
    const page = await (await fetch(payment.next_action.redirect_to_url)).text();
    expect(page).toContain('Approve');
    expect(page).toContain('Fail');
    expect(page).not.toMatch(/<script/i);
    const answered = await answerChallenge(payment.next_action.redirect_to_url, 'approve');
    expect(answered.status).toBe(303);
    expect(answered.headers.get('location')).toBe('http://localhost:5173/return');
    expect((await call('GET', `/v2/payments/${payment.id}?force_sync=true`, { auth: PAYMENT })).body).toMatchObject({ status: 'succeeded', next_action: null });
    expect((await answerChallenge(payment.next_action.redirect_to_url, 'approve')).status).toBe(409);

    const { body: second } = await pay(saved, { customer_present: 'present' });
    await answerChallenge(second.next_action.redirect_to_url, 'fail');
    expect((await call('GET', `/v2/payments/${second.id}`, { auth: PAYMENT })).body).toMatchObject({ status: 'failed', error: { code: 'authentication_failed' } });
    // Every answer, the next_action included, is a PaymentsResponse by the spec.
    expect(sim.inspect().contract_violations.filter((record) => record.direction === 'response')).toEqual([]);
  });

  it('asks 4000002500003155 for 3-D Secure on the customer-initiated setup only; MITs after it go through', async () => {
    const saved = await savedCard('4000002500003155');
    const { body: setup } = await pay(saved, { customer_present: 'present', setup_future_usage: 'off_session' });
    expect(setup.status).toBe('requires_customer_action');
    await answerChallenge(setup.next_action.redirect_to_url, 'approve');
    const { body: mit } = await pay(saved, { customer_present: 'absent', apply_mit_exemption: 'Apply' });
    expect(mit).toMatchObject({ status: 'succeeded' });
    expect(sim.inspect().payment_signals[mit.id]).toEqual({ customer_present: 'absent', setup_future_usage: null, authentication_type: null, apply_mit_exemption: 'Apply' });
  });

  it.each([['succeeded', null], ['failed', 'card_declined']] as const)('answers processing for a scripted payment, then settles it %s on a later read', async (settlesTo, code) => {
    const script = await fetch(`${sim.url}/__sim/outcomes/script`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ outcome: 'processing', settle_after_ms: 150, settles_to: settlesTo }]) });
    expect(await script.json()).toEqual({ pending: 1 });
    const { body: payment } = await pay(await savedCard('4242424242424242'), { customer_present: 'present' });
    expect(payment.status).toBe('processing');
    expect((await call('GET', `/v2/payments/${payment.id}`, { auth: PAYMENT })).body.status).toBe('processing');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const settled = (await call('GET', `/v2/payments/${payment.id}`, { auth: PAYMENT })).body;
    expect(settled.status).toBe(settlesTo);
    expect(settled.error?.code ?? null).toBe(code);
  });

  it('declines an MIT of a card no customer-initiated setup readied, as the connector would', async () => {
    const saved = await savedCard('4242424242424242');
    const { body: mit } = await pay(saved, { customer_present: 'absent' });
    expect(mit).toMatchObject({ status: 'failed', error: { code: 'authentication_required', unified_code: expect.any(String) } });
  });

  it.each([
    ['4000000000000002', 'card_declined', 'generic_decline'],
    ['4000000000009995', 'card_declined', 'insufficient_funds'],
    ['4000000000000069', 'expired_card', 'expired_card'],
    ['4000000000000127', 'incorrect_cvc', 'incorrect_cvc'],
    ['4000000000000119', 'processing_error', 'processing_error'],
  ])('declines %s with a Hyperswitch-shaped error: %s (%s)', async (number, code, reason) => {
    const { body } = await pay(await savedCard(number), { customer_present: 'present' });
    expect(body).toMatchObject({ status: 'failed', error: { code, reason, message: expect.any(String), unified_code: expect.any(String), unified_message: expect.any(String) } });
  });
});

describe('npm run simulator', () => {
  it('starts on HYPERSWITCH_SIM_PORT with the keys from the environment, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(__dirname, '../../../node_modules/tsx/dist/cli.mjs'), 'local/hyperswitch-sim/main.ts'], {
      cwd: join(__dirname, '../../..'),
      env: { ...process.env, HYPERSWITCH_SIM_PORT: '0', HYPERSWITCH_SIM_VAULT_API_KEY: 'snd_local_fake_custom_vault' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const found = /listening on (http:\/\/\S+)/.exec(output);
          if (found) resolve(found[1]!);
        });
        child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
      });
      const answer = await fetch(`${url}/v2/customers`, {
        method: 'POST',
        headers: { Authorization: 'api-key=snd_local_fake_custom_vault', 'X-Profile-Id': SIM_DEFAULTS.profileId, 'Content-Type': 'application/json' },
        body: JSON.stringify(customer),
      });
      expect(answer.status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(child.exitCode).toBe(0);
  });
});
