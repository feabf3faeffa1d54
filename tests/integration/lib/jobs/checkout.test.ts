/**
 * Accepting a checkout against real emulators (dynalite, fauxqs): the job's record and its message
 * are written side by side, and every way one of them can fail ends in an honest answer.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient, type Sqs } from '../../../../lib/aws';
import type { DataKeys } from '../../../../lib/crypto';
import { HttpError } from '../../../../lib/http/errors';
import { acceptCharge, acceptCheckout, chargeRequestSchema, DynamoDbIdempotencyStore, DynamoDbJobStore, newJobRecord, SqsJobQueue, vaultRequestSchema, type CheckoutDeps, type JobQueue, type JobStore } from '../../../../lib/jobs';
import { startEmulatorProcess } from '../../../../local/processes';
import { LOCAL_AWS, startJobsTable } from '../../../helpers/dynamo';
import { recordingLog } from '../../../helpers/log';

const keys: DataKeys = { current_key_id: 'k1', keys: { k1: randomBytes(32).toString('base64') }, hmac_key: randomBytes(32).toString('base64') };
const body = { customer: { name: 'Jane Doe', email: 'jane@example.com' }, card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe', issuing_country: 'US' } };
const request = vaultRequestSchema(100_000).parse(body);

let table: Awaited<ReturnType<typeof startJobsTable>>;
let sqsEmulator: Awaited<ReturnType<typeof startEmulatorProcess>>;
let sqs: SQSClient;
/** The functions' client of the same emulator. */
let ours: Sqs;
let queueUrl: string;

beforeAll(async () => {
  table = await startJobsTable();
  // fauxqs is ESM-only: it runs in a process of its own, as the benchmarks run it.
  sqsEmulator = await startEmulatorProcess('sqs');
  sqs = new SQSClient({ region: 'us-east-1', endpoint: sqsEmulator.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  ours = sqsClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_SQS: sqsEmulator.url });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'checkout-jobs' }))).QueueUrl!;
}, 60_000);
afterAll(async () => {
  sqs?.destroy();
  await sqsEmulator?.stop();
  await table?.close();
});

const store = () => new DynamoDbJobStore(table.tableName, table.client);
/** A store over a table that does not exist: every write fails as DynamoDB's would. */
const brokenStore = () => new DynamoDbJobStore('no-such-table', table.client);
const queue = () => new SqsJobQueue(queueUrl, ours);
const brokenQueue = () => new SqsJobQueue(`${sqsEmulator.url}/000000000000/no-such-queue`, ours);

function deps(overrides: Partial<CheckoutDeps> = {}) {
  const log = recordingLog();
  return { log, deps: { store: store(), queue: queue(), idempotency: new DynamoDbIdempotencyStore(table.tableName, async () => keys, table.client), dataKeys: async () => keys, log, returnUrlOrigins: [], ...overrides } satisfies CheckoutDeps };
}

/** The queued messages' job ids and attributes (taken off the queue). */
async function queued(): Promise<Array<{ jobId: string; attributes: Record<string, string | undefined> }>> {
  const found: Array<{ jobId: string; attributes: Record<string, string | undefined> }> = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }));
    if (Messages.length === 0) return found;
    for (const message of Messages) {
      const attributes = Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]));
      found.push({ jobId: (JSON.parse(message.Body!) as { job_id: string }).job_id, attributes });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
}
const queuedJobIds = async () => (await queued()).map(({ jobId }) => jobId);

describe('acceptCheckout', () => {
  beforeEach(() => queuedJobIds());

  it('records the job queued and sends its one message, which names its schema and the route that sent it', async () => {
    const { deps: d } = deps();
    const accepted = await acceptCheckout(request, d);
    await expect(store().get(accepted.job_id)).resolves.toMatchObject({ status: 'queued', source: 'checkout', card: { last4: '4242' } });
    await expect(queued()).resolves.toEqual([{ jobId: accepted.job_id, attributes: { schema: 'vault-job/v1', source: 'checkout' } }]);
  });

  it("sends a saved card's charge with the route that accepted it", async () => {
    const { deps: d } = deps();
    const charge = chargeRequestSchema(100_000).parse({ customer_id: `12345_cus_${'a'.repeat(32)}`, payment_method_id: `12345_pm_${'b'.repeat(32)}`, amount: 1999, currency: 'EUR' });
    const accepted = await acceptCharge(charge, d);
    await expect(store().get(accepted.job_id)).resolves.toMatchObject({ status: 'queued', source: 'charges' });
    await expect(queued()).resolves.toEqual([{ jobId: accepted.job_id, attributes: { schema: 'vault-job/v1', source: 'charges' } }]);
  });

  it('marks the job failed, frees the Idempotency-Key and answers 503 when the message cannot be sent', async () => {
    const { deps: d, log } = deps({ queue: brokenQueue() });
    const key = randomUUID();
    const error = await acceptCheckout(request, d, key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 503, code: 'queue_unavailable', retryable: true });
    const failed = log.entries.find((entry) => entry.message === 'Could not enqueue the job')!.extra[0] as { jobId: string };
    await expect(store().get(failed.jobId)).resolves.toMatchObject({ status: 'failed', error: { code: 'enqueue_failed' } });
    // The key is free again: the retry creates a job that runs.
    const retried = await acceptCheckout(request, deps().deps, key);
    expect(retried.job_id).not.toBe(failed.jobId);
    await expect(queuedJobIds()).resolves.toEqual([retried.job_id]);
  });

  it('accepts a job whose message was sent though its record could not be written: the worker writes the record', async () => {
    const { deps: d, log } = deps({ store: brokenStore() });
    const accepted = await acceptCheckout(request, d);
    await expect(queuedJobIds()).resolves.toEqual([accepted.job_id]);
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: 'Queued a job whose record could not be written: the worker writes it' }));
  });

  it('answers 503 when neither the record nor the message could be written', async () => {
    const { deps: d, log } = deps({ store: brokenStore(), queue: brokenQueue() });
    await expect(acceptCheckout(request, d)).rejects.toMatchObject({ status: 503, code: 'queue_unavailable' });
    expect(log.entries.map((entry) => entry.message)).toEqual(['Could not enqueue the job', 'Could not mark the job failed']);
  });

  it('keeps the record the worker made when the message overtook the checkout’s own write', async () => {
    const real = store();
    let workerClaimed!: (claim: Promise<unknown>) => void;
    const claimed = new Promise<unknown>((resolve) => (workerClaimed = resolve));
    // The worker sees the message and claims the job before the checkout's write of the record lands.
    const racingQueue: JobQueue = {
      async send(message, route) {
        const sent = await queue().send(message, route);
        workerClaimed(real.claim(message.job_id, { owner: 'worker', until: Date.now() + 60_000, now: Date.now() }, () => newJobRecord({ jobId: message.job_id, source: route ?? 'queue' })));
        return sent;
      },
    };
    const racingStore: JobStore = Object.assign(Object.create(real) as JobStore, {
      create: async (job: Parameters<JobStore['create']>[0]) => {
        await (await claimed);
        return real.create(job);
      },
    });
    const { deps: d, log } = deps({ store: racingStore, queue: racingQueue });
    const accepted = await acceptCheckout(request, d);
    await expect(real.get(accepted.job_id)).resolves.toMatchObject({ status: 'processing', lease_owner: 'worker', source: 'checkout' });
    expect(log.entries.filter((entry) => entry.level !== 'info')).toEqual([]);
  });
});
