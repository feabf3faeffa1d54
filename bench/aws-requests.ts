/**
 * What one AWS request costs the process that sends it: the functions' clients (lib/aws, on aws-lite)
 * against the floor of any client — Node's `http` with a keep-alive agent and Signature Version 4
 * computed with `node:crypto`, no middleware — and against the AWS SDK's clients, which the functions
 * used before (issue #17): measured each run rather than argued.
 */
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { startEmulatorProcess } from '../local/processes';
import { record, round } from './figures';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'bench-fake-access-key', secretAccessKey: 'bench-fake-secret-key' };
const TABLE = 'bench-aws-requests';
/** About a sealed job's size: what the worker's queue messages carry. */
const MESSAGE_BODY = 'x'.repeat(1500);

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');

/**
 * An AWS JSON-protocol POST signed with SigV4 and sent on a kept-alive socket. It derives the signing
 * key on every request, which a client may cache for the day as the SDK does: the floor errs towards
 * the SDK.
 */
function floorClient(agent: Agent) {
  return (endpoint: string, service: string, target: string, payload: unknown): Promise<unknown> => {
    const url = new URL(endpoint);
    const body = JSON.stringify(payload);
    const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', host: url.host, 'x-amz-date': amzDate, 'x-amz-target': target };
    const names = Object.keys(headers).sort();
    const canonical = ['POST', url.pathname, '', ...names.map((name) => `${name}:${headers[name]}`), '', names.join(';'), sha256Hex(body)].join('\n');
    const scope = `${day}/${REGION}/${service}/aws4_request`;
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day), REGION), service), 'aws4_request');
    const signature = hmac(signingKey, ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n')).toString('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const sent = request(url, { method: 'POST', headers, agent }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => ((response.statusCode ?? 500) < 300 ? resolve(JSON.parse(text)) : reject(new Error(`${target}: ${response.statusCode} ${text}`))));
      });
      sent.on('error', reject);
      sent.end(body);
    });
  };
}

/** A job-like item, written as the worker's claim is: only if no item has its key. */
const jobItem = (jobId: string) => ({ job_id: jobId, status: 'running', attempts: 1, lease_until: Date.now() + 45_000, steps: { customer: { id: 'cus_bench' } } });

interface Side {
  put(jobId: string): Promise<unknown>;
  send(): Promise<unknown>;
}

const ROUNDS = 5;
const REQUESTS_PER_BLOCK = 200;

/** `aws_request_cpu_ms`: CPU and wall time a request, ours against the floor and the SDK, in turns (a PutItem and a SendMessage each step). */
export async function awsRequestCost(): Promise<void> {
  const [dynamoDb, sqsEmulator] = await Promise.all([startEmulatorProcess('dynamodb'), startEmulatorProcess('sqs')]);
  const dynamo = new DynamoDBClient({ region: REGION, endpoint: dynamoDb.url, credentials: CREDENTIALS });
  const sqs = new SQSClient({ region: REGION, endpoint: sqsEmulator.url, credentials: CREDENTIALS });
  const agent = new Agent({ keepAlive: true });
  try {
    await dynamo.send(new CreateTableCommand({ TableName: TABLE, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'job_id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }] }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-aws-requests' }));
    const documents = DynamoDBDocumentClient.from(dynamo);
    const sdk: Side = {
      put: (jobId) => documents.send(new PutCommand({ TableName: TABLE, Item: jobItem(jobId), ConditionExpression: 'attribute_not_exists(job_id)' })),
      send: () => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: MESSAGE_BODY })),
    };
    const post = floorClient(agent);
    // Marshalled by hand: util-dynamodb's marshall is part of what the document client's side pays.
    const item = (jobId: string) => {
      const { job_id, status, attempts, lease_until, steps } = jobItem(jobId);
      return { job_id: { S: job_id }, status: { S: status }, attempts: { N: String(attempts) }, lease_until: { N: String(lease_until) }, steps: { M: { customer: { M: { id: { S: steps.customer.id } } } } } };
    };
    const floor: Side = {
      put: (jobId) => post(dynamoDb.url, 'dynamodb', 'DynamoDB_20120810.PutItem', { TableName: TABLE, Item: item(jobId), ConditionExpression: 'attribute_not_exists(job_id)' }),
      send: () => post(sqsEmulator.url, 'sqs', 'AmazonSQS.SendMessage', { QueueUrl, MessageBody: MESSAGE_BODY }),
    };
    const env = { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
    const table = dynamoDbClient({ ...env, AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.url });
    const queue = sqsClient({ ...env, AWS_ENDPOINT_URL_SQS: sqsEmulator.url });
    const ours: Side = {
      put: (jobId) => table.put({ TableName: TABLE, Item: jobItem(jobId), ConditionExpression: 'attribute_not_exists(job_id)' }),
      send: () => queue.sendMessage({ QueueUrl, MessageBody: MESSAGE_BODY }),
    };
    const sides = { ours, floor, sdk };
    const totals = { ours: { cpu: 0, wall: 0 }, floor: { cpu: 0, wall: 0 }, sdk: { cpu: 0, wall: 0 } };
    /** One block of requests; timed blocks add their CPU and wall time to the side's totals. */
    const block = async (name: keyof typeof sides, round: number, timed = true) => {
      const side = sides[name];
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < REQUESTS_PER_BLOCK / 2; i++) {
        await side.put(`${name}-${round}-${i}`);
        await side.send();
      }
      const cpu = process.cpuUsage(cpuBefore);
      if (!timed) return;
      totals[name].wall += performance.now() - started;
      totals[name].cpu += (cpu.user + cpu.system) / 1000;
    };
    // Warm all three (sockets opened, code compiled), then take turns, the order rotated every round.
    const names = Object.keys(sides) as Array<keyof typeof sides>;
    for (const name of names) await block(name, -1, false);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) await block(name, round);
    }
    const requests = ROUNDS * REQUESTS_PER_BLOCK;
    const perRequest = (ms: number) => round(ms / requests, 3);
    record({
      name: 'aws_request_cpu_ms',
      ours: perRequest(totals.ours.cpu),
      baseline: perRequest(totals.floor.cpu),
      target: 'report (what our client costs a request above the floor)',
      met: true,
      unit: 'CPU ms / request',
      detail: `the functions' clients (lib/aws, aws-lite) vs the floor of any client (node:http kept alive, SigV4 by node:crypto, no middleware), and the AWS SDK's document client and SQS client: ${perRequest(totals.sdk.cpu)} ms; a conditional PutItem and a 1.5 KB SendMessage in turns, ${requests} requests a side over ${ROUNDS} rounds in the bench's process, the emulators apart; wall ${perRequest(totals.ours.wall)} vs ${perRequest(totals.floor.wall)} ms a request (the SDK ${perRequest(totals.sdk.wall)})`,
    });
  } finally {
    agent.destroy();
    dynamo.destroy();
    sqs.destroy();
    await Promise.all([dynamoDb.stop(), sqsEmulator.stop()]);
  }
}
