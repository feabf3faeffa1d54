/**
 * What one AWS request costs the process that sends it: the SDK's clients, as the functions use them,
 * against the floor of any client — Node's `http` with a keep-alive agent and Signature Version 4
 * computed with `node:crypto`, no middleware. Says how much a lighter client than the SDK could give
 * the worker (issue #17's open question), measured each run rather than argued.
 */
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmulatorProcess } from '../local/stack-process';
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

/** `aws_request_cpu_ms`: CPU and wall time a request, the SDK against the floor, in turns (a PutItem and a SendMessage each step). */
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
    const totals = { sdk: { cpu: 0, wall: 0 }, floor: { cpu: 0, wall: 0 } };
    /** One block of requests; timed blocks add their CPU and wall time to the side's totals. */
    const block = async (name: 'sdk' | 'floor', side: Side, round: number, timed = true) => {
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
    // Warm both (sockets opened, code compiled), then take turns, the order swapped every round.
    await block('sdk', sdk, -1, false);
    await block('floor', floor, -1, false);
    for (let round = 0; round < ROUNDS; round++) {
      const turns = [() => block('sdk', sdk, round), () => block('floor', floor, round)];
      for (const turn of round % 2 === 0 ? turns : turns.reverse()) await turn();
    }
    const requests = ROUNDS * REQUESTS_PER_BLOCK;
    const perRequest = (ms: number) => round(ms / requests, 3);
    record({
      name: 'aws_request_cpu_ms',
      ours: perRequest(totals.sdk.cpu),
      baseline: perRequest(totals.floor.cpu),
      target: 'report (what a lighter client than the SDK could save a request)',
      met: true,
      unit: 'CPU ms / request',
      detail: `the AWS SDK's document client and SQS client vs the floor of any client (node:http kept alive, SigV4 by node:crypto, no middleware), a conditional PutItem and a 1.5 KB SendMessage in turns, ${requests} requests a side over ${ROUNDS} rounds in the bench's process, the emulators apart; wall ${perRequest(totals.sdk.wall)} vs ${perRequest(totals.floor.wall)} ms a request`,
    });
  } finally {
    agent.destroy();
    dynamo.destroy();
    sqs.destroy();
    await Promise.all([dynamoDb.stop(), sqsEmulator.stop()]);
  }
}
