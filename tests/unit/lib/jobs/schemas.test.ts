import cardValidator from 'card-validator';
import { DEFAULT_MAX_CHARGE_AMOUNT, sealVaultJob, vaultRequestSchema } from '../../../../lib/jobs';
import { fieldProblems } from '../../../../lib/validation';
import { invalidCheckouts, validCheckout } from '../../../fixtures/checkouts';

const schema = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT);

describe('the checkout request', () => {
  it('accepts a valid card, normalizing the number and defaulting tokenization', () => {
    const parsed = schema.parse(validCheckout());
    expect(parsed.card.number).toBe('4242424242424242');
    expect(parsed.tokenization).toEqual({ psp: false, network: false });
  });

  it('accepts numeric strings for expiry, a 2-digit year, dashes in the number and an existing customer', () => {
    const body = validCheckout();
    const parsed = schema.parse({
      ...body,
      customer: { customer_id: '12345_cus_0123456789abcdef0123456789abcdef' },
      card: { ...body.card, number: '4111-1111-1111-1111', exp_month: '07', exp_year: String((new Date().getUTCFullYear() + 2) % 100) },
      charge: { amount: 1, currency: 'JPY' },
    });
    expect(parsed.card).toMatchObject({ number: '4111111111111111', exp_month: 7 });
  });

  // Regression cases: free text whose digit runs pass Luhn by chance is not a card number.
  it.each([
    ['a +-tagged email holding a nanosecond timestamp', { customer: { name: 'Jane Doe', email: 'jane+1764022317679123457@example.com' } }],
    ['a numeric mailbox name', { customer: { name: 'Jane Doe', email: '1764022317671@example.com' } }],
    ['a millisecond order id in metadata', { metadata: { order_id: '1764022317671' } }],
    ['an American Express card with its 4-digit CVC', { card: { ...validCheckout().card, number: '3782 822463 10005', cvc: '1234' } }],
  ])('accepts %s', (_, change) => {
    expect(schema.safeParse({ ...validCheckout(), ...change }).success).toBe(true);
  });

  it.each([
    ['0000000000000000', 'card_number_invalid'],
    ['3782822463100005', 'card_number_length_invalid'],
    ['4242424242424241', 'card_number_checksum_invalid'],
  ])('names what is wrong with the card number %s by a field code, without echoing it', (number, code) => {
    const result = schema.safeParse({ ...validCheckout(), card: { ...validCheckout().card, number } });
    const problems = fieldProblems(result.error!);
    expect(problems).toEqual([{ path: 'card.number', code, message: expect.any(String) }]);
    expect(JSON.stringify(problems)).not.toContain(number);
  });

  it('accepts numbers of no known network only when configured to (private label)', () => {
    const body = { ...validCheckout(), card: { ...validCheckout().card, number: '9999 9999 9999 9995' } };
    expect(schema.safeParse(body).success).toBe(false);
    expect(vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT, { acceptUnrecognizedNetworks: true }).safeParse(body).success).toBe(true);
  });

  it.each(invalidCheckouts)('rejects %s', (_, body, path) => {
    const result = schema.safeParse(body);
    expect(result.success).toBe(false);
    const problems = fieldProblems(result.error!);
    expect(problems.map((p) => p.path)).toContain(path);
  });

  it('has at least 30 kinds of invalid body on file', () => {
    expect(invalidCheckouts.length).toBeGreaterThanOrEqual(30);
  });

  it('never repeats a card number in what it reports', () => {
    for (const [, body] of invalidCheckouts) {
      const result = schema.safeParse(body);
      const reported = JSON.stringify(fieldProblems(result.error!));
      expect(reported).not.toMatch(/4242\s?4242|4111\s?1111/);
    }
  });
});

describe('a checkout card', () => {
  it('is matched against the networks once, from validation to its mask', () => {
    const match = jest.spyOn(cardValidator, 'number');
    try {
      const request = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse({ ...validCheckout(), card: { ...validCheckout().card, number: '5555 5555 5555 4444', cvc: '123' } });
      const { card } = sealVaultJob('job_0123456789abcdef0123456789abcdef', request, { current_key_id: 'k', keys: { k: Buffer.alloc(32, 1).toString('base64') }, hmac_key: Buffer.alloc(32, 2).toString('base64') });
      expect(card).toMatchObject({ brand: 'Mastercard', last4: '4444' });
      expect(match).toHaveBeenCalledTimes(1);
    } finally {
      match.mockRestore();
    }
  });
});
