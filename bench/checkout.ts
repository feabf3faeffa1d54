/** The checkout handler in-process against the emulators, versus a bare PutItem + SendMessage handler. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import { hashApiKey } from '../lib/auth';
import { dynamoDbClient, sqsClient as functionsSqsClient } from '../lib/aws';
import { LocalSecretsManager } from '../local/secrets-manager';
import { LOCAL_API_KEYS, LOCAL_CARD_KEYS } from '../local/stack';
import { startEmulatorProcess } from '../local/processes';
import { FAKE_ENV } from './bundles';
import { OUT, percentile, record, round } from './figures';

/** The emulators and secrets the in-process figures need. */
async function emulators() {
  // In processes of their own, as DynamoDB and SQS are outside a Lambda's: the bench's process runs
  // only the handler (and the bare one), and two requests in flight are served side by side.
  const sqs = await startEmulatorProcess('sqs');
  const dynamo = await startEmulatorProcess('dynamodb');
  const secrets = new LocalSecretsManager();
  const secretsUrl = await secrets.listen();
  const hmac = Buffer.from('bench-fake-api-hmac-key-32-bytes').toString('base64');
  secrets.put(FAKE_ENV.CARD_KEYS_SECRET_ID, JSON.stringify(LOCAL_CARD_KEYS));
  secrets.put(FAKE_ENV.MERCHANT_KEYS_SECRET_ID, JSON.stringify({ hmac_key: hmac, server_key_hashes: [hashApiKey(hmac, LOCAL_API_KEYS.server)], publishable_key_hashes: [hashApiKey(hmac, LOCAL_API_KEYS.publishable)] }));
  const credentials = { accessKeyId: 'bench-fake', secretAccessKey: 'bench-fake' };
  const sqsClient = new SQSClient({ region: 'us-east-1', endpoint: sqs.url, credentials });
  const { QueueUrl: queueUrl } = await sqsClient.send(new CreateQueueCommand({ QueueName: 'bench-jobs' }));
  const dynamoClient = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials });
  await dynamoClient.send(new CreateTableCommand({ TableName: FAKE_ENV.JOBS_TABLE_NAME, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'job_id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }] }));
  dynamoClient.destroy();
  Object.assign(process.env, FAKE_ENV, {
    VAULT_JOBS_QUEUE_URL: queueUrl,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
  });
  return {
    secrets,
    queueUrl,
    sqsClient,
    // The bare handlers' clients are the functions' own (lib/aws), so that a ratio measures our code, not a choice of client.
    table: dynamoDbClient(process.env),
    queue: functionsSqsClient(process.env),
    async stop() {
      await sqs.stop();
      await dynamo.stop();
      await secrets.close();
    },
  };
}

type Emulators = Awaited<ReturnType<typeof emulators>>;
type Accept = (event: ReturnType<typeof checkoutEvent>) => Promise<{ statusCode: number; body?: string }>;

/** A bare handler's two writes under a job id of its own. */
interface BareWrites {
  putRecord(jobId: string): Promise<unknown>;
  sendMessage(jobId: string): Promise<unknown>;
}

/**
 * The item and the message our handler wrote for these checkouts, read back from the emulators: the
 * bare handlers write the same ones (under job ids of their own), so that the ratio measures our code
 * rather than the emulators' work on a larger, conditional item. All are taken before any bare
 * message is sent, so the queue holds ours only.
 */
async function writesOf(env: Emulators, accept: Accept, events: ReturnType<typeof checkoutEvent>[]): Promise<BareWrites[]> {
  const jobIds = [];
  for (const event of events) jobIds.push((JSON.parse((await accept(event)).body ?? '{}') as { job_id: string }).job_id);
  const messages = new Map<string, { body: string; attributes: Record<string, MessageAttributeValue> }>();
  for (let receives = 0; messages.size < jobIds.length && receives < 10; receives++) {
    const { Messages = [] } = await env.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: env.queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    for (const { Body = '', MessageAttributes = {} } of Messages) {
      const jobId = jobIds.find((id) => Body.includes(id));
      if (jobId) messages.set(jobId, { body: Body, attributes: Object.fromEntries(Object.entries(MessageAttributes).map(([name, { DataType, StringValue }]) => [name, { DataType, StringValue }])) });
    }
  }
  return Promise.all(
    jobIds.map(async (jobId) => {
      const { Item } = await env.table.get({ TableName: FAKE_ENV.JOBS_TABLE_NAME, Key: { job_id: jobId }, ConsistentRead: true });
      const message = messages.get(jobId);
      if (!Item || !message) throw new Error(`the checkout's record or message for ${jobId} was not found`);
      return {
        // Our store's put is conditional (a record the worker made first is not overwritten): so is this one.
        putRecord: (id: string) => env.table.put({ TableName: FAKE_ENV.JOBS_TABLE_NAME, Item: { ...Item, job_id: id }, ConditionExpression: 'attribute_not_exists(job_id)' }),
        sendMessage: (id: string) => env.queue.sendMessage({ QueueUrl: env.queueUrl, MessageBody: message.body.replaceAll(jobId, id), MessageAttributes: message.attributes }),
      };
    }),
  );
}

/** A checkout's API Gateway event with a request id of its own; `text` is the body as sent (by default `body` as JSON). */
function checkoutEvent(body: unknown, text = JSON.stringify(body)) {
  return {
    version: '2.0',
    routeKey: 'POST /checkouts',
    rawPath: '/checkouts',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEYS.publishable}` },
    requestContext: { http: { method: 'POST', path: '/checkouts' }, requestId: randomBytes(8).toString('hex') },
    body: text,
    isBase64Encoded: false,
  };
}

/** Milliseconds one request takes. */
async function elapsed(request: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await request();
  return performance.now() - started;
}

/** The items in a random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** A checkout body of about `bytes`: the card and customer, metadata up to its limits, then whitespace. */
function bodyOfSize(body: Record<string, unknown>, bytes: number): string {
  const metadata: Record<string, string> = {};
  for (let i = 0; i < 20 && JSON.stringify({ ...body, metadata }).length + 520 < bytes; i++) metadata[`key_${i}`] = 'v'.repeat(480);
  const json = JSON.stringify({ ...body, ...(Object.keys(metadata).length > 0 ? { metadata } : {}) });
  return json.length >= bytes ? json : json.replace(/^\{/, `{${' '.repeat(bytes - json.length)}`);
}

/** The bundled checkout handler in-process against the emulators, versus a bare PutItem + SendMessage. */
export async function checkoutOverhead(): Promise<void> {
  // The handler reads its configuration from this process's environment; the stacks started later must not.
  const saved = { ...process.env };
  const env = await emulators();
  // The handler writes its metric lines to stdout, as in Lambda: they are written, then dropped, so the table stays readable.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle, as Lambda loads it
    const { handler } = require(join(OUT, 'checkout.cjs')) as { handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }> };
    const body = { customer: { name: 'Jane Doe', email: 'jane@example.com' }, card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe', issuing_country: 'US' } };
    const context = { awsRequestId: 'bench', functionName: 'checkout', getRemainingTimeInMillis: () => 10_000 };
    const accept: Accept = async (event) => {
      const response = await handler(event, context);
      if (response.statusCode !== 202) throw new Error(`checkout answered ${response.statusCode}`);
      return response;
    };
    // How the latency grows with the body: metadata (and, past what metadata holds, insignificant
    // whitespace, as a pretty-printed body has) up to the API's 16 KB limit.
    const sizes = [1, 8, 16].map((kilobytes) => ({ kilobytes, text: bodyOfSize(body, kilobytes * 1024 - (kilobytes === 16 ? 512 : 0)) }));
    const [same, ...sameSized] = await writesOf(env, accept, [checkoutEvent(body), ...sizes.map(({ text }) => checkoutEvent(body, text))]);
    const bareJobId = () => `job_${randomBytes(16).toString('hex')}`;
    // The baseline of the target: the same two writes as ours, one after the other.
    const oneAfterTheOther = (writes: BareWrites) => async () => {
      const jobId = bareJobId();
      await writes.putRecord(jobId);
      await writes.sendMessage(jobId);
    };
    // Ours writes the record and sends the message side by side (lib/jobs/checkout.ts `enqueue`): a
    // baseline that overlaps them too shows what our own work (validation, sealing, metrics,
    // marshalling) costs with the I/O equal.
    const sideBySide = (writes: BareWrites) => async () => {
      const jobId = bareJobId();
      await Promise.all([writes.putRecord(jobId), writes.sendMessage(jobId)]);
    };
    // The baseline of earlier runs: a stub item (`job_id`, `status`) put without a condition, and a
    // short message. Against it the emulators' work on our larger, conditional item counts as ours.
    const stub: BareWrites = {
      putRecord: (jobId) => env.table.put({ TableName: FAKE_ENV.JOBS_TABLE_NAME, Item: { job_id: jobId, status: 'queued' } }),
      sendMessage: (jobId) => env.queue.sendMessage({ QueueUrl: env.queueUrl, MessageBody: JSON.stringify({ job_id: jobId, card: body.card }) }),
    };
    const ours = () => accept(checkoutEvent(body)).then(() => undefined);
    // The handlers take turns request by request, so that drift and the machine's noise (GC, the
    // emulators' growth, the scheduler of a small VM) hit each alike. Each round's order is drawn
    // anew: a request pays for work the emulators and the collector left from the one before it, and
    // a fixed order made the same handler follow the same one every time. The figures are of the
    // steady state, after as many rounds again: a warm container is what the overhead is about (a
    // cold one is cold_start's figure), and for the first thousand or so requests both bundles are
    // still being compiled and the emulators' processes warming up. The warm-up's p50 is kept too.
    type Latency = { p50: number; p99: number; perSecond: number; warmupP50: number };
    const measure = async <K extends string>(handlers: Record<K, () => Promise<void>>, n: number): Promise<Record<K, Latency>> => {
      const entries = Object.entries(handlers) as Array<[K, () => Promise<void>]>;
      const rounds = async (count: number) => {
        const latencies = new Map(entries.map(([name]) => [name, [] as number[]]));
        for (let i = 0; i < count; i++) {
          for (const [name, fn] of shuffled(entries)) latencies.get(name)!.push(await elapsed(fn));
        }
        return latencies;
      };
      const warmup = await rounds(n);
      const measured = await rounds(n);
      return Object.fromEntries(
        entries.map(([name]) => {
          const latencies = measured.get(name)!;
          const spent = latencies.reduce((sum, took) => sum + took, 0);
          return [name, { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: n / (spent / 1000), warmupP50: percentile(warmup.get(name)!, 50) }];
        }),
      ) as Record<K, Latency>;
    };
    // Each baseline in a pair of its own with ours: with all four in one rotation ours came out ~5 %
    // dearer than in a pair with the same bare handler (docs/performance-history.md, the sixth
    // session), by the others' mere presence — a Lambda container runs its own handler only.
    const { ours: o, bare: b } = await measure({ bare: oneAfterTheOther(same!), ours }, 600);
    // The same two, each alone for a block of requests at a time, as a container runs it (blocks
    // alternate, so drift hits both; each block's first requests and the first blocks are warm-up).
    const alone = { ours: [] as number[], bare: [] as number[] };
    for (let block = 0; block < 12; block++) {
      for (const [name, fn] of [['ours', ours], ['bare', oneAfterTheOther(same!)]] as const) {
        for (let i = 0; i < 250; i++) {
          const took = await elapsed(fn);
          if (block >= 2 && i >= 50) alone[name].push(took);
        }
      }
    }
    const { ours: oS, sideBySide: s } = await measure({ sideBySide: sideBySide(same!), ours }, 600);
    const { ours: oSt, stub: st } = await measure({ stub: oneAfterTheOther(stub), ours }, 600);
    record({
      name: 'checkout_overhead',
      ours: round(o.p50, 3),
      baseline: round(b.p50, 3),
      target: 'p50 ratio ≤ 1.10',
      met: o.p50 / b.p50 <= 1.1,
      unit: 'ms p50',
      detail: `p99 ${round(o.p99)} vs ${round(b.p99)} ms (×${round(o.p99 / b.p99)}); ${round(o.perSecond, 0)} vs ${round(b.perSecond, 0)} requests/s; in the warm-up before: p50 ${round(o.warmupP50, 3)} vs ${round(b.warmupP50, 3)} ms (×${round(o.warmupP50 / b.warmupP50)}); baseline: our item's conditional PutItem, then our message's SendMessage; ours: the two side by side`,
    });
    record({
      name: 'checkout_overhead_alone',
      ours: round(percentile(alone.ours, 50), 3),
      baseline: round(percentile(alone.bare, 50), 3),
      target: 'report (each handler alone, as a container runs it)',
      met: true,
      unit: 'ms p50',
      detail: `the same two handlers as checkout_overhead, in alternating blocks of 250 requests rather than taking turns; p99 ${round(percentile(alone.ours, 99))} vs ${round(percentile(alone.bare, 99))} ms`,
    });
    record({
      name: 'checkout_overhead_same_io',
      ours: round(oS.p50, 3),
      baseline: round(s.p50, 3),
      target: 'report (our own work, the I/O equal)',
      met: true,
      unit: 'ms p50',
      detail: `baseline: the same PutItem and SendMessage side by side, as ours; p99 ${round(oS.p99)} vs ${round(s.p99)} ms`,
    });
    record({
      name: 'checkout_overhead_stub_writes',
      ours: round(oSt.p50, 3),
      baseline: round(st.p50, 3),
      target: 'report (the earlier runs\' baseline)',
      met: true,
      unit: 'ms p50',
      detail: `baseline: a two-attribute item put without a condition, then a short message; the emulators' work on our item counts as ours; p99 ${round(oSt.p99)} vs ${round(st.p99)} ms`,
    });

    for (const [index, { kilobytes, text }] of sizes.entries()) {
      const { bare: bareRun, ours: oursRun } = await measure({ bare: oneAfterTheOther(sameSized[index]!), ours: () => accept(checkoutEvent(body, text)).then(() => undefined) }, 200);
      record({
        name: `checkout_latency_${kilobytes}kb`,
        ours: round(oursRun.p50, 3),
        baseline: round(bareRun.p50, 3),
        target: 'report (growth with the body)',
        met: true,
        unit: 'ms p50',
        detail: `${Buffer.byteLength(text)} B body; the bare handler writes the item and the message ours wrote for it; p99 ${round(oursRun.p99)} vs ${round(bareRun.p99)} ms`,
      });
    }

    // Secrets Manager calls per 1000 invocations of a fresh container: one per secret per TTL, not one per request.
    const bundle = join(OUT, 'checkout.cjs');
    delete require.cache[bundle];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a new container: a fresh load of the bundle
    const fresh = (require(bundle) as { handler: typeof handler }).handler;
    const before = new Map(env.secrets.calls);
    for (let i = 0; i < 1000; i++) await fresh(checkoutEvent(body), context);
    const perSecret = [FAKE_ENV.CARD_KEYS_SECRET_ID, FAKE_ENV.MERCHANT_KEYS_SECRET_ID].map((id) => (env.secrets.calls.get(id) ?? 0) - (before.get(id) ?? 0));
    record({ name: 'secret_fetches', ours: Math.max(...perSecret), baseline: 1000, target: '1 per secret per TTL', met: perSecret.every((calls) => calls === 1), unit: 'calls / 1000 invocations', detail: `per secret: ${perSecret.join(', ')}; baseline: a fetch per invocation` });
  } finally {
    process.stdout.write = stdoutWrite;
    await env.stop();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}
