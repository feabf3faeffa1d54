/**
 * The design's floor, in a process of its own as the stack's functions are: a vault-only job's
 * requests — the ones this design makes, in its order and with bodies of about their size — sent
 * bare, with none of our code between them (no parsing, no validation, no card to open, no
 * metrics, no logs, no middleware, no signed webhooks). What a throughput of ours loses against it
 * is our code; what it loses against the calls alone is the design's requests on these emulators
 * and this machine (issue #17: "benchmarks that measure our code rather than the emulators").
 *
 * Per job, as the worker and the local event source do (docs/performance.md, "The worker — where a
 * job's time goes"): the receive (one message); the customer's create with the claim beside it; the
 * card's create; the end with the hold beside it; the job's two events to the deliveries' queue;
 * the delete, beside the next receive. Per event, as the deliveries do, a batch's events side by
 * side: recorded, POSTed to the merchant's endpoint, the attempt recorded; the batch deleted.
 *
 * Started by bench/worker-throughput.ts, twice: the jobs (`FLOOR_PART=jobs`) and the deliveries
 * (`FLOOR_PART=deliveries`) each in a process of their own, as our worker's and our deliveries'
 * functions run. Prints `ready` and runs until it is stopped.
 */
import { request } from 'node:http';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { cardOf, simulatorPost } from './bare-calls';

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the design floor is started by bench/worker-throughput.ts`);
  return value;
}
const jobsQueue = setting('FLOOR_JOBS_QUEUE_URL');
const deliveriesQueue = setting('FLOOR_DELIVERIES_QUEUE_URL');
const table = setting('FLOOR_TABLE_NAME');
const hyperswitch = setting('FLOOR_HYPERSWITCH_URL');
const webhookUrl = setting('FLOOR_WEBHOOK_URL');
const concurrency = Number(setting('FLOOR_CONCURRENCY'));

const sqs = sqsClient();
const documents = dynamoDbClient();
const headers = JSON.parse(setting('FLOOR_HYPERSWITCH_HEADERS')) as Record<string, string>;
/** Filler of the size of what a record or an event carries beside its ids (its masked card, its steps, its view). */
const pad = (bytes: number) => 'x'.repeat(bytes);

const post = simulatorPost(hyperswitch, headers);

async function job(jobId: string): Promise<void> {
  const at = new Date().toISOString();
  const [customer] = await Promise.all([
    post('/v2/customers', { name: 'Jane Doe', email: 'jane@example.com', merchant_reference_id: jobId }),
    documents.put({ TableName: table, Item: { job_id: jobId, status: 'processing', attempts: 1, lease_owner: 'floor', lease_until: Date.now() + 45_000, created_at: at, updated_at: at, request: pad(600) }, ConditionExpression: 'attribute_not_exists(job_id)' }),
  ]);
  const method = await post('/v2/payment-methods', cardOf(customer.id));
  await Promise.all([
    documents.update({
      TableName: table,
      Key: { job_id: jobId },
      UpdateExpression: 'SET #status = :succeeded, steps = :steps, updated_at = :at REMOVE lease_owner, lease_until',
      ConditionExpression: 'lease_owner = :owner',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':succeeded': 'succeeded', ':steps': { customer: customer.id, payment_method: method.id, detail: pad(400) }, ':at': at, ':owner': 'floor' },
    }),
    documents.put({ TableName: table, Item: { job_id: `pm#${method.id}`, held_by: jobId } }),
  ]);
  await sqs.sendMessageBatch({
    QueueUrl: deliveriesQueue,
    Entries: [pad(600), pad(1400)].map((data, i) => ({ Id: String(i), MessageBody: JSON.stringify({ event_id: `evt_${jobId}_${i}`, event: { data } }) })),
  });
}

function postEvent(body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sent = request(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

async function deliver(body: string): Promise<void> {
  const { event_id: eventId } = JSON.parse(body) as { event_id: string };
  await documents.put({ TableName: table, Item: { job_id: `evt#${eventId}`, event: body, deliveries: {} }, ConditionExpression: 'attribute_not_exists(job_id)' });
  const started = new Date().toISOString();
  await postEvent(body);
  await documents.update({
    TableName: table,
    Key: { job_id: `evt#${eventId}` },
    UpdateExpression: 'SET deliveries.#endpoint = :delivery',
    ExpressionAttributeNames: { '#endpoint': 'ep_floor' },
    ExpressionAttributeValues: { ':delivery': { url: webhookUrl, status: 'delivered', attempts: [{ at: started, status: 204, duration_ms: 1 }] } },
  });
}

/** A poller as the local event source is: a batch handled, then deleted beside the next receive. */
async function poll(queueUrl: string, batchSize: number, handle: (body: string, id: string) => Promise<void>): Promise<never> {
  for (;;) {
    const { Messages = [] } = await sqs.receiveMessage({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 1 });
    if (Messages.length === 0) continue;
    await Promise.all(Messages.map((message) => handle(message.Body!, message.MessageId!)));
    void sqs.deleteMessageBatch({ QueueUrl: queueUrl, Entries: Messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! })) });
  }
}

if (setting('FLOOR_PART') === 'jobs') for (let slot = 0; slot < concurrency; slot++) void poll(jobsQueue, 1, (_, id) => job(id));
else void poll(deliveriesQueue, 10, deliver);
process.once('SIGTERM', () => process.exit(0));
console.log('ready');
