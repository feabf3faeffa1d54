import { randomBytes } from 'node:crypto';
import { encryptJson, type DataKeys } from '../../../../lib/crypto';
import { DEFAULT_MAX_CHARGE_AMOUNT, parseVaultJobMessage } from '../../../../lib/jobs';

const keys: DataKeys = { current_key_id: 'k1', keys: { k1: randomBytes(32).toString('base64') }, hmac_key: randomBytes(32).toString('base64') };
const message = (overrides: Record<string, unknown> = {}) => ({
  schema: 'vault-job/v1',
  job_id: 'order-1-save-card',
  customer: { name: 'Jane Doe', email: 'jane@example.com' },
  card: encryptJson(keys, { number: '4242424242424242' }, 'order-1-save-card'),
  ...overrides,
});
const parse = (body: unknown) => parseVaultJobMessage(typeof body === 'string' ? body : JSON.stringify(body), DEFAULT_MAX_CHARGE_AMOUNT);

describe('parseVaultJobMessage', () => {
  it('accepts a vault-job/v1 message and defaults tokenization', () => {
    const parsed = parse(message());
    expect(parsed).toMatchObject({ valid: true, message: { job_id: 'order-1-save-card', tokenization: { psp: false, network: false } } });
  });

  it.each([
    ['random bytes', randomBytes(64).toString('latin1'), 'invalid_message', undefined],
    ['JSON that is not an object', '[1,2,3]', 'unsupported_schema', undefined],
    ['an unknown schema version', message({ schema: 'vault-job/v2' }), 'unsupported_schema', 'order-1-save-card'],
    ['a missing schema', message({ schema: undefined }), 'unsupported_schema', 'order-1-save-card'],
    ['a wrong shape', message({ customer: 'Jane' }), 'invalid_message', 'order-1-save-card'],
    ['an envelope with an unknown field', message({ card: { ...message().card, extra: 1 } }), 'invalid_message', 'order-1-save-card'],
    ['an unusable job id', message({ job_id: '../etc' }), 'invalid_message', undefined],
    ['an over-large charge', message({ charge: { amount: DEFAULT_MAX_CHARGE_AMOUNT + 1, currency: 'USD' } }), 'invalid_message', 'order-1-save-card'],
  ])('rejects %s', (_, body, code, jobId) => {
    const parsed = parse(body);
    expect(parsed).toMatchObject({ valid: false, jobId, plainCard: false, error: { code, retryable: false } });
  });

  it.each([
    ['a plain card object', message({ card: { number: '4242424242424242', cvc: '123' } })],
    ['a card number hidden in metadata', message({ metadata: { note: 'card 4111 1111 1111 1111' } })],
    ['a card number as a JSON number', message({ card: { number: 4242424242424242 } })],
  ])('rejects %s as plain card data, without repeating it', (_, body) => {
    const parsed = parse(body);
    expect(parsed).toMatchObject({ valid: false, plainCard: true, jobId: 'order-1-save-card', error: { code: 'plain_card_rejected' } });
    expect(JSON.stringify(parsed)).not.toMatch(/4242424242424242|4111 1111/);
  });

  it('accepts a job id whose hex happens to hold a Luhn-valid digit run (a checkout job id, for example)', () => {
    const jobId = 'job_27bea4242424242424242ecb5133a55';
    const parsed = parse({ ...message(), job_id: jobId, card: encryptJson(keys, { number: '4242424242424242' }, jobId) });
    expect(parsed).toMatchObject({ valid: true, message: { job_id: jobId } });
  });

  // Regression cases: a message our own intake produced was failed for digits in its free text.
  it.each([
    ['a +-tagged email holding a nanosecond timestamp', { customer: { name: 'Jane Doe', email: 'jane+1764022317679123457@example.com' } }],
    ['a numeric mailbox name', { customer: { name: 'Jane Doe', email: '1764022317671@example.com' } }],
    ['a millisecond order id in metadata', { metadata: { order_id: '1764022317671' } }],
    ['a nanosecond timestamp as the customer name', { customer: { name: '1764022317679123457', email: 'jane@example.com' } }],
  ])('accepts a valid message whatever its free text happens to hold: %s', (_, overrides) => {
    expect(parse(message(overrides))).toMatchObject({ valid: true });
  });

  it('flags plain card data even in a message that is not JSON', () => {
    expect(parse('card=4242424242424242&cvc=123')).toMatchObject({ valid: false, plainCard: true, jobId: undefined });
  });
});
