import { sqsClient, type Sqs } from '../aws';
import { VAULT_JOB_SCHEMA, type VaultJobMessage } from './schemas';

/** Where vault jobs are sent. */
export interface JobQueue {
  send(message: VaultJobMessage): Promise<{ messageId: string }>;
}

/** SQS adapter. The message's one attribute is the schema version: nothing about the card. */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: Sqs = sqsClient(),
  ) {}

  async send(message: VaultJobMessage): Promise<{ messageId: string }> {
    const { MessageId } = await this.client.sendMessage({
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify(message),
      MessageAttributes: { schema: { DataType: 'String', StringValue: VAULT_JOB_SCHEMA } },
    });
    return { messageId: MessageId ?? '' };
  }
}

/**
 * Keeps a received message away until `at` (at most SQS's 12 hours): a job that waits for the
 * shopper comes back to its worker when the wait ends, to be resolved or expired — no scheduler.
 */
export async function holdMessageUntil(client: Sqs, queueUrl: string, receiptHandle: string, at: number, now = Date.now()): Promise<void> {
  const seconds = Math.min(12 * 3600, Math.max(1, Math.ceil((at - now) / 1000) + 1));
  await client.changeMessageVisibility({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds });
}
