import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { VAULT_JOB_SCHEMA, type VaultJobMessage } from './schemas';

/** Where vault jobs are sent. */
export interface JobQueue {
  send(message: VaultJobMessage): Promise<{ messageId: string }>;
}

/** SQS adapter. The only message attribute is the schema version: nothing about the card. */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {}

  async send(message: VaultJobMessage): Promise<{ messageId: string }> {
    const { MessageId } = await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        MessageAttributes: { schema: { DataType: 'String', StringValue: VAULT_JOB_SCHEMA } },
      }),
    );
    return { messageId: MessageId ?? '' };
  }
}
