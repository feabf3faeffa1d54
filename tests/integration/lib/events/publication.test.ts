/**
 * Publishing an event against real emulators (fauxqs, dynalite): the publisher only queues it; its
 * delivery records it, and the first publication of a change is the payload every delivery sends.
 */
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient, type Sqs } from '../../../../lib/aws';
import { EventPublisher, EventStore, jobEvents, parseDeliveryMessage, SqsDeliveryQueue, type DeliveryMessage } from '../../../../lib/events';
import { newJobRecord, type JobRecord } from '../../../../lib/jobs';
import { startEmulatorProcess } from '../../../../local/processes';
import { countingTable, LOCAL_AWS, startJobsTable } from '../../../helpers/dynamo';

let table: Awaited<ReturnType<typeof startJobsTable>>;
let sqsEmulator: Awaited<ReturnType<typeof startEmulatorProcess>>;
let sqs: SQSClient;
/** The functions' client of the same emulator. */
let ours: Sqs;

beforeAll(async () => {
  table = await startJobsTable();
  // fauxqs is ESM-only: it runs in a process of its own, as the benchmarks run it.
  sqsEmulator = await startEmulatorProcess('sqs');
  sqs = new SQSClient({ region: 'us-east-1', endpoint: sqsEmulator.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  ours = sqsClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_SQS: sqsEmulator.url });
}, 60_000);
afterAll(async () => {
  sqs?.destroy();
  await sqsEmulator?.stop();
  await table?.close();
});

let queues = 0;
async function newQueue(): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: `deliveries-${++queues}` }))).QueueUrl!;
}

async function received(queueUrl: string, count: number): Promise<DeliveryMessage[]> {
  const messages: DeliveryMessage[] = [];
  while (messages.length < count) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    if (Messages.length === 0) break;
    for (const { Body } of Messages) messages.push(parseDeliveryMessage(Body!)!);
  }
  return messages;
}

/** The real event store on its own client, counting what it sends. */
function countingStore(): { store: EventStore; sent: string[] } {
  const counted = countingTable(table.client);
  return { store: new EventStore(table.tableName, counted.table), sent: counted.sent };
}

function succeededJob(): JobRecord {
  const job = newJobRecord({ jobId: `job_${Math.random().toString(16).slice(2).padEnd(32, '0')}`, source: 'checkout', card: { brand: 'Visa', last4: '4242', exp_month: 12, exp_year: 2030 } });
  job.status = 'succeeded';
  job.steps.customer = { status: 'succeeded', customer_id: '12345_cus_0123456789abcdef0123456789abcdef' };
  job.steps.payment_method = { status: 'succeeded', payment_method_id: '12345_pm_0123456789abcdef0123456789abcdef', psp_token: 'not_requested', network_token: 'not_requested' };
  return job;
}

describe('publishing an event', () => {
  it('queues each event whole, in one request, for its delivery to record', async () => {
    const queueUrl = await newQueue();
    const job = succeededJob();
    await new EventPublisher(new SqsDeliveryQueue(queueUrl, ours), () => Date.parse('2026-11-28T10:00:00.000Z')).publishJob(job);
    const messages = await received(queueUrl, 2);
    expect(messages.map(({ event }) => event?.type).sort()).toEqual(['job.succeeded', 'payment_method.saved']);
    expect(messages.every((message) => message.event_id === message.event?.id && message.event.created_at === '2026-11-28T10:00:00.000Z')).toBe(true);
  });

  it('is recorded once, by the first publication of its change: a later one is refused and reads that payload, which every delivery sends', async () => {
    const job = succeededJob();
    const [first] = jobEvents(job, '2026-11-28T10:00:00.000Z');
    const [again] = jobEvents(job, '2026-11-28T10:05:00.000Z');
    expect(again!.id).toBe(first!.id);

    const { store, sent } = countingStore();
    await expect(store.record(first!)).resolves.toEqual({ event: first, payload: JSON.stringify(first), deliveries: {} });
    expect(sent).toEqual(['PutItem']);
    const later = await store.record(again!);
    expect(later?.payload).toBe(JSON.stringify(first));
    expect(later?.event.created_at).toBe('2026-11-28T10:00:00.000Z');
    expect(sent).toEqual(['PutItem', 'PutItem', 'GetItem']);
    expect((await store.list({ limit: 10, jobId: job.job_id })).data.map(({ id }) => id)).toEqual([first!.id]);
  });

  it('asks a redelivery of a recorded event by its id and the time it was asked', async () => {
    const queueUrl = await newQueue();
    const [event] = jobEvents(succeededJob(), '2026-11-28T10:00:00.000Z');
    await new EventPublisher(new SqsDeliveryQueue(queueUrl, ours), () => Date.parse('2026-11-28T11:00:00.000Z')).redeliver(event!.id);
    expect(await received(queueUrl, 1)).toEqual([{ event_id: event!.id, since: '2026-11-28T11:00:00.000Z' }]);
  });

  it('refuses a delivery message whose event is not the one it names, or that is no message at all', () => {
    const [event, other] = jobEvents(succeededJob(), '2026-11-28T10:00:00.000Z');
    expect(parseDeliveryMessage(JSON.stringify({ event_id: event!.id, event }))).toEqual({ event_id: event!.id, event });
    expect(parseDeliveryMessage(JSON.stringify({ event_id: other!.id, event }))).toBeUndefined();
    expect(parseDeliveryMessage(JSON.stringify({ event_id: 'evt_nope', event }))).toBeUndefined();
    expect(parseDeliveryMessage('{not json')).toBeUndefined();
  });
});
