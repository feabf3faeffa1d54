/**
 * The contract tests: every request our client sends validates against Hyperswitch's published v2
 * spec (unchanged), and every answer the simulator gives validates against the spec's response
 * schemas (with the server's documented deviations). Requests and responses are captured on the
 * wire, between our transport and the simulator, and checked here with a validator of their own.
 */
import { HyperswitchTransport, PaymentsClient, VaultClient } from '../../../lib/hyperswitch';
import { nodeHttpSend, type HttpSend } from '../../../lib/hyperswitch/http';
import { hyperswitchCredentialsSchema, typedSecret } from '../../../lib/secrets';
import { ContractValidator, loadContract, type Violation } from '../../../local/hyperswitch-sim/contract';
import { cardRequest, customerRequest, PAYMENT_SECRET_ID, paymentRequest, startHyperswitchStack, VAULT_SECRET_ID, type HyperswitchStack } from '../../helpers/hyperswitch';

interface Exchange {
  method: string;
  template: string;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

const document = loadContract();
const published = new ContractValidator(document);
const server = ContractValidator.forServer(document);
// Literal paths first, so that /v2/payments/list is not taken for /v2/payments/{id}.
const templates = Object.keys(document.paths)
  .sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')))
  .map((template) => ({ template, regex: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`) }));

function templateOf(pathname: string): string {
  const found = templates.find(({ regex }) => regex.test(pathname));
  if (!found) throw new Error(`No contract path matches ${pathname}`);
  return found.template;
}

let stack: HyperswitchStack;
const exchanges: Exchange[] = [];
let vault: VaultClient;
let payments: PaymentsClient;

beforeAll(async () => {
  stack = await startHyperswitchStack();
  const capturing: HttpSend = async (url, request, bodySent) => {
    const answer = await nodeHttpSend(url, request, bodySent);
    exchanges.push({
      method: request.method,
      template: templateOf(url.pathname),
      requestBody: request.body === undefined ? undefined : JSON.parse(request.body),
      status: answer.status,
      responseBody: answer.body ? JSON.parse(answer.body) : undefined,
    });
    return answer;
  };
  const transport = new HyperswitchTransport({ baseUrl: stack.simulator.url, timeoutMs: 2000, log: stack.log, send: capturing });
  vault = new VaultClient(transport, typedSecret(stack.secrets, VAULT_SECRET_ID, hyperswitchCredentialsSchema));
  payments = new PaymentsClient(transport, typedSecret(stack.secrets, PAYMENT_SECRET_ID, hyperswitchCredentialsSchema));
});
afterAll(() => stack.close());

async function everyOperation(): Promise<void> {
  const customer = await vault.createCustomer({ ...customerRequest('contract_customer'), phone: '5550100', metadata: { source: 'contract-test' } });
  await vault.getCustomer(customer.id);
  await vault.getCustomerByReference('contract_customer');
  await vault.updateCustomer(customer.id, { name: 'Jane Q. Doe', email: 'jane@example.com' });
  const method = await vault.createPaymentMethod(cardRequest(customer.id, '4111111111111111', { network: true }));
  const declining = await vault.createPaymentMethod(cardRequest(customer.id, '4000000000000002'));
  await vault.getPaymentMethod(method.id);
  await vault.listCustomerPaymentMethods(customer.id);
  await vault.updatePaymentMethod(method.id, { payment_method_data: { card: { card_holder_name: 'J. Doe', nick_name: 'travel', card_cvc: '321' } } });
  await vault.getNetworkTokenStatus(method.id);
  await vault.getNetworkTokenStatus(declining.id);
  const payment = await payments.createAndConfirmPayment({
    ...paymentRequest(customer.id, method.id, 'pay_contract_000000000000000001'.slice(0, 30)),
    payment_method_data: { card_token: { card_holder_name: 'J. Doe', card_cvc: '321' } },
    // A customer-initiated setup with every stored-credential signal we send.
    customer_present: 'present',
    setup_future_usage: 'off_session',
    authentication_type: 'no_three_ds',
    return_url: 'https://shop.example/return',
    description: 'contract test',
  });
  // A merchant-initiated charge: the shopper absent, the MIT exemption asked for.
  await payments.createAndConfirmPayment({ ...paymentRequest(customer.id, method.id, 'pay_contract_mit_0000000000001'), customer_present: 'absent', apply_mit_exemption: 'Apply' });
  await payments.createAndConfirmPayment(paymentRequest(customer.id, declining.id));
  await payments.getPayment(payment.id, { forceSync: true });
  await payments.listPayments({ customerId: customer.id, limit: 10, offset: 0, createdSince: '2026-01-01T00:00:00.000Z' });
  await vault.deletePaymentMethod(declining.id);
  await vault.deleteCustomer(customer.id);
}

describe('the Hyperswitch v2 contract', () => {
  beforeAll(everyOperation);

  it('exercised every operation our client offers', () => {
    const seen = new Set(exchanges.map((e) => `${e.method} ${e.template}`));
    expect([...seen].sort()).toEqual([
      'DELETE /v2/customers/{id}',
      'DELETE /v2/payment-methods/{id}',
      'GET /v2/customers/reference/{merchant_reference_id}',
      'GET /v2/customers/{id}',
      'GET /v2/customers/{id}/saved-payment-methods',
      'GET /v2/payment-methods/{id}',
      'GET /v2/payment-methods/{payment_method_id}/check-network-token-status',
      'GET /v2/payments/list',
      'GET /v2/payments/{id}',
      'POST /v2/customers',
      'POST /v2/payment-methods',
      'POST /v2/payments',
      'PUT /v2/customers/{id}',
      'PUT /v2/payment-methods/{id}/update-saved-payment-method',
    ]);
    expect(exchanges.every((e) => e.status === 200)).toBe(true);
  });

  it('every request body validates against the published spec, unchanged', () => {
    const failures: Array<{ route: string; violations: Violation[] }> = [];
    for (const e of exchanges.filter((x) => x.requestBody !== undefined)) {
      const violations = published.validateRequestBody(e.method, e.template, e.requestBody);
      if (violations.length > 0) failures.push({ route: `${e.method} ${e.template}`, violations });
    }
    expect(exchanges.filter((x) => x.requestBody !== undefined).length).toBeGreaterThanOrEqual(7);
    expect(failures).toEqual([]);
  });

  it('every request carries the headers the spec requires', () => {
    // Our transport sends X-Profile-Id on every call; the spec requires it on most.
    for (const e of exchanges) expect(published.missingHeaders(e.method, e.template, { 'x-profile-id': 'p' })).toEqual([]);
  });

  it('every simulator answer validates against the spec response schema (with the server deviations)', () => {
    const failures: Array<{ route: string; violations: Violation[] }> = [];
    for (const e of exchanges) {
      const violations = server.validateResponseBody(e.method, e.template, e.status, e.responseBody);
      if (violations.length > 0) failures.push({ route: `${e.method} ${e.template}`, violations });
    }
    expect(failures).toEqual([]);
    expect(stack.simulator.inspect().contract_violations).toEqual([]);
  });

  it('never receives raw card data back', () => {
    expect(JSON.stringify(exchanges.map((e) => e.responseBody))).not.toMatch(/4111111111111111|4000000000000002|"card_cvc"|"card_number"/);
  });
});

describe('the contract checks themselves', () => {
  it('flag a request the published spec rejects although the server accepts it', async () => {
    const before = stack.simulator.inspect().contract_violations.length;
    const customer = await vault.createCustomer(customerRequest());
    const noCountry = cardRequest(customer.id) as { payment_method_data: { card: Record<string, unknown> } };
    delete noCountry.payment_method_data.card.card_issuing_country;
    expect(published.validateRequestBody('POST', '/v2/payment-methods', noCountry).map((v) => v.message)).toContain(
      "must have required property 'card_issuing_country'",
    );
    const response = await fetch(`${stack.simulator.url}/v2/payment-methods`, {
      method: 'POST',
      headers: { Authorization: 'api-key=snd_local_fake_vault_key', 'X-Profile-Id': 'pro_local_fake_profile', 'Content-Type': 'application/json' },
      body: JSON.stringify(noCountry),
    });
    expect(response.status).toBe(200);
    const recorded = stack.simulator.inspect().contract_violations.slice(before);
    expect(recorded).toEqual([{ direction: 'request', route: 'POST /v2/payment-methods', violations: expect.arrayContaining([expect.objectContaining({ path: '/payment_method_data/card' })]) }]);
  });

  it('flag a response that breaks its schema', () => {
    expect(server.validateResponseBody('POST', '/v2/customers', 200, { id: 'too-short' }).length).toBeGreaterThan(0);
    expect(server.validateResponseBody('GET', '/v2/payments/{id}', 200, { id: '12345_pay_0123456789abcdef0123456789abcdef', status: 'paid' }).length).toBeGreaterThan(0);
  });

  it('hold the server deviations to what the README documents', () => {
    expect(server.validateSchema('CardDetail', { card_number: '4242424242424242', card_exp_month: '1', card_exp_year: '30', card_cvc: '1' })).toEqual([]);
    expect(server.validateSchema('CardDetail', { card_number: '4242424242424242', card_exp_month: '1', card_exp_year: '30', card_cvc: '1', pin: '0' })).not.toEqual([]);
    expect(published.validateSchema('CardDetail', { card_number: '4242424242424242', card_exp_month: '1', card_exp_year: '30', card_cvc: '1' })).not.toEqual([]);
  });
});
