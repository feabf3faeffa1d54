/**
 * AWS SDK clients, made once per process. In Lambda they use the defaults; locally the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables point them at the emulators. The SQS endpoint is also passed
 * explicitly: otherwise the SDK sends to the host in the queue URL, which an emulator may not serve.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

export function sqsClient(env: NodeJS.ProcessEnv = process.env): SQSClient {
  const endpoint = env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
  return new SQSClient(endpoint ? { endpoint } : {});
}

export function dynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

/** A conditional write refused because its condition did not hold (by name too: the class may come from another copy of the SDK). */
const isConditionalCheckFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/**
 * Sends a conditional write: its output when the write was made, `undefined` when its condition did
 * not hold; any other error is thrown. The one place a refused condition becomes an answer. `write`
 * is the SDK's send, whose output is an object: a wrapper that drops it does not compile.
 */
export async function conditionalWrite<T extends object>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (isConditionalCheckFailure(error)) return undefined;
    throw error;
  }
}
