import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { LOCAL_CARD_KEYS } from '../../../local/stack';
import { DEFAULT_MAX_CHARGE_AMOUNT, sealVaultJob, vaultJobMessageSchema, vaultRequestSchema } from '../../../lib/jobs';
import { renderSchema, SCHEMAS } from '../../../scripts/generate-schemas';
import { invalidCheckouts, validCheckout } from '../../fixtures/checkouts';

const root = join(__dirname, '../../..');
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
// zod writes `format: base64` (a JSON Schema content format that ajv-formats does not name).
ajv.addFormat('base64', /^[A-Za-z0-9+\/]*={0,2}$/);

describe('schemas/', () => {
  it.each(Object.entries(SCHEMAS))('%s is what the zod schema generates (run `npm run generate:schemas`)', (path, { title, schema }) => {
    expect(readFileSync(join(root, path), 'utf8')).toBe(renderSchema(title, schema));
  });

  it('vault-job/v1: the JSON Schema and the zod schema agree on valid and invalid messages', () => {
    const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'schemas/vault-job.v1.schema.json'), 'utf8')));
    const zod = vaultJobMessageSchema(DEFAULT_MAX_CHARGE_AMOUNT);
    const { message } = sealVaultJob('order-1-save', vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse(validCheckout()), LOCAL_CARD_KEYS);
    const samples: unknown[] = [
      message,
      { ...message, charge: { amount: 100, currency: 'EUR' }, tokenization: { network: true } },
      { ...message, customer: { customer_id: '12345_cus_0123456789abcdef0123456789abcdef' } },
      { ...message, schema: 'vault-job/v2' },
      { ...message, job_id: 'x' },
      { ...message, card: { ...message.card, alg: 'none' } },
      { ...message, charge: { amount: 0, currency: 'EUR' } },
      { ...message, charge: { amount: 10, currency: 'XYZ' } },
      { ...message, extra: true },
      { ...message, customer: { name: 'Jane' } },
    ];
    const verdicts = samples.map((sample) => [validate(sample), zod.safeParse(sample).success]);
    expect(verdicts.filter(([json, zodOk]) => json !== zodOk)).toEqual([]);
    expect(verdicts.filter(([json]) => json).length).toBe(3);
  });

  it('checkout request: the JSON Schema rejects what the zod schema rejects for shape', () => {
    const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'schemas/checkout-request.schema.json'), 'utf8')));
    expect(validate(validCheckout())).toBe(true);
    // The card networks' rules (brand, length and CVC length per brand, check digit, expiry), the
    // year's range, trimming and card numbers in free text are checks in code; every other rejection is shared.
    const shapeOnly = invalidCheckouts.filter(([what]) => !/Luhn|card network|American Express|CVC for|expired|further ahead|3-digit year|empty holder name|a card number (in|as)/.test(what));
    const disagreements = shapeOnly.filter(([, body]) => validate(body)).map(([what]) => what);
    expect(disagreements).toEqual([]);
  });
});
