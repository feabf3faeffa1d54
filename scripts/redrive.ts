/**
 * `npm run redrive -- --stage <stage> [--dry-run]`: moves the messages of each dead-letter queue
 * back to the queue that dead-lettered them (the pairs are serverless.yml's redrive policies), with
 * SQS `StartMessageMoveTask`; `--dry-run` only counts them. `--stage local` targets `npm start`'s
 * stack, whose SQS emulator has no move task: there the messages are moved one by one (receive,
 * send, delete), which is what the move task does.
 *
 * Safe to run at any time: a job that has ended stays ended (the worker finds its record and deletes
 * the message without acting), so a redrive runs only jobs that never finished — the ones whose
 * dead letters no handler recorded. See docs/operations.md §4.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { loadServerlessConfig } from '../local/serverless-config';
import { option, useStage } from './stage-env';

interface Queue {
  name: string;
  url: string;
  arn: string;
  messages: number;
}

async function queue(sqs: SQSClient, name: string): Promise<Queue> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }));
  return { name, url: QueueUrl!, arn: Attributes!.QueueArn!, messages: Number(Attributes!.ApproximateNumberOfMessages ?? 0) };
}

/** SQS's own move task: it moves every message, keeping its attributes, and reports how many. */
async function moveTask(sqs: SQSClient, from: Queue, to: Queue): Promise<number> {
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: from.arn, DestinationArn: to.arn }));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: from.arn, MaxResults: 1 }));
    const task = Results?.[0];
    if (task?.Status === 'COMPLETED') return task.ApproximateNumberOfMessagesMoved ?? 0;
    if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') throw new Error(`The move task ${task.Status}: ${task.FailureReason ?? 'no reason given'}`);
  }
}

/** The same, by hand, for an emulator without the move task: each message is sent on before it is deleted. */
async function moveByHand(sqs: SQSClient, from: Queue, to: Queue): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: from.url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }));
    if (Messages.length === 0) return moved;
    const entries = Messages.map((message, i) => ({ Id: String(i), MessageBody: message.Body!, MessageAttributes: message.MessageAttributes }));
    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: to.url, Entries: entries }));
    // Only what reached the source queue leaves the DLQ; the rest is there for the next run.
    const delivered = (sent.Successful ?? []).map(({ Id }) => Messages[Number(Id)]!);
    if (delivered.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: from.url, Entries: delivered.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! })) }));
    moved += delivered.length;
    if (delivered.length < Messages.length) throw new Error(`${Messages.length - delivered.length} message(s) could not be sent to ${to.name}; they stay in ${from.name}`);
  }
}

async function main(args: string[]): Promise<void> {
  const stage = option(args, 'stage');
  if (!stage) throw new Error('usage: npm run redrive -- --stage <stage> [--dry-run]');
  const dryRun = args.includes('--dry-run');
  const env = useStage(stage);
  const config = await loadServerlessConfig(stage, env);
  // An operator's tool, not a function: the SDK has the move task, which the functions' client does not need.
  const endpoint = env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
  const sqs = new SQSClient(endpoint ? { endpoint } : {});
  for (const source of config.queues.filter((q) => q.RedrivePolicy)) {
    const deadLetterName = config.queues.find((q) => q.logicalId === source.RedrivePolicy!.deadLetterTargetArn['Fn::GetAtt'][0])!.QueueName;
    const [from, to] = await Promise.all([queue(sqs, deadLetterName), queue(sqs, source.QueueName)]);
    if (dryRun) {
      console.log(`${from.name}: ${from.messages} message(s) would move to ${to.name}`);
      continue;
    }
    const moved = await moveTask(sqs, from, to).catch((error: unknown) => {
      if ((error as { name?: string }).name !== 'InvalidAction') throw error;
      return moveByHand(sqs, from, to);
    });
    console.log(`${from.name}: moved ${moved} message(s) to ${to.name}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
