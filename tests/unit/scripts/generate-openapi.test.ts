import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { cardNumbersIn } from '../../../lib/card';
import { loadServerlessConfig } from '../../../local/serverless-config';
import { COMPONENTS, OPERATIONS, outputPath, renderOpenApi } from '../../../scripts/generate-openapi';

const document = JSON.parse(readFileSync(outputPath, 'utf8'));

describe('schemas/openapi.json', () => {
  it('is what the zod schemas generate (run `npm run generate:openapi`)', () => {
    expect(readFileSync(outputPath, 'utf8')).toBe(renderOpenApi());
  });

  it('is OpenAPI 3.1 with a security scheme for every credential', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['clientSecret', 'publishableKey', 'serverKey']);
  });

  it.each(Object.keys(COMPONENTS))('the %s example validates against its schema', (name) => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addFormat('base64', /^[A-Za-z0-9+/]*={0,2}$/);
    ajv.addSchema({ $id: 'doc', components: document.components });
    const validate = ajv.compile({ $ref: `doc#/components/schemas/${name}` });
    const example = COMPONENTS[name as keyof typeof COMPONENTS][2];
    expect(validate(example) ? [] : validate.errors).toEqual([]);
  });

  it('rejects what its schemas should reject (the examples check can fail)', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', components: document.components });
    const validate = ajv.compile({ $ref: 'doc#/components/schemas/CheckoutRequest' });
    expect(validate({ customer: { name: 'J' }, card: {} })).toBe(false);
  });

  it('uses only the documented test cards in its examples', () => {
    const text = readFileSync(outputPath, 'utf8');
    const numbers = cardNumbersIn(text);
    expect(numbers).toContain('4242424242424242');
    expect(numbers.filter((n) => !['4242424242424242', '4111111111111111'].includes(n))).toEqual([]);
  });

  it('documents every route of serverless.yml, and no other', async () => {
    const config = await loadServerlessConfig('local', process.env);
    const routes = config.functions.flatMap((fn) => fn.events.flatMap((event) => ('httpApi' in event ? [`${event.httpApi.method.toUpperCase()} ${event.httpApi.path}`] : [])));
    expect(routes.sort()).toEqual(Object.keys(OPERATIONS).sort());
    const documented = Object.entries(document.paths as Record<string, object>).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routes.sort());
  }, 60_000);
});
