import { sqsClient, type Sqs } from '../aws';
import { VAULT_JOB_SCHEMA, type VaultJobMessage } from './schemas';

/**
 * A message attribute our intake sets: it writes the job's record beside the message, so the worker
 * claims that record first rather than trying to make one (which it does first for a merchant's message).
 */
export const RECORD_WRITTEN_ATTRIBUTE = 'job_record';

/** Where vault jobs are sent. `recordWritten`: the sender writes the job's record too (our intake). */
export interface JobQueue {
  send(message: VaultJobMessage, options?: { recordWritten?: boolean }): Promise<{ messageId: string }>;
}

/** SQS adapter. The message attributes are the schema version and whether the sender wrote the record: nothing about the card. */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: Sqs = sqsClient(),
  ) {}

  async send(message: VaultJobMessage, { recordWritten = false }: { recordWritten?: boolean } = {}): Promise<{ messageId: string }> {
    const { MessageId } = await this.client.sendMessage({
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify(message),
      MessageAttributes: {
        schema: { DataType: 'String', StringValue: VAULT_JOB_SCHEMA },
        ...(recordWritten ? { [RECORD_WRITTEN_ATTRIBUTE]: { DataType: 'String', StringValue: 'true' } } : {}),
      },
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
