/** The local event source mapping against the SQS emulator: batches as Lambda's poller makes them. */
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { sqsClient } from '../../../lib/aws';
import { SqsPoller } from '../../../local/sqs-poller';
import { eventually, messagesIn } from '../../../local/stack-process';
import { startEmulatorProcess } from '../../../local/processes';
import { LOCAL_AWS } from '../../helpers/dynamo';

let emulator: Awaited<ReturnType<typeof startEmulatorProcess>>;
let client: SQSClient;
beforeAll(async () => {
  emulator = await startEmulatorProcess('sqs');
  client = new SQSClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});

let queueCount = 0;
async function queue(): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `poller-${++queueCount}` }));
  return QueueUrl!;
}

const send = (queueUrl: string, bodies: string[]) =>
  client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })) }));

/** A poller over a fresh queue whose function records each batch it is given and when. */
async function pollerWith(options: { batchSize: number; maximumBatchingWindowSeconds?: number }) {
  const queueUrl = await queue();
  const batches: Array<{ bodies: string[]; at: number }> = [];
  const poller = new SqsPoller({
    client: sqsClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_SQS: emulator.url }),
    queueUrl,
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:poller',
    fn: { name: 'recorder', invoke: async (event) => void batches.push({ bodies: (event as SQSEvent).Records.map((record) => record.body), at: performance.now() }) },
    maximumConcurrency: 1,
    reportBatchItemFailures: true,
    log: () => undefined,
    ...options,
  });
  return { queueUrl, batches, poller };
}

/** Waits until the function has been given `n` batches. */
const batchesGiven = (batches: unknown[], n: number) => eventually(async () => batches.length, (given) => given >= n, 10_000, 20);

describe('SqsPoller', () => {
  it('without a batching window, hands a message to the function as soon as it is received', async () => {
    const { queueUrl, batches, poller } = await pollerWith({ batchSize: 10 });
    poller.start();
    try {
      const sentAt = performance.now();
      await send(queueUrl, ['a']);
      await batchesGiven(batches, 1);
      expect(batches[0]!.bodies).toEqual(['a']);
      expect(batches[0]!.at - sentAt).toBeLessThan(800);
    } finally {
      await poller.stop();
    }
  });

  it('with a batching window, gathers what arrives within it into one batch, then deletes it', async () => {
    const { queueUrl, batches, poller } = await pollerWith({ batchSize: 10, maximumBatchingWindowSeconds: 1 });
    poller.start();
    try {
      const sentAt = performance.now();
      await send(queueUrl, ['a']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await send(queueUrl, ['b', 'c']);
      await batchesGiven(batches, 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(batches.map((batch) => batch.bodies.sort())).toEqual([['a', 'b', 'c']]);
      expect(batches[0]!.at - sentAt).toBeGreaterThanOrEqual(950);
      await eventually(() => messagesIn(client, queueUrl), (n) => n === 0, 10_000, 20);
    } finally {
      await poller.stop();
    }
  });

  it('with a batching window, hands a full batch over at once', async () => {
    const { queueUrl, batches, poller } = await pollerWith({ batchSize: 3, maximumBatchingWindowSeconds: 2 });
    await send(queueUrl, ['a', 'b', 'c', 'd']);
    const startedAt = performance.now();
    poller.start();
    try {
      await batchesGiven(batches, 1);
      expect(batches[0]!.bodies).toHaveLength(3);
      expect(batches[0]!.at - startedAt).toBeLessThan(1_000);
      // The fourth, alone, waits for its window.
      await batchesGiven(batches, 2);
      expect(batches[1]!.bodies).toHaveLength(1);
      expect(batches[1]!.at - batches[0]!.at).toBeGreaterThanOrEqual(1_950);
    } finally {
      await poller.stop();
    }
  });
});
