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
export const isConditionalCheckFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
