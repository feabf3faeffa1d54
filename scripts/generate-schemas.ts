/**
 * Writes the JSON Schemas of the public contracts into schemas/ from their zod definitions: what a
 * merchant backend may publish (`vault-job/v1`) and what `POST /checkouts` accepts. `--check` exits 1
 * when a file is stale (a unit test runs the same comparison).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { DEFAULT_MAX_CHARGE_AMOUNT, vaultJobMessageSchema, vaultRequestSchema } from '../lib/jobs/schemas';

const root = join(__dirname, '..');

export const SCHEMAS = {
  'schemas/vault-job.v1.schema.json': { title: 'vault-job/v1 SQS message', schema: vaultJobMessageSchema(DEFAULT_MAX_CHARGE_AMOUNT) },
  'schemas/checkout-request.schema.json': { title: 'POST /checkouts request body', schema: vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT) },
} as const;

export function renderSchema(title: string, schema: z.ZodType): string {
  // `input`: the shape a producer sends (defaults optional, numeric strings where accepted).
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...json, title }, null, 2)}\n`;
}

if (require.main === module) {
  let stale = false;
  for (const [path, { title, schema }] of Object.entries(SCHEMAS)) {
    const rendered = renderSchema(title, schema);
    const file = join(root, path);
    if (process.argv.includes('--check')) {
      if (readFileSync(file, 'utf8') !== rendered) {
        console.error(`${path} is stale: run npm run generate:schemas`);
        stale = true;
      }
    } else writeFileSync(file, rendered);
  }
  if (stale) process.exit(1);
}
