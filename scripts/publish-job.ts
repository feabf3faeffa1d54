/**
 * `npm run publish-job -- [--local] <file.json>`: publishes a vault job the way a merchant backend does
 * (validate, seal the card, SendMessage). The file holds a job request with the job id you choose:
 * see events/publish-job.example.json. `--local` targets the stack of `npm start`; otherwise set
 * VAULT_JOBS_QUEUE_URL, CARD_KEYS_SECRET_ID and AWS credentials. Prints the job id and message id.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { sqsClient } from '../lib/aws';
import { cardRules, readConfig } from '../lib/config';
import { dataKeysSchema } from '../lib/crypto';
import { S2SVaultError, ValidationError } from '../lib/errors';
import { DEFAULT_MAX_CHARGE_AMOUNT, publishVaultJob, SqsJobQueue } from '../lib/jobs';
import { SecretsManagerSource, typedSecret } from '../lib/secrets';
import { localAwsEnv } from './stage-env';

const LOCAL_DEFAULTS = {
  ...localAwsEnv(process.env),
  VAULT_JOBS_QUEUE_URL: `http://127.0.0.1:${process.env.LOCAL_SQS_PORT ?? 9324}/000000000000/s2s-vault-local-vault-jobs`,
  CARD_KEYS_SECRET_ID: 's2s-vault/local/card-encryption-keys',
  DEFAULT_CARD_ISSUING_COUNTRY: 'US',
};

const publisherEnv = z.object({
  VAULT_JOBS_QUEUE_URL: z.url(),
  CARD_KEYS_SECRET_ID: z.string().min(1),
  CHARGE_MAX_AMOUNT: z.coerce.number().int().positive().default(DEFAULT_MAX_CHARGE_AMOUNT),
  DEFAULT_CARD_ISSUING_COUNTRY: z.string().regex(/^[A-Z]{2}$/).optional(),
  CARD_ACCEPT_UNRECOGNIZED_NETWORKS: z.stringbool().default(false),
});

async function main(args: string[]): Promise<void> {
  const local = args.includes('--local');
  const file = args.find((arg) => !arg.startsWith('--'));
  if (!file) throw new Error('usage: npm run publish-job -- [--local] <file.json>');
  const env = local ? { ...LOCAL_DEFAULTS, ...process.env } : process.env;
  Object.assign(process.env, env);
  const config = readConfig(publisherEnv, env);
  const keys = typedSecret(new SecretsManagerSource(), config.CARD_KEYS_SECRET_ID, dataKeysSchema);
  const result = await publishVaultJob(JSON.parse(readFileSync(file, 'utf8')), {
    queue: new SqsJobQueue(config.VAULT_JOBS_QUEUE_URL, sqsClient(env)),
    dataKeys: () => keys.get(),
    maxChargeAmount: config.CHARGE_MAX_AMOUNT,
    cardRules: cardRules(config),
    defaultIssuingCountry: config.DEFAULT_CARD_ISSUING_COUNTRY,
  });
  console.log(JSON.stringify(result));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ValidationError) console.error(`${error.message}:\n${error.fields.map((f) => `  ${f.path}: ${f.message}`).join('\n')}`);
  else console.error(error instanceof S2SVaultError || error instanceof Error ? error.message : error);
  process.exit(1);
});
