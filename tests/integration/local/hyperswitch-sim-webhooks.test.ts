/**
 * The simulator's outgoing webhooks are what Hyperswitch sends: an `OutgoingWebhook` of the v2 spec,
 * signed with X-Webhook-Signature-512 (checked here with node:crypto, independently of our code), one
 * per payment state change — and, with faults, duplicated, delayed, badly signed or lost.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContractValidator } from '../../../local/hyperswitch-sim/contract';
import type { WebhookFaults } from '../../../local/hyperswitch-sim/webhooks';
import { cardCreateRequest } from '../../../lib/jobs/steps/payment-method';
import { startHyperswitchStack, type HyperswitchStack } from '../../helpers/hyperswitch';
import { validCheckout } from '../../fixtures/checkouts';

const HASH_KEY = 'test-fake-payment-response-hash-key-01';
const received: Array<{ body: string; signature: string }> = [];
let receiver: Server;
let url: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-webhook-signature-512']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/hyperswitch`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
});

async function chargeWith(faults?: WebhookFaults, random?: () => number): Promise<{ hyperswitch: HyperswitchStack; paymentId: string }> {
  const hyperswitch = await startHyperswitchStack({ simulator: { webhooks: { url, hashKey: HASH_KEY, faults, random } } });
  const customer = await hyperswitch.vault.createCustomer({ name: 'Jane Doe', email: 'jane@example.com' });
  const { number, exp_month, exp_year, cvc, holder_name } = validCheckout().card;
  const method = await hyperswitch.vault.createPaymentMethod(cardCreateRequest(customer.id, { number: number.replace(/ /g, ''), exp_month, exp_year, cvc, holder_name, issuing_country: 'US' }));
  const payment = await hyperswitch.payments.createAndConfirmPayment({
    amount_details: { order_amount: 1000, currency: 'USD' },
    customer_id: customer.id,
    payment_method_type: 'card',
    payment_method_id: method.id,
    payment_method_data: { card_token: { card_holder_name: 'Jane Doe' } },
    metadata: { s2s_vault_job_id: 'job_0123456789abcdef' },
  });
  await hyperswitch.simulator.webhooks!.settled();
  return { hyperswitch, paymentId: payment.id };
}

describe("the simulator's webhooks", () => {
  it('send a spec-shaped OutgoingWebhook per payment change, signed with the hash key', async () => {
    const { hyperswitch, paymentId } = await chargeWith();
    try {
      expect(received).toHaveLength(1);
      const [{ body, signature }] = received as [{ body: string; signature: string }];
      expect(signature).toBe(createHmac('sha512', HASH_KEY).update(body).digest('hex'));
      const webhook = JSON.parse(body);
      expect(ContractValidator.load().spec.validateSchema('OutgoingWebhook', webhook)).toEqual([]);
      expect(webhook).toMatchObject({ event_type: 'payment_succeeded', content: { type: 'payment_details', object: { id: paymentId, status: 'succeeded', metadata: { s2s_vault_job_id: 'job_0123456789abcdef' } } } });
    } finally {
      await hyperswitch.close();
    }
  });

  it('duplicate, and badly sign, when told to', async () => {
    const { hyperswitch } = await chargeWith({ duplicate: 1, badSignature: 1 });
    try {
      expect(received).toHaveLength(2);
      expect(received[0]!.body).toBe(received[1]!.body);
      expect(received[0]!.signature).not.toBe(createHmac('sha512', HASH_KEY).update(received[0]!.body).digest('hex'));
      expect(hyperswitch.simulator.inspect().webhooks).toMatchObject({ duplicated: 1, bad_signature: 1 });
    } finally {
      await hyperswitch.close();
    }
  });

  it('lose webhooks when told to', async () => {
    const { hyperswitch } = await chargeWith({ lose: 1 });
    try {
      expect(received).toHaveLength(0);
      expect(hyperswitch.simulator.inspect().webhooks).toMatchObject({ lost: 1, webhooks: 0 });
    } finally {
      await hyperswitch.close();
    }
  });
});
