/**
 * Card numbers judged by the card networks' rules, end to end on the real local stack: free text whose
 * digits merely pass Luhn goes through checkout → queue → worker and succeeds; numbers no network
 * issues are refused at intake and never reach Hyperswitch; and the simulator, like Hyperswitch,
 * refuses such a number if one ever slips past intake.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sqsClient } from '../../lib/aws';
import { isCardNumber } from '../../lib/card';
import { DEFAULT_MAX_CHARGE_AMOUNT, publishVaultJob, sealVaultJob, SqsJobQueue, type JobRecord, type VaultRequest } from '../../lib/jobs';
import { LOCAL_API_KEYS, LOCAL_CARD_KEYS } from '../../local/stack';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';
import { validCheckout } from '../fixtures/checkouts';

jest.setTimeout(180_000);

let stack: StackProcess;
beforeAll(async () => {
  stack = await startStackProcess();
});
afterAll(() => stack?.stop());

const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${LOCAL_API_KEYS.publishable}` };
const post = (body: unknown) => stack.request('/checkouts', { method: 'POST', headers, body: JSON.stringify(body) });
const ended = (jobId: string) => eventually(() => stack.job(jobId), (job) => job?.status === 'succeeded' || job?.status === 'failed', 60_000) as Promise<JobRecord>;

async function finalStatus(body: unknown): Promise<{ accepted: number; job?: JobRecord; error?: { code: string; fields?: Array<{ path: string; code: string }> } }> {
  const answer = await post(body);
  if (answer.status !== 202) return { accepted: answer.status, error: answer.body.error };
  return { accepted: 202, job: await ended(answer.body.job_id) };
}

describe('free text that merely holds digits (the regression cases)', () => {
  it.each([
    ['a +-tagged email with a nanosecond timestamp', { customer: { name: 'Jane Doe', email: 'jane+1764022317679123457@example.com' } }],
    ['a numeric mailbox name', { customer: { name: 'Jane Doe', email: '1764022317671@example.com' } }],
    ['a millisecond order id in metadata', { metadata: { order_id: '1764022317671' } }],
  ])('accepts %s with 202 and the job succeeds', async (_, change) => {
    const { accepted, job } = await finalStatus({ ...validCheckout(), ...change });
    expect(accepted).toBe(202);
    expect(job).toMatchObject({ status: 'succeeded', steps: { payment_method: { status: 'succeeded' } } });
  });
});

describe('every documented test card', () => {
  it.each(['4242424242424242', '4111111111111111', '5555555555554444', '2223003122003222', '378282246310005', '6011111111111117', '4000002760003184', '4000000000000002'])(
    'is accepted and vaulted: %s',
    async (number) => {
      const cvc = number.startsWith('37') ? '1234' : '123';
      const { accepted, job } = await finalStatus({ ...validCheckout(), card: { ...validCheckout().card, number, cvc } });
      expect(accepted).toBe(202);
      expect(job).toMatchObject({ status: 'succeeded', card: { last4: number.slice(-4) } });
    },
  );
});

describe('numbers no card network issues', () => {
  it.each([
    ['a Luhn-valid number of no network', { number: '0000000000000000' }, 'card.number', 'card_number_invalid'],
    ['16 digits with an American Express prefix', { number: '3782822463100005' }, 'card.number', 'card_number_length_invalid'],
    ['a 3-digit CVC for American Express', { number: '378282246310005', cvc: '123' }, 'card.cvc', 'cvc_length_invalid'],
  ])('refuses %s with 400, never echoing it, and calls no Hyperswitch', async (_, card, path, code) => {
    await stack.settled();
    const before = await stack.inspect();
    const answer = await post({ ...validCheckout(), card: { ...validCheckout().card, ...card } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'validation_failed', fields: [{ path, code, message: expect.any(String) }] });
    expect(answer.text).not.toContain(card.number);
    expect((await stack.inspect()).requests).toEqual(before.requests);
  });

  it('fails the job, through the simulator, when such a number slips past intake', async () => {
    const jobId = `intake-gap-${randomBytes(6).toString('hex')}`;
    // Sealed without the intake's validation, as a buggy producer would.
    const request = { ...validCheckout(), tokenization: { psp: false, network: false }, card: { ...validCheckout().card, number: '0000000000000000' } } as VaultRequest;
    await stack.sendRaw(JSON.stringify(sealVaultJob(jobId, request, LOCAL_CARD_KEYS).message));
    const job = await ended(jobId);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'hyperswitch_invalid_request', retryable: false } });
    expect(job.steps.payment_method.payment_method_id).toBeUndefined();
    expect(JSON.stringify(job)).not.toContain('0000000000000000');
  });
});

// Digit runs of every length 10–24, as merchants put them in free text: timestamps, order and phone
// numbers, tags. In a longer token they are never a card; standalone, only the networks' rules decide.
const digits = (min: number, max: number) => fc.integer({ min, max }).chain((length) => fc.stringMatching(new RegExp(`^\\d{${length}}$`)));
const run = digits(10, 24);
const word = fc.stringMatching(/^[a-z]{1,10}$/);
const email = fc.oneof(
  fc.tuple(word, run).map(([name, n]) => `${name}+${n}@example.com`),
  run.map((n) => `${n}@example.com`),
  fc.tuple(word, fc.constantFrom('.', '-', '_'), run).map(([name, joiner, n]) => `${name}${joiner}${n}@example.com`),
);
const phone = fc.tuple(digits(1, 3), digits(6, 12)).map(([country, number]) => `+${country} ${number}`);
const metadataValue = fc.oneof(run, fc.tuple(word, run).map(([prefix, n]) => `${prefix}_${n}`), fc.tuple(run, run).map(([a, b]) => `${a}-${b}`));
const vaultRequest = fc.record({
  customer: fc.record({ name: fc.tuple(word, run).map(([name, n]) => `${name} ${n}`), email, phone }),
  metadata: fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), metadataValue, { minKeys: 1, maxKeys: 3 }),
});
const standaloneRuns = (request: { customer: { name: string }; metadata: Record<string, string> }) =>
  [request.customer.name.split(' ')[1]!, ...Object.values(request.metadata)].filter((value) => /^\d+$/.test(value));

describe('properties: intake and worker agree on what is a card', () => {
  it('a checkout whose free text holds digit runs is refused only for a real card number, and otherwise succeeds', async () => {
    const outcomes = { succeeded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(vaultRequest, { minLength: 12, maxLength: 12 }), async (requests) => {
        await Promise.all(
          requests.map(async (request) => {
            const { accepted, job, error } = await finalStatus({ ...validCheckout(), ...request });
            const cards = standaloneRuns(request).filter(isCardNumber);
            if (accepted === 400) {
              expect(cards).not.toEqual([]);
              expect(error!.fields!.every((field) => field.code === 'card_number_in_free_text')).toBe(true);
              outcomes.refused += 1;
              return;
            }
            expect(cards).toEqual([]);
            expect(accepted).toBe(202);
            expect(job?.status).toBe('succeeded');
            expect(job?.error).toBeUndefined();
            outcomes.succeeded += 1;
          }),
        );
      }),
      { numRuns: 5, seed: 20261127, endOnFailure: true },
    );
    expect(outcomes.succeeded).toBeGreaterThan(40);
  });

  it('a merchant-published job whose job id and free text hold digit runs succeeds', async () => {
    const queue = new SqsJobQueue(stack.queueUrl, sqsClient(stack.awsEnv));
    const jobId = fc.oneof(run, fc.tuple(word, run).map(([prefix, n]) => `${prefix}-${n}`), fc.tuple(word, run).map(([prefix, n]) => `${prefix}_${n}`));
    const published = fc.record({ jobId, email, metadata: fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.tuple(word, run).map(([prefix, n]) => `${prefix}_${n}`), { maxKeys: 3 }) });
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(published, { minLength: 10, maxLength: 10 }), async (jobs) => {
        const fresh = jobs.filter(({ jobId }) => !seen.has(jobId) && seen.add(jobId));
        await Promise.all(
          fresh.map(async ({ jobId, email, metadata }) => {
            const request = { ...validCheckout(), job_id: jobId, customer: { name: 'Jane Doe', email }, metadata };
            await publishVaultJob(request, { queue, dataKeys: async () => LOCAL_CARD_KEYS, maxChargeAmount: DEFAULT_MAX_CHARGE_AMOUNT });
            expect(await ended(jobId)).toMatchObject({ status: 'succeeded', job_id: jobId });
          }),
        );
      }),
      { numRuns: 3, seed: 1127, endOnFailure: true },
    );
    expect(seen.size).toBeGreaterThan(20);
  });
});
