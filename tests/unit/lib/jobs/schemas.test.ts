import { DEFAULT_MAX_CHARGE_AMOUNT, vaultRequestSchema } from '../../../../lib/jobs';
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
