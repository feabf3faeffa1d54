/**
 * The Lambda SQS event source mapping, locally: long-polls a queue, hands batches to the function,
 * deletes what succeeded and leaves the rest to the visibility timeout (and so to the queue's redrive
 * policy and its DLQ), honouring ReportBatchItemFailures. `maximumConcurrency` pollers run at once.
 * It sends through the functions' own client (lib/aws): in AWS the mapping's requests are not the
 * function's, and here they share its thread, so they should cost it no more than its own do.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Sqs } from '../lib/aws';
import type { LocalFunction } from './lambda';

export interface PollerOptions {
  client: Sqs;
  queueUrl: string;
  queueArn: string;
  fn: LocalFunction;
  batchSize: number;
  maximumConcurrency: number;
  /**
   * Seconds a batch that is not full waits for more records before the function sees it, from its
   * first record (Lambda's `MaximumBatchingWindowInSeconds`; 0: at once).
   */
  maximumBatchingWindowSeconds?: number;
  reportBatchItemFailures: boolean;
  log: (line: Record<string, unknown>) => void;
  /** Seconds a receive waits for messages; short, so that stopping is quick. */
  waitTimeSeconds?: number;
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? 'String', stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export class SqsPoller {
  private running = false;
  private loops: Promise<void>[] = [];
  /** Deletions under way: as with Lambda's, they do not hold the poller's next receive. */
  private readonly deleting = new Set<Promise<void>>();
  private readonly aborter = new AbortController();

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.maximumConcurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.aborter.abort();
    await Promise.all(this.loops);
    await Promise.all(this.deleting);
  }

  private async loop(): Promise<void> {
    const { log, fn } = this.options;
    while (this.running) {
      let messages: Message[];
      try {
        messages = await this.gather();
      } catch (error) {
        if (!this.running) return;
        log({ level: 'ERROR', message: 'SQS receive failed', function: fn.name, error: error instanceof Error ? error.message : String(error) });
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      // Received as the poller stopped: not delivered; they come back after their visibility timeout.
      if (!this.running) return;
      if (messages.length > 0) await this.deliver(messages);
    }
  }

  /**
   * A batch as Lambda's poller makes it: what one long poll brings, and, when that is not a full batch
   * and the mapping has a batching window, what arrived by the window's end. A full batch goes at once.
   */
  private async gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds = 0 } = this.options;
    const first = await this.receive(batchSize, this.options.waitTimeSeconds ?? 1);
    if (first.length === 0 || first.length >= batchSize || maximumBatchingWindowSeconds === 0) return first;
    await sleep(maximumBatchingWindowSeconds * 1000, undefined, { signal: this.aborter.signal }).catch(() => undefined);
    // Stopping within the window: the batch is not delivered, and its messages come back after their visibility timeout.
    if (!this.running) return [];
    return [...first, ...(await this.receive(batchSize - first.length, 0))];
  }

  private async receive(maxMessages: number, waitTimeSeconds: number): Promise<Message[]> {
    const { client, queueUrl } = this.options;
    // Not aborted on stop (the client has no abort): a stop waits for it, at most `waitTimeSeconds`.
    const received = await client.receiveMessage({ QueueUrl: queueUrl, MaxNumberOfMessages: maxMessages, WaitTimeSeconds: waitTimeSeconds, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] });
    return received.Messages ?? [];
  }

  private async deliver(messages: Message[]): Promise<void> {
    const { client, queueUrl, queueArn, fn, log } = this.options;
    const event: SQSEvent = { Records: messages.map((message) => toRecord(message, queueArn)) };
    let failed = new Set<string>();
    try {
      const result = (await fn.invoke(event)) as { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined;
      if (this.options.reportBatchItemFailures) failed = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      // A failed invocation: every message of the batch comes back after its visibility timeout.
      log({ level: 'ERROR', message: 'Function invocation failed', function: fn.name, error: error instanceof Error ? error.name : 'unknown', messages: messages.length });
      return;
    }
    const done = messages.filter((message) => !failed.has(message.MessageId!));
    if (done.length === 0) return;
    const deletion = client
      .deleteMessageBatch({ QueueUrl: queueUrl, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) })
      .then(
        () => undefined,
        // Not deleted: the messages come back after their visibility timeout, and the function sees them again.
        (error: unknown) => log({ level: 'ERROR', message: 'SQS delete failed', function: fn.name, error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => this.deleting.delete(deletion));
    this.deleting.add(deletion);
  }
}
