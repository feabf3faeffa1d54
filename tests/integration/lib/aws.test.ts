/**
 * The functions' AWS client (lib/aws.ts, on aws-lite) against the emulators: the document operations
 * with native values both ways, a refused condition as an answer, a page position that survives a
 * cursor, SQS's JSON protocol, and the retries (a stub endpoint that fails as AWS does).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsErrorName, conditionalWrite, dynamoDbClient, sqsClient } from '../../../lib/aws';
import { EVENT_INDEXES } from '../../../lib/events/store';
import { startEmulatorProcess } from '../../../local/processes';
import { LOCAL_AWS, startJobsTable } from '../../helpers/dynamo';

let table: Awaited<ReturnType<typeof startJobsTable>>;
let sqsEmulator: Awaited<ReturnType<typeof startEmulatorProcess>>;
let admin: SQSClient;

beforeAll(async () => {
  table = await startJobsTable();
  sqsEmulator = await startEmulatorProcess('sqs');
  admin = new SQSClient({ region: 'us-east-1', endpoint: sqsEmulator.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 60_000);
afterAll(async () => {
  admin?.destroy();
  await sqsEmulator?.stop();
  await table?.close();
});

describe('DocumentTable (DynamoDB)', () => {
  const TableName = () => table.tableName;

  it('writes and reads native values: nested maps, lists, numbers, booleans; an undefined attribute is left out', async () => {
    const item = { job_id: 'aws-1', attempts: 2, amount: 65.4, live: true, tags: ['a', 'b'], steps: { customer: { id: 'cus_1', note: undefined } }, gone: undefined };
    await table.client.put({ TableName: TableName(), Item: item });
    const { Item } = await table.client.get({ TableName: TableName(), Key: { job_id: 'aws-1' }, ConsistentRead: true });
    expect(Item).toEqual({ job_id: 'aws-1', attempts: 2, amount: 65.4, live: true, tags: ['a', 'b'], steps: { customer: { id: 'cus_1' } } });
  });

  it('answers a refused condition with undefined and an update with the record it left', async () => {
    await table.client.put({ TableName: TableName(), Item: { job_id: 'aws-2', status: 'queued' } });
    const refused = await conditionalWrite(table.client.put({ TableName: TableName(), Item: { job_id: 'aws-2' }, ConditionExpression: 'attribute_not_exists(job_id)' }));
    expect(refused).toBeUndefined();
    const updated = await conditionalWrite(
      table.client.update({ TableName: TableName(), Key: { job_id: 'aws-2' }, UpdateExpression: 'SET #s = :s ADD attempts :one', ConditionExpression: '#s = :queued', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'processing', ':queued': 'queued', ':one': 1 }, ReturnValues: 'ALL_NEW' }),
    );
    expect(updated?.Attributes).toEqual({ job_id: 'aws-2', status: 'processing', attempts: 1 });
  });

  it('throws what is not a refused condition, named by its code', async () => {
    const error = await conditionalWrite(table.client.put({ TableName: 'no-such-table', Item: { job_id: 'x' } })).catch((caught: unknown) => caught);
    expect(awsErrorName(error)).toBe('ResourceNotFoundException');
  });

  it('pages a query: the position comes back as native values and resumes where it stopped', async () => {
    for (const n of [1, 2, 3]) await table.client.put({ TableName: TableName(), Item: { job_id: `aws-q${n}`, event_stream: 'aws-test', event_order: `2026-12-06#${n}`, type: 'job.succeeded' } });
    const query = (ExclusiveStartKey?: Record<string, unknown>) =>
      table.client.query({ TableName: TableName(), IndexName: EVENT_INDEXES.GlobalSecondaryIndexes[0].IndexName, KeyConditionExpression: 'event_stream = :s', ExpressionAttributeValues: { ':s': 'aws-test' }, Limit: 2, ExclusiveStartKey });
    const first = await query();
    expect(first.Items?.map((item) => item.job_id)).toEqual(['aws-q1', 'aws-q2']);
    expect(first.LastEvaluatedKey).toEqual({ job_id: 'aws-q2', event_stream: 'aws-test', event_order: '2026-12-06#2' });
    const rest = await query(first.LastEvaluatedKey);
    expect(rest.Items?.map((item) => item.job_id)).toEqual(['aws-q3']);
  });

  it('reads several items by key', async () => {
    await table.client.put({ TableName: TableName(), Item: { job_id: 'aws-b1', n: 1 } });
    await table.client.put({ TableName: TableName(), Item: { job_id: 'aws-b2', n: 2 } });
    const { Responses } = await table.client.batchGet({ RequestItems: { [TableName()]: { Keys: [{ job_id: 'aws-b1' }, { job_id: 'aws-b2' }, { job_id: 'aws-none' }] } } });
    expect(Responses?.[TableName()]?.map((item) => item.n).sort()).toEqual([1, 2]);
  });
});

describe('Sqs', () => {
  it('sends, sends in a batch and holds a message back, on the JSON protocol', async () => {
    const { QueueUrl } = await admin.send(new CreateQueueCommand({ QueueName: 'aws-test' }));
    const sqs = sqsClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_SQS: sqsEmulator.url });
    const sent = await sqs.sendMessage({ QueueUrl: QueueUrl!, MessageBody: 'one', MessageAttributes: { schema: { DataType: 'String', StringValue: 'vault-job/v1' } } });
    expect(sent.MessageId).toEqual(expect.any(String));
    const batch = await sqs.sendMessageBatch({ QueueUrl: QueueUrl!, Entries: [{ Id: '0', MessageBody: 'two' }, { Id: '1', MessageBody: 'three' }] });
    expect(batch.Successful?.map(({ Id }) => Id).sort()).toEqual(['0', '1']);
    const { Messages = [] } = await admin.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    expect(Messages.map(({ Body }) => Body).sort()).toEqual(['one', 'three', 'two']);
    expect(Messages.find(({ Body }) => Body === 'one')?.MessageAttributes?.schema?.StringValue).toBe('vault-job/v1');
    await expect(sqs.changeMessageVisibility({ QueueUrl: QueueUrl!, ReceiptHandle: Messages[0]!.ReceiptHandle!, VisibilityTimeout: 60 })).resolves.toBeUndefined();
  });
});

describe('retries', () => {
  /** A DynamoDB endpoint that answers each request with the next of `answers` (status, error type). */
  async function scriptedEndpoint(answers: Array<[number, string]>): Promise<{ url: string; targets: string[]; server: Server }> {
    const targets: string[] = [];
    const server = createServer((request: IncomingMessage, response) => {
      targets.push(String(request.headers['x-amz-target']));
      request.resume();
      const [status, type] = answers[Math.min(targets.length - 1, answers.length - 1)]!;
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(status === 200 ? '{"Item":{"job_id":{"S":"r"}}}' : JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'scripted' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets, server };
  }
  const close = (server: Server) => new Promise((resolve) => server.close(resolve));

  it('retries throttling and 5xx, three attempts in all, as the SDK\'s standard mode', async () => {
    const endpoint = await scriptedEndpoint([[400, 'ThrottlingException'], [500, 'InternalServerError'], [200, '']]);
    const client = dynamoDbClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_DYNAMODB: endpoint.url });
    await expect(client.get({ TableName: 't', Key: { job_id: 'r' } })).resolves.toEqual(expect.objectContaining({ Item: { job_id: 'r' } }));
    expect(endpoint.targets).toEqual(Array(3).fill('DynamoDB_20120810.GetItem'));
    await close(endpoint.server);

    const failing = await scriptedEndpoint([[500, 'InternalServerError']]);
    const error = await dynamoDbClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_DYNAMODB: failing.url }).get({ TableName: 't', Key: { job_id: 'r' } }).catch((caught: unknown) => caught);
    expect(awsErrorName(error)).toBe('InternalServerError');
    expect(failing.targets).toHaveLength(3);
    await close(failing.server);
  });

  it('does not retry a refused condition or a validation error: one attempt', async () => {
    for (const type of ['ConditionalCheckFailedException', 'ValidationException']) {
      const endpoint = await scriptedEndpoint([[400, type]]);
      const client = dynamoDbClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_DYNAMODB: endpoint.url });
      const error = await client.put({ TableName: 't', Item: { job_id: 'r' } }).catch((caught: unknown) => caught);
      expect(awsErrorName(error)).toBe(type);
      expect(endpoint.targets).toHaveLength(1);
      await close(endpoint.server);
    }
  });
});
