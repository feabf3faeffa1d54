/**
 * Hostile input against the real local stack, generated with fast-check and from a corpus: whatever
 * arrives, the HTTP routes answer a 4xx in our error shape (never a 5xx), create no job and call no
 * Hyperswitch; the worker ends bad messages' jobs `failed` or leaves them to the DLQ, and the rest of
 * the batch is processed normally.
 */
import { randomBytes } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { encryptJson } from '../../lib/crypto';
import { DEFAULT_MAX_CHARGE_AMOUNT, sealVaultJob, vaultRequestSchema } from '../../lib/jobs';
import { LOCAL_API_KEYS, LOCAL_CARD_KEYS } from '../../local/stack';
import { validCheckout } from '../fixtures/checkouts';
import { eventually, startStackProcess, type StackProcess } from '../../local/stack-process';

jest.setTimeout(180_000);

let stack: StackProcess;
beforeAll(async () => {
  stack = await startStackProcess();
});
afterAll(() => stack?.stop());

const pk = `Bearer ${LOCAL_API_KEYS.publishable}`;
const sk = `Bearer ${LOCAL_API_KEYS.server}`;
const schema = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT);

async function expectRefused(path: string, init: RequestInit): Promise<void> {
  const answer = await stack.request(path, init);
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
}

/** A valid checkout with one field, at any depth, replaced by something else. */
const mutatedCheckout = fc
  .tuple(
    fc.constantFrom('customer', 'customer.name', 'customer.email', 'card', 'card.number', 'card.exp_month', 'card.exp_year', 'card.cvc', 'card.holder_name', 'charge', 'charge.amount', 'charge.currency', 'tokenization', 'tokenization.network', 'metadata', '__proto__', 'constructor'),
    fc.oneof(
      fc.anything({ maxDepth: 3 }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(-1, 0, 1.5, 1e21, Number.MAX_SAFE_INTEGER, '1000', '4242424242424242', '٤٢٤٢', 'USD\r\nX-Injected: 1', '', null, [], {}, true),
    ),
  )
  .map(([path, value]) => {
    const body = { ...validCheckout(), charge: { amount: 100, currency: 'USD' } } as Record<string, any>;
    const keys = path.split('.');
    let target = body;
    for (const key of keys.slice(0, -1)) target = target[key] = { ...(typeof target[key] === 'object' && target[key] ? target[key] : {}) };
    Object.defineProperty(target, keys.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
    return body;
  });

describe('POST /checkouts under hostile input', () => {
  it('answers every invalid body with a 4xx in our shape, and creates nothing', async () => {
    await stack.settled();
    const jobsBefore = (await stack.jobs()).length;
    const before = await stack.inspect();
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(mutatedCheckout, async (body) => {
        const text = JSON.stringify(body);
        fc.pre(!schema.safeParse(JSON.parse(text)).success);
        invalid += 1;
        await expectRefused('/checkouts', { method: 'POST', headers: { Authorization: pk, 'Content-Type': 'application/json' }, body: text });
      }),
      { numRuns: 150, seed: 20261124 },
    );
    expect(invalid).toBeGreaterThan(100);
    expect((await stack.jobs()).length).toBe(jobsBefore);
    expect((await stack.inspect()).requests).toEqual(before.requests);
  });

  it('answers arbitrary bytes, deep nesting, 1 MB bodies and wrong content types with a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 2000 }), async (text) => {
        await expectRefused('/checkouts', { method: 'POST', headers: { Authorization: pk, 'Content-Type': 'application/json' }, body: text });
      }),
      { numRuns: 60, seed: 7 },
    );
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const corpus: Array<[string, string]> = [
      ['application/json', deep],
      ['application/json', JSON.stringify({ ...validCheckout(), metadata: { pad: 'x'.repeat(1024 * 1024) } })],
      ['application/json', '[]'],
      ['application/json', 'null'],
      ['application/json', '"4242424242424242"'],
      ['application/json; charset=utf-16', JSON.stringify(validCheckout())],
      ['text/html', '<script>alert(1)</script>'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="card"\r\n\r\n4242424242424242\r\n--x--'],
    ];
    for (const [type, body] of corpus) {
      await expectRefused('/checkouts', { method: 'POST', headers: { Authorization: pk, 'Content-Type': type }, body });
    }
  });
});

describe('token routes under hostile path parameters', () => {
  it('answer every junk id with a 400 or 404 and call no Hyperswitch', async () => {
    await stack.settled();
    const before = await stack.inspect();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }), fc.constantFrom('', '/network-token-status'), async (id, suffix) => {
        const answer = await stack.request(`/payment-methods/${encodeURIComponent(id)}${suffix}`, { headers: { Authorization: sk } });
        expect([400, 404]).toContain(answer.status);
      }),
      { numRuns: 80, seed: 11 },
    );
    expect((await stack.inspect()).requests).toEqual(before.requests);
  });
});

describe('the worker under hostile messages', () => {
  it('fails or dead-letters every bad message, and processes the valid one of the same batch', async () => {
    const tag = randomBytes(4).toString('hex');
    const request = schema.parse(validCheckout());
    const valid = sealVaultJob(`valid-${tag}`, request, LOCAL_CARD_KEYS).message;
    const tampered = sealVaultJob(`tampered-${tag}`, request, LOCAL_CARD_KEYS).message;
    tampered.card = { ...tampered.card, ciphertext: Buffer.from(Buffer.from(tampered.card.ciphertext, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') };
    const wrongKey = { ...sealVaultJob(`wrongkey-${tag}`, request, LOCAL_CARD_KEYS).message };
    wrongKey.card = { ...wrongKey.card, kid: 'retired-key' };
    const replayed = { ...sealVaultJob(`original-${tag}`, request, LOCAL_CARD_KEYS).message, job_id: `replayed-${tag}` };
    // SQS refuses bodies with characters outside XML's range, so "random bytes" arrive as random text.
    const bodies = [
      `${randomBytes(192).toString('base64')} ✓ ∑ ✗`,
      JSON.stringify({ schema: 'vault-job/v1', job_id: `shape-${tag}`, customer: [], card: 'x' }),
      JSON.stringify(tampered),
      JSON.stringify(wrongKey),
      JSON.stringify(replayed),
      JSON.stringify({ schema: 'vault-job/v1', job_id: `huge-${tag}`, customer: { name: 'x'.repeat(200_000), email: 'a@b.co' }, card: encryptJson(LOCAL_CARD_KEYS, {}, `huge-${tag}`) }),
      JSON.stringify(valid),
    ];
    for (const batch of [bodies.slice(0, 5), bodies.slice(5)]) {
      const sent = await stack.sqs.send(new SendMessageBatchCommand({ QueueUrl: stack.queueUrl, Entries: batch.map((body, i) => ({ Id: String(i), MessageBody: body })) }));
      expect(sent.Failed ?? []).toEqual([]);
    }
    const ended = async (jobId: string) => eventually(() => stack.job(jobId), (job) => job?.status === 'succeeded' || job?.status === 'failed', 30_000);
    expect((await ended(`valid-${tag}`))?.status).toBe('succeeded');
    expect((await ended(`shape-${tag}`))?.error?.code).toBe('invalid_message');
    expect((await ended(`tampered-${tag}`))?.error?.code).toBe('card_decryption_failed');
    expect((await ended(`wrongkey-${tag}`))?.error?.code).toBe('unknown_key_id');
    expect((await ended(`replayed-${tag}`))?.error?.code).toBe('card_decryption_failed');
    expect((await ended(`huge-${tag}`))?.error?.code).toBe('invalid_message');
    await eventually(async () => stack.output(), (output) => output.includes('Discarded a dead letter without a usable job id'), 45_000);
    expect((await stack.request('/health')).status).toBe(200);
  });
});
