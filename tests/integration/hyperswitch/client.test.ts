import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HyperswitchAuthenticationError,
  HyperswitchConnectionError,
  HyperswitchConnectorError,
  HyperswitchDuplicateError,
  HyperswitchInvalidRequestError,
  HyperswitchNotFoundError,
  HyperswitchPermissionError,
  HyperswitchRateLimitError,
  HyperswitchServerError,
  HyperswitchTimeoutError,
  HyperswitchUnexpectedResponseError,
  PaymentsClient,
  VaultClient,
  HyperswitchTransport,
} from '../../../lib/hyperswitch';
import { hyperswitchCredentialsSchema, typedSecret } from '../../../lib/secrets';
import { SIM_DEFAULTS } from '../../../local/hyperswitch-sim/server';
import {
  cardRequest,
  credentialsSecret,
  customerRequest,
  PAYMENT_SECRET_ID,
  paymentRequest,
  startHyperswitchStack,
  VAULT_SECRET_ID,
  type HyperswitchStack,
} from '../../helpers/hyperswitch';

let stack: HyperswitchStack;
beforeAll(async () => {
  stack = await startHyperswitchStack({ timeoutMs: 300 });
});
afterAll(() => stack.close());
beforeEach(() => stack.simulator.reset());

const reference = (prefix: string) => `${prefix}_${Math.random().toString(36).slice(2, 12)}`;
const paymentReference = () => `pay_${Math.random().toString(36).slice(2)}`.padEnd(30, '0').slice(0, 30);

async function vaultedCard(number = '4242424242424242', network = false) {
  const customer = await stack.vault.createCustomer(customerRequest(reference('cus')));
  const method = await stack.vault.createPaymentMethod(cardRequest(customer.id, number, { network }));
  return { customer, method };
}

describe('customers', () => {
  it('creates, retrieves (by id and by reference), updates and deletes a customer', async () => {
    const ref = reference('cus');
    const created = await stack.vault.createCustomer(customerRequest(ref));
    expect(created).toMatchObject({ merchant_reference_id: ref, name: 'Jane Doe', email: 'jane@example.com' });
    await expect(stack.vault.getCustomer(created.id)).resolves.toEqual(created);
    await expect(stack.vault.getCustomerByReference(ref)).resolves.toEqual(created);
    const updated = await stack.vault.updateCustomer(created.id, { name: 'Jane Q. Doe', email: 'jane@example.com' });
    expect(updated.name).toBe('Jane Q. Doe');
    await expect(stack.vault.deleteCustomer(created.id)).resolves.toMatchObject({ id: created.id, customer_deleted: true });
    await expect(stack.vault.getCustomer(created.id)).rejects.toBeInstanceOf(HyperswitchNotFoundError);
  });

  it('answers a repeated merchant_reference_id with a duplicate error', async () => {
    const ref = reference('cus');
    await stack.vault.createCustomer(customerRequest(ref));
    const error = await stack.vault.createCustomer(customerRequest(ref)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchDuplicateError);
    expect(error).toMatchObject({ hyperswitchCode: 'HE_01', status: 400, retryable: false });
    expect(stack.simulator.inspect().customers_by_reference[ref]).toBe(1);
  });
});

describe('payment methods', () => {
  it('vaults a card and returns only masked card data', async () => {
    const { customer, method } = await vaultedCard();
    expect(method.customer_id).toBe(customer.id);
    expect(method.payment_method_data?.card).toMatchObject({ last4_digits: '4242', card_network: 'Visa', card_isin: '424242', saved_to_locker: true });
    expect(JSON.stringify(method)).not.toContain('4242424242424242');
    expect(method.network_token).toBeNull();
    expect(method.connector_tokens?.[0]?.token).toMatch(/^pm_sim_/);
  });

  it('requests a network token when asked, and reports its status', async () => {
    const { method } = await vaultedCard('4111111111111111', true);
    expect(method.network_token?.payment_method_data.last4_digits).toMatch(/^\d{4}$/);
    expect(stack.simulator.inspect().token_requests.network).toBe(1);
    await expect(stack.vault.getNetworkTokenStatus(method.id)).resolves.toMatchObject({
      type: 'success_response',
      status: 'ACTIVE',
      payment_method_id: method.id,
      card_last_four: '1111',
    });
    const { method: plain } = await vaultedCard();
    await expect(stack.vault.getNetworkTokenStatus(plain.id)).resolves.toMatchObject({ type: 'failure_response' });
  });

  it('lists, retrieves, updates and deletes saved payment methods', async () => {
    const { customer, method } = await vaultedCard();
    const listed = await stack.vault.listCustomerPaymentMethods(customer.id);
    expect(listed.customer_payment_methods.map((m) => m.id)).toEqual([method.id]);
    await expect(stack.vault.getPaymentMethod(method.id)).resolves.toMatchObject({ id: method.id });
    const updated = await stack.vault.updatePaymentMethod(method.id, {
      payment_method_data: { card: { card_holder_name: 'J. Doe', nick_name: 'work card', card_cvc: '456' } },
    });
    expect(updated.payment_method_data?.card).toMatchObject({ card_holder_name: 'J. Doe', nick_name: 'work card' });
    await expect(stack.vault.deletePaymentMethod(method.id)).resolves.toEqual({ id: method.id });
    await expect(stack.vault.deletePaymentMethod(method.id)).rejects.toBeInstanceOf(HyperswitchNotFoundError);
  });

  it('maps a rejected card to an invalid-request error', async () => {
    const customer = await stack.vault.createCustomer(customerRequest());
    const expired = cardRequest(customer.id);
    expired.payment_method_data.card.card_exp_year = '2020';
    await expect(stack.vault.createPaymentMethod(expired)).rejects.toMatchObject({
      name: 'HyperswitchInvalidRequestError',
      hyperswitchCode: 'IR_16',
    });
  });

  it('refuses an id that is not an id before anything is sent', async () => {
    const before = stack.simulator.inspect().requests;
    await expect(stack.vault.getPaymentMethod('../customers/x')).rejects.toBeInstanceOf(HyperswitchInvalidRequestError);
    await expect(stack.vault.getCustomer('a'.repeat(65))).rejects.toBeInstanceOf(HyperswitchInvalidRequestError);
    expect(stack.simulator.inspect().requests).toEqual(before);
  });
});

describe('payments', () => {
  it('charges a saved payment method with the payment key, and retrieves and lists it', async () => {
    const { customer, method } = await vaultedCard();
    const ref = paymentReference();
    const payment = await stack.payments.createAndConfirmPayment(paymentRequest(customer.id, method.id, ref));
    expect(payment).toMatchObject({ status: 'succeeded', payment_method_id: method.id, merchant_reference_id: ref });
    await expect(stack.payments.getPayment(payment.id)).resolves.toMatchObject({ id: payment.id, status: 'succeeded' });
    const list = await stack.payments.listPayments({ customerId: customer.id });
    expect(list.data.map((p) => p.merchant_reference_id)).toEqual([ref]);
    const requests = stack.simulator.inspect().requests;
    expect(requests['POST /v2/payments']?.by_key).toEqual({ payment: 1 });
    expect(requests['POST /v2/payment-methods']?.by_key).toEqual({ vault: 1 });
  });

  it('returns a declined charge as a failed payment with its reason', async () => {
    const { customer, method } = await vaultedCard('4000000000000002');
    const payment = await stack.payments.createAndConfirmPayment(paymentRequest(customer.id, method.id));
    expect(payment.status).toBe('failed');
    expect(payment.error).toMatchObject({ code: 'card_declined', message: 'Your card was declined.' });
  });

  it('answers a repeated payment reference with a duplicate error and charges once', async () => {
    const { customer, method } = await vaultedCard();
    const ref = paymentReference();
    await stack.payments.createAndConfirmPayment(paymentRequest(customer.id, method.id, ref));
    await expect(stack.payments.createAndConfirmPayment(paymentRequest(customer.id, method.id, ref))).rejects.toBeInstanceOf(HyperswitchDuplicateError);
    expect(stack.simulator.inspect().payments_by_reference[ref]).toBe(1);
  });
});

describe('credentials', () => {
  it('keeps the two keys apart: a vault key on payments is refused, a payment key on the vault too', async () => {
    const transport = new HyperswitchTransport({ baseUrl: stack.simulator.url, timeoutMs: 1000, log: stack.log });
    const vaultSecret = typedSecret(stack.secrets, VAULT_SECRET_ID, hyperswitchCredentialsSchema);
    const paymentSecret = typedSecret(stack.secrets, PAYMENT_SECRET_ID, hyperswitchCredentialsSchema);
    const paymentsWithVaultKey = new PaymentsClient(transport, vaultSecret);
    const vaultWithPaymentKey = new VaultClient(transport, paymentSecret);
    await expect(paymentsWithVaultKey.getPayment('12345_pay_0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(HyperswitchPermissionError);
    await expect(vaultWithPaymentKey.createCustomer(customerRequest())).rejects.toMatchObject({ name: 'HyperswitchPermissionError', status: 403 });
    expect(stack.simulator.inspect().customers).toBe(0);
  });

  it('re-reads a rotated key after a 401 and repeats the call once', async () => {
    stack.secretsManager.put(VAULT_SECRET_ID, credentialsSecret('snd_local_fake_revoked_key', stack.simulator.url));
    stack.secrets.invalidate(VAULT_SECRET_ID);
    await expect(stack.vault.createCustomer(customerRequest())).rejects.toBeInstanceOf(HyperswitchAuthenticationError);

    stack.secrets.invalidate(VAULT_SECRET_ID);
    await stack.vault.getCustomer('12345_cus_0123456789abcdef0123456789abcdef').catch(() => undefined);
    stack.secretsManager.put(VAULT_SECRET_ID, credentialsSecret(SIM_DEFAULTS.vaultApiKey, stack.simulator.url));
    const calls = stack.secretsManager.calls.get(VAULT_SECRET_ID) ?? 0;
    await expect(stack.vault.createCustomer(customerRequest())).resolves.toMatchObject({ name: 'Jane Doe' });
    expect(stack.secretsManager.calls.get(VAULT_SECRET_ID)).toBe(calls + 1);
    expect(stack.simulator.inspect().requests['POST /v2/customers']?.by_status).toEqual({ 200: 1, 401: 2 });
  });
});

describe('faults', () => {
  it('retries a 429 and honours Retry-After', async () => {
    stack.simulator.faults.configure({ retryAfterSeconds: 0 });
    stack.simulator.faults.enqueue([{ kind: 'rate_limit' }, { kind: 'rate_limit' }]);
    await expect(stack.vault.createCustomer(customerRequest())).resolves.toMatchObject({ name: 'Jane Doe' });
    expect(stack.simulator.inspect().requests['POST /v2/customers']?.by_status).toEqual({ 200: 1, 429: 2 });
  });

  it('gives a 429 back when the server asks for a longer wait than the in-process budget', async () => {
    stack.simulator.faults.configure({ retryAfterSeconds: 30 });
    stack.simulator.faults.enqueue([{ kind: 'rate_limit' }]);
    const error = await stack.vault.createCustomer(customerRequest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchRateLimitError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 30_000 });
  });

  it('retries a read on 5xx', async () => {
    const customer = await stack.vault.createCustomer(customerRequest());
    stack.simulator.faults.enqueue([{ kind: 'server_error', route: 'GET /v2/customers/{id}' }]);
    await expect(stack.vault.getCustomer(customer.id)).resolves.toMatchObject({ id: customer.id });
    expect(stack.simulator.inspect().faults_injected.server_error).toBe(1);
  });

  it('does not repeat a create that failed after acting; the object can be found by its reference', async () => {
    const ref = reference('cus');
    stack.simulator.faults.enqueue([{ kind: 'act_then_fail', route: 'POST /v2/customers' }]);
    const error = await stack.vault.createCustomer(customerRequest(ref)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchServerError);
    expect(error).toMatchObject({ outcomeUnknown: true, retryable: true });
    expect(stack.simulator.inspect().customers).toBe(1);
    await expect(stack.vault.getCustomerByReference(ref)).resolves.toMatchObject({ merchant_reference_id: ref });
  });

  it('times out a request that gets no answer, and does not repeat a POST', async () => {
    stack.simulator.faults.enqueue([{ kind: 'act_then_timeout', route: 'POST /v2/customers' }]);
    const error = await stack.vault.createCustomer(customerRequest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchTimeoutError);
    expect(error).toMatchObject({ outcomeUnknown: true });
    expect(stack.simulator.inspect().requests['POST /v2/customers']?.total).toBe(1);
  });

  it('retries a read that timed out', async () => {
    const customer = await stack.vault.createCustomer(customerRequest());
    stack.simulator.faults.enqueue([{ kind: 'timeout', route: 'GET /v2/customers/{id}' }]);
    await expect(stack.vault.getCustomer(customer.id)).resolves.toMatchObject({ id: customer.id });
  });

  it('repeats a create with a reference once after a reset connection: a repeat cannot act twice', async () => {
    stack.simulator.faults.enqueue([{ kind: 'reset', route: 'POST /v2/customers' }]);
    await expect(stack.vault.createCustomer(customerRequest(reference('cus')))).resolves.toMatchObject({ name: 'Jane Doe' });
    stack.simulator.faults.enqueue([{ kind: 'reset', route: 'POST /v2/customers' }, { kind: 'reset', route: 'POST /v2/customers' }]);
    await expect(stack.vault.createCustomer(customerRequest(reference('cus')))).rejects.toMatchObject({ name: 'HyperswitchConnectionError', connectionReset: true });
    expect(stack.simulator.inspect().customers).toBe(1);
  });

  it('does not repeat a card create after a reset once the request was written: Hyperswitch may have saved it', async () => {
    const customer = await stack.vault.createCustomer(customerRequest(reference('cus')));
    stack.simulator.faults.enqueue([{ kind: 'act_then_reset', route: 'POST /v2/payment-methods' }]);
    await expect(stack.vault.createPaymentMethod(cardRequest(customer.id))).rejects.toMatchObject({ name: 'HyperswitchConnectionError', outcomeUnknown: true });
    expect(stack.simulator.inspect().requests['POST /v2/payment-methods']?.total).toBe(1);
    expect(stack.simulator.inspect().payment_methods).toBe(1);
  });

  it('reports a Hyperswitch that cannot be reached as a connection error', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const transport = new HyperswitchTransport({ baseUrl: `http://127.0.0.1:${closedPort}`, timeoutMs: 500, log: stack.log, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 } });
    const unreachable = new VaultClient(transport, { secretId: 'x', get: async () => ({ api_key: 'k', profile_id: 'p' }), invalidate: () => undefined });
    const error = await unreachable.createCustomer(customerRequest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchConnectionError);
    expect(error).toMatchObject({ outcomeUnknown: false });
  });
});

describe('bad answers and bad secrets', () => {
  it('reports a connector failure as a connector error, not retried', async () => {
    const { customer, method } = await vaultedCard();
    stack.simulator.faults.enqueue([{ kind: 'connector_error', route: 'POST /v2/payments' }]);
    const error = await stack.payments.createAndConfirmPayment(paymentRequest(customer.id, method.id)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchConnectorError);
    expect(error).toMatchObject({ hyperswitchCode: 'CE_00', retryable: false });
    expect(stack.simulator.inspect().payments).toBe(0);
  });

  it('reports a success that is not JSON as an unexpected response whose outcome is unknown', async () => {
    stack.simulator.faults.enqueue([{ kind: 'malformed_response', route: 'POST /v2/customers' }]);
    const error = await stack.vault.createCustomer(customerRequest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchUnexpectedResponseError);
    expect(error).toMatchObject({ outcomeUnknown: true, status: 200, message: 'Hyperswitch customers.create answered 200 with a body that is not JSON' });
    expect(stack.simulator.inspect().customers).toBe(1);
  });

  it('reports a malformed credentials secret without its value, and sends nothing', async () => {
    stack.secretsManager.put(PAYMENT_SECRET_ID, JSON.stringify({ api_key: '', profile_id: 'snd_local_fake_leak_check' }));
    stack.secrets.invalidate(PAYMENT_SECRET_ID);
    try {
      const error = await stack.payments.getPayment('12345_pay_0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'SecretError', code: 'secret_malformed', message: `Secret ${PAYMENT_SECRET_ID} is malformed: invalid or missing api_key` });
      expect(String(error)).not.toContain('snd_local_fake_leak_check');
      expect(stack.simulator.inspect().requests).toEqual({});
    } finally {
      stack.secretsManager.put(PAYMENT_SECRET_ID, credentialsSecret(SIM_DEFAULTS.paymentApiKey, stack.simulator.url));
      stack.secrets.invalidate(PAYMENT_SECRET_ID);
    }
  });
});

describe('connections', () => {
  it('reuses keep-alive connections across calls and across idle gaps between invocations', async () => {
    const before = stack.simulator.inspect().connections;
    for (let i = 0; i < 10; i++) await stack.vault.createCustomer(customerRequest());
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 10; i++) await stack.vault.createCustomer(customerRequest());
    // 20 calls without keep-alive would open 20 connections. The agent may open a second socket when a
    // call starts before the previous one is back in the pool; earlier tests' sockets may be reused.
    expect(stack.simulator.inspect().connections - before).toBeLessThanOrEqual(2);
    expect(stack.simulator.inspect().connections).toBeGreaterThan(0);
  });
});

describe('logs', () => {
  it('never contain a card number, a CVC field or an API key', async () => {
    const { customer, method } = await vaultedCard('4111111111111111', true);
    await stack.payments.createAndConfirmPayment(paymentRequest(customer.id, method.id));
    const text = stack.log.text();
    expect(stack.log.entries.length).toBeGreaterThan(3);
    expect(text).not.toMatch(/4111111111111111|4242424242424242/);
    expect(text).not.toContain('card_cvc');
    expect(text).not.toContain(SIM_DEFAULTS.vaultApiKey);
    expect(text).not.toContain(SIM_DEFAULTS.paymentApiKey);
  });
});
