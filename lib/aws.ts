/**
 * The AWS services the functions call, on aws-lite (`@aws-lite/client`): a request is signed with
 * aws4 and sent with Node's `http`, with retries of throttling, 5xx and connection errors (jittered
 * backoff, as the SDK's standard mode). Why not the AWS SDK v3: measured on this project's paths
 * (`npm run bench`: `aws_request_cpu_ms`, `cold_start_checkout_sdk_share`), the SDK's three clients
 * take ~150 ms of a cold start to load and ~1.2 ms of CPU a request, aws-lite ~30 ms and ~0.5 ms —
 * a checkout's cold start and the worker's path are mostly AWS requests (docs/performance.md).
 * The SDK stays for the local stack, the tests and the benchmarks, and for its types (erased); of it
 * the functions load only `util-dynamodb` (one file, no dependencies), for a query's page position.
 *
 * One client per service and process, made on first use. In Lambda each takes its region and
 * credentials from the environment; locally the standard AWS_ENDPOINT_URL_<SERVICE> variables
 * point them at the emulators.
 */
import awsLite from '@aws-lite/client';
import dynamodbPlugin from '@aws-lite/dynamodb';
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  DeleteCommandInput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  ChangeMessageVisibilityRequest,
  DeleteMessageBatchRequest,
  DeleteMessageBatchResult,
  ReceiveMessageRequest,
  ReceiveMessageResult,
  SendMessageBatchRequest,
  SendMessageBatchResult,
  SendMessageRequest,
  SendMessageResult,
} from '@aws-sdk/client-sqs';

/** DynamoDB's document operations: native JavaScript values in and out, as the SDK's document client has them. */
export interface DocumentTable {
  get(input: GetCommandInput): Promise<Pick<GetCommandOutput, 'Item'>>;
  put(input: PutCommandInput): Promise<Pick<PutCommandOutput, 'Attributes'>>;
  update(input: UpdateCommandInput): Promise<Pick<UpdateCommandOutput, 'Attributes'>>;
  delete(input: DeleteCommandInput): Promise<object>;
  query(input: QueryCommandInput): Promise<Pick<QueryCommandOutput, 'Items' | 'LastEvaluatedKey'>>;
  batchGet(input: BatchGetCommandInput): Promise<Pick<BatchGetCommandOutput, 'Responses' | 'UnprocessedKeys'>>;
}

/** The SQS operations the functions send, and the two the local event source mapping does (local/sqs-poller.ts). */
export interface Sqs {
  sendMessage(input: SendMessageRequest): Promise<SendMessageResult>;
  sendMessageBatch(input: SendMessageBatchRequest): Promise<SendMessageBatchResult>;
  changeMessageVisibility(input: ChangeMessageVisibilityRequest): Promise<void>;
  receiveMessage(input: ReceiveMessageRequest): Promise<ReceiveMessageResult>;
  deleteMessageBatch(input: DeleteMessageBatchRequest): Promise<DeleteMessageBatchResult>;
}

export interface SecretsManager {
  getSecretValue(secretId: string): Promise<{ SecretString?: string }>;
}

type Env = NodeJS.ProcessEnv;
type Client = awsLite.AwsLiteClient & { DynamoDB: Record<string, (input: object) => Promise<Record<string, unknown>>> };

/** The SDK's standard mode makes 3 attempts; so do these clients. */
const RETRIES = 2;

/** A client for one service, made on first use (making one reads the environment; it sends nothing). */
function lazyClient(env: Env, endpoint: string | undefined, plugins: unknown[] = []): () => Promise<Client> {
  let client: Promise<Client> | undefined;
  return () => {
    if (client) return client;
    // Where `env` names them: otherwise aws-lite reads the same variables from the process's environment.
    const { AWS_REGION: region, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
    client = awsLite({
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
      ...(accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : {}),
      plugins,
      retries: RETRIES,
      keepAlive: true,
      // As the document client was configured: an attribute left undefined is not written.
      awsjsonMarshall: { removeUndefinedValues: true },
    } as awsLite.AwsLiteConfig) as Promise<Client>;
    return client;
  };
}

/** The AWS JSON protocol's request for an operation the client has no plugin for. */
async function jsonCall(client: () => Promise<Client>, service: string, target: string, version: '1.0' | '1.1', payload: object): Promise<Record<string, unknown>> {
  const { payload: answer } = await (await client())({
    service,
    headers: { 'X-Amz-Target': target, 'content-type': `application/x-amz-json-${version}` },
    awsjson: false,
    payload,
  });
  return answer;
}

export function dynamoDbClient(env: Env = process.env): DocumentTable {
  const client = lazyClient(env, env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL, [dynamodbPlugin]);
  const call = async (operation: string, input: object) => (await client()).DynamoDB[operation]!(input);
  return {
    get: (input) => call('GetItem', input),
    put: (input) => call('PutItem', input),
    update: (input) => call('UpdateItem', input),
    delete: (input) => call('DeleteItem', input),
    // The plugin leaves a page's position in DynamoDB's own format, both ways: converted here.
    query: async ({ ExclusiveStartKey, ...input }) => {
      const { LastEvaluatedKey, ...page } = await call('Query', { ...input, ...(ExclusiveStartKey ? { ExclusiveStartKey: marshall(ExclusiveStartKey) } : {}) });
      return { ...page, ...(LastEvaluatedKey ? { LastEvaluatedKey: unmarshall(LastEvaluatedKey as Parameters<typeof unmarshall>[0]) } : {}) };
    },
    batchGet: (input) => call('BatchGetItem', input),
  };
}

export function sqsClient(env: Env = process.env): Sqs {
  const client = lazyClient(env, env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL);
  const call = (operation: string, input: object) => jsonCall(client, 'sqs', `AmazonSQS.${operation}`, '1.0', input);
  return {
    sendMessage: async (input) => (await call('SendMessage', input)) as SendMessageResult,
    sendMessageBatch: async (input) => (await call('SendMessageBatch', input)) as unknown as SendMessageBatchResult,
    changeMessageVisibility: async (input) => void (await call('ChangeMessageVisibility', input)),
    receiveMessage: async (input) => (await call('ReceiveMessage', input)) as ReceiveMessageResult,
    deleteMessageBatch: async (input) => (await call('DeleteMessageBatch', input)) as unknown as DeleteMessageBatchResult,
  };
}

export function secretsManagerClient(env: Env = process.env): SecretsManager {
  const client = lazyClient(env, env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL);
  return {
    getSecretValue: async (secretId) => (await jsonCall(client, 'secretsmanager', 'secretsmanager.GetSecretValue', '1.1', { SecretId: secretId })) as { SecretString?: string },
  };
}

/** An AWS error's code (`ConditionalCheckFailedException`), whatever namespace or protocol reported it. */
export function awsErrorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name.slice(name.indexOf('#') + 1) : undefined;
}

/**
 * Sends a conditional write: its output when the write was made, `undefined` when its condition did
 * not hold; any other error is thrown. The one place a refused condition becomes an answer. `write`
 * is a table operation, whose output is an object: a wrapper that drops it does not compile.
 */
export async function conditionalWrite<T extends object>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (awsErrorName(error) === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}
