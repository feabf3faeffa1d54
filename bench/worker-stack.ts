/**
 * The worker's benches on the real local stack (bench/worker-throughput.ts, bench/rate-limit.ts): the
 * stack as they run it, and a block of jobs published at once and timed until their queue is empty.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_MAX_CHARGE_AMOUNT, sealVaultJob, vaultRequestSchema } from '../lib/jobs';
import { LOCAL_CARD_KEYS } from '../local/stack';
import { eventually, messagesIn, startStackProcess, type StackProcess } from '../local/stack-process';
import { merchantEndpoint } from './merchant-endpoint';

const sealed = (jobId: string) =>
  JSON.stringify(
    sealVaultJob(jobId, vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse({ customer: { name: 'Jane Doe', email: 'jane@example.com' }, card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe', issuing_country: 'US' } }), LOCAL_CARD_KEYS).message,
  );

/**
 * The local stack with the emulators and the simulator apart, its merchant events going to a healthy
 * endpoint: a merchant endpoint that refuses them would add its retries to the deliveries. The
 * deliveries run in a stack process of their own, as their containers are apart from the worker's in
 * AWS: on one thread, a job's events were delivered between the next job's requests (the worker's
 * time lost to them is in docs/performance-history.md, "The twenty-first session").
 */
export async function benchStack(env: Record<string, string>): Promise<StackProcess & { webhookUrl: string }> {
  const endpoint = await merchantEndpoint();
  const stack = await startStackProcess({ POWERTOOLS_LOG_LEVEL: 'WARN', S2S_VAULT_WEBHOOK_URL: endpoint.url, ...env }, { apart: true, consumersApart: ['webhookDelivery'] }).catch(async (error: unknown) => {
    await endpoint.close();
    throw error;
  });
  return { ...stack, webhookUrl: endpoint.url, stop: () => stack.stop().finally(() => endpoint.close()) };
}

/** Where a block's jobs go: our worker's queue, or the design floor's. */
export interface Worker {
  queueUrl: string;
  deliveriesQueueUrl: string;
}

async function publish(sqs: SQSClient, queueUrl: string, ids: string[]) {
  for (let i = 0; i < ids.length; i += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: ids.slice(i, i + 10).map((id, j) => ({ Id: String(j), MessageBody: sealed(id) })) }));
  }
}

/**
 * Waits until the queue is empty: a message leaves it only when its job ended. It watches the
 * queue, not the table: a scan of thousands of items every second would load the emulator the jobs
 * write to, and the figure would measure the bench.
 */
async function drained(stack: StackProcess, queueUrl: string) {
  await eventually(
    () => messagesIn(stack.sqs, queueUrl),
    (left) => left === 0,
    600_000,
    20,
  );
}

export interface Block {
  jobs: number;
  seconds: number;
}

/** A worker (ours, or the design's floor) on `ids`: published at once, timed until its queue is empty (a message leaves it only when its job ended). */
export async function workerBlock(stack: StackProcess, worker: Worker, ids: string[]): Promise<Block> {
  const started = performance.now();
  await publish(stack.sqs, worker.queueUrl, ids);
  await drained(stack, worker.queueUrl);
  return { jobs: ids.length, seconds: (performance.now() - started) / 1000 };
}

/** Between blocks, off the clock: the merchant events of the jobs that just ended delivered, so that they load no side of the next block. */
export const deliveriesDrained = (stack: StackProcess, worker: Worker) => drained(stack, worker.deliveriesQueueUrl);

export const ourWorker = (stack: StackProcess): Worker => ({ queueUrl: stack.queueUrl, deliveriesQueueUrl: stack.queueUrl.replace(/vault-jobs$/, 'webhook-deliveries') });

/** After the clock: every job succeeded (one scan). */
export async function allSucceeded(stack: StackProcess, ids: string[]) {
  const wanted = new Set(ids);
  const succeeded = (await stack.jobs()).filter((job) => wanted.has(job.job_id) && job.status === 'succeeded').length;
  if (succeeded !== ids.length) throw new Error(`${ids.length - succeeded} of ${ids.length} jobs did not succeed`);
}
