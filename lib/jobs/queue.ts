import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { sqsClient, type Sqs } from '../aws';
import { VAULT_JOB_SCHEMA, type JobRecord, type VaultJobMessage } from './schemas';

/** The API route that accepted a job; a merchant backend's message names none (its record says `queue`). */
export type IntakeRoute = Exclude<JobRecord['source'], 'queue'>;
const intakeRouteSchema = z.enum(['checkout', 'charges']) satisfies z.ZodType<IntakeRoute>;

/** Where vault jobs are sent. */
export interface JobQueue {
  send(message: VaultJobMessage, route?: IntakeRoute): Promise<{ messageId: string }>;
}

/**
 * SQS adapter. The message's attributes are its schema version and the route that accepted it, if
 * one did: nothing about the card. The route labels the record the worker makes when its claim
 * comes before the intake's own write (the two go side by side).
 */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: Sqs = sqsClient(),
  ) {}

  async send(message: VaultJobMessage, route?: IntakeRoute): Promise<{ messageId: string }> {
    const { MessageId } = await this.client.sendMessage({
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify(message),
      MessageAttributes: { schema: { DataType: 'String', StringValue: VAULT_JOB_SCHEMA }, ...(route && { source: { DataType: 'String', StringValue: route } }) },
    });
    return { messageId: MessageId ?? '' };
  }
}

/** Where a delivered job came from, as its record keeps it: the route its attributes name, else `queue`. */
export function jobSourceOf(attributes: SQSRecord['messageAttributes'] | undefined): JobRecord['source'] {
  const route = intakeRouteSchema.safeParse(attributes?.source?.stringValue);
  return route.success ? route.data : 'queue';
}

/**
 * Keeps a received message away until `at` (at most SQS's 12 hours): a job that waits for the
 * shopper comes back to its worker when the wait ends, to be resolved or expired — no scheduler.
 */
export async function holdMessageUntil(client: Sqs, queueUrl: string, receiptHandle: string, at: number, now = Date.now()): Promise<void> {
  const seconds = Math.min(12 * 3600, Math.max(1, Math.ceil((at - now) / 1000) + 1));
  await client.changeMessageVisibility({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds });
}
