/** The sample events in events/ stay usable: `serverless invoke local` runs them as the README says. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CARD_KEYS } from '../../local/stack';
import { decryptJson } from '../../lib/crypto';
import { DEFAULT_MAX_CHARGE_AMOUNT, jobIdOfClientSecret, parseVaultJobMessage, publishRequestSchema, sealedCardSchema, vaultRequestSchema } from '../../lib/jobs';

const load = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../events', name), 'utf8'));

describe('events/', () => {
  it('checkout.json carries a valid checkout body with a test card', () => {
    const event = load('checkout.json');
    expect(event.headers['content-type']).toBe('application/json');
    const body = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse(JSON.parse(event.body));
    expect(body.card.number).toBe('4242424242424242');
  });

  it('job-status.json has a client secret of the right shape for its job', () => {
    const event = load('job-status.json');
    expect(jobIdOfClientSecret(event.headers['x-client-secret'])).toBe(event.pathParameters.job_id);
  });

  it.each(['vault-worker.json', 'dead-letter.json'])('%s holds a vault-job/v1 message sealed with the local key', (name) => {
    const [record] = load(name).Records;
    const parsed = parseVaultJobMessage(record.body, DEFAULT_MAX_CHARGE_AMOUNT);
    expect(parsed.valid).toBe(true);
    if (name === 'vault-worker.json' && parsed.valid && 'card' in parsed.message) {
      const card = sealedCardSchema.parse(decryptJson(LOCAL_CARD_KEYS, parsed.message.card, parsed.message.job_id));
      expect(card.number).toBe('4242424242424242');
    }
  });

  it('publish-job.example.json is a valid publish request', () => {
    expect(publishRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).safeParse(load('publish-job.example.json')).success).toBe(true);
  });
});
