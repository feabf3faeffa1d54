/** The local event source mapping against the SQS emulator: batches as Lambda's poller makes them. */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { SqsPoller } from '../../../local/sqs-poller';
import { startEmulatorProcess } from '../../../local/stack-process';

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

const left = async (queueUrl: string) => {
  const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};

/** A poller over a fresh queue whose function records each batch it is given and when. */
async function pollerWith(options: { batchSize: number; maximumBatchingWindowSeconds?: number }) {
  const queueUrl = await queue();
  const batches: Array<{ bodies: string[]; at: number }> = [];
  const poller = new SqsPoller({
    client,
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

async function until(condition: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SqsPoller', () => {
  it('without a batching window, hands a message to the function as soon as it is received', async () => {
    const { queueUrl, batches, poller } = await pollerWith({ batchSize: 10 });
    poller.start();
    try {
      const sentAt = performance.now();
      await send(queueUrl, ['a']);
      await until(() => batches.length === 1);
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
      await until(() => batches.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(batches.map((batch) => batch.bodies.sort())).toEqual([['a', 'b', 'c']]);
      expect(batches[0]!.at - sentAt).toBeGreaterThanOrEqual(950);
      await until(async () => (await left(queueUrl)) === 0);
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
      await until(() => batches.length > 0);
      expect(batches[0]!.bodies).toHaveLength(3);
      expect(batches[0]!.at - startedAt).toBeLessThan(1_000);
      // The fourth, alone, waits for its window.
      await until(() => batches.length === 2, 10_000);
      expect(batches[1]!.bodies).toHaveLength(1);
      expect(batches[1]!.at - batches[0]!.at).toBeGreaterThanOrEqual(1_950);
    } finally {
      await poller.stop();
    }
  });
});
