/**
 * `npm start` as a newcomer runs it — the real local stack in its own process — on free ports, for
 * integration tests, the fault suite and the benchmarks. Everything the stack prints is kept.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../lib/jobs';
import { jobFromItem } from '../lib/jobs/item';
import type { FaultConfigInput, ScriptedFault } from './hyperswitch-sim/faults';
import { SIM_DEFAULTS, type Inspection, type JournalEntry, type SimObjects } from './hyperswitch-sim/server';
import { BANNER_END, freePort, onFreshPorts, spawnStack, startHelper, stopHelper } from './processes';

const credentials = { accessKeyId: 'local-fake-access-key', secretAccessKey: 'local-fake-secret-key' };

export interface StackProcess {
  api: string;
  /** The checkout page, on its own origin (allowed by the local CORS configuration). */
  web: string;
  hyperswitch: string;
  /** What the stack printed at start-up (its banner, with a copy-paste example using a test card). */
  banner: string;
  queueUrl: string;
  tableName: string;
  /** The variables that point the operations scripts (`npm run job`, `redrive`, `publish-job`) at this stack. */
  stageEnv: Record<string, string>;
  /** The AWS_* variables that point an AWS SDK (or `serverless invoke local`) at this stack. */
  awsEnv: Record<string, string>;
  sqs: SQSClient;
  /** The stack's process, its consumers' run apart, and the emulators' and the simulator's when they run apart (benchmarks read their CPU time). */
  pids: { stack: number; consumers: number[]; apart: { sqs?: number; dynamoDb?: number; simulator?: number } };
  /** Everything the stack printed after its banner: the logs of the functions and of the stack. */
  output(): string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON that callers assert on
  request(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  inspect(): Promise<Inspection>;
  /** Every request the simulator served, with the fault it drew and what it acted on. */
  journal(): Promise<JournalEntry[]>;
  objects(): Promise<SimObjects>;
  faults(config: FaultConfigInput): Promise<void>;
  script(faults: ScriptedFault[]): Promise<void>;
  jobs(): Promise<JobRecord[]>;
  /** The cards held for jobs (the `pm#` items): payment method id → the job that holds it. */
  holds(): Promise<Map<string, string>>;
  /** Waits until every job has ended, so that counters move only for what a test does next. */
  settled(): Promise<void>;
  job(jobId: string): Promise<JobRecord | undefined>;
  sendRaw(body: string): Promise<void>;
  stop(): Promise<void>;
}

// Variables that would give the stack other merchant keys or another Hyperswitch: a shell that tried
// `npm start` with its own keys must not change what the tests' stack accepts.
const OWN_SETTINGS = /^(S2S_VAULT_|HYPERSWITCH_(BASE_URL|VAULT_|PAYMENT_))/;

export interface StackProcessOptions {
  /**
   * SQS, DynamoDB and the Hyperswitch simulator each in a process of its own (local/emulator.ts,
   * `npm run simulator`), so that the stack's process runs only our functions (the benchmarks).
   */
  apart?: boolean;
  /** Puts something (a metering proxy) between the functions and the emulators run apart: returns the URLs they use. */
  via?: (urls: { sqs: string; dynamoDb: string }) => Promise<{ sqs: string; dynamoDb: string }>;
  /**
   * Functions whose queue consumers run in a second stack process rather than beside the others (with
   * `apart`): in AWS each function has containers of its own, so the benchmarks keep one function's
   * invocations off another's thread.
   */
  consumersApart?: string[];
}

export async function startStackProcess(env: Record<string, string> = {}, options: StackProcessOptions = {}): Promise<StackProcess> {
  if (options.consumersApart?.length && !options.apart) throw new Error('consumersApart needs apart: both stack processes use the same emulators and simulator');
  return onFreshPorts(() => startStackProcessOnce(env, options));
}

async function startStackProcessOnce(env: Record<string, string>, options: StackProcessOptions): Promise<StackProcess> {
  const ports = {
    PORT: await freePort(),
    LOCAL_SQS_PORT: await freePort(),
    LOCAL_DYNAMODB_PORT: await freePort(),
    LOCAL_SECRETS_MANAGER_PORT: await freePort(),
    HYPERSWITCH_SIM_PORT: await freePort(),
    WEB_PORT: await freePort(),
  };
  const helpers: ChildProcess[] = [];
  const apartPids: StackProcess['pids']['apart'] = {};
  const apartEnv: Record<string, string> = {};
  if (options.apart) {
    const commands: Array<[keyof typeof apartPids, ...Parameters<typeof startHelper>]> = [
      ['sqs', ['local/emulator.ts', 'sqs', String(ports.LOCAL_SQS_PORT)], {}, 'listening'],
      ['dynamoDb', ['local/emulator.ts', 'dynamodb', String(ports.LOCAL_DYNAMODB_PORT)], {}, 'listening'],
      ['simulator', ['local/hyperswitch-sim/main.ts'], { HYPERSWITCH_SIM_PORT: String(ports.HYPERSWITCH_SIM_PORT), HYPERSWITCH_SIM_WEBHOOK_URL: `http://127.0.0.1:${ports.PORT}/webhooks/hyperswitch` }, 'listening'],
    ];
    try {
      for (const [name, ...command] of commands) {
        helpers.push(await startHelper(...command));
        apartPids[name] = helpers.at(-1)!.pid!;
      }
    } catch (error) {
      // Those already running would outlive the failed start.
      for (const helper of helpers) await stopHelper(helper);
      throw error;
    }
    const direct = { sqs: `http://127.0.0.1:${ports.LOCAL_SQS_PORT}`, dynamoDb: `http://127.0.0.1:${ports.LOCAL_DYNAMODB_PORT}` };
    const used = options.via ? await options.via(direct) : direct;
    Object.assign(apartEnv, {
      LOCAL_SQS_URL: used.sqs,
      LOCAL_DYNAMODB_URL: used.dynamoDb,
      HYPERSWITCH_BASE_URL: `http://127.0.0.1:${ports.HYPERSWITCH_SIM_PORT}`,
      HYPERSWITCH_VAULT_API_KEY: SIM_DEFAULTS.vaultApiKey,
      HYPERSWITCH_VAULT_PROFILE_ID: SIM_DEFAULTS.profileId,
      HYPERSWITCH_PAYMENT_API_KEY: SIM_DEFAULTS.paymentApiKey,
      HYPERSWITCH_PAYMENT_PROFILE_ID: SIM_DEFAULTS.profileId,
    });
  }
  const logDirectory = mkdtempSync(join(tmpdir(), 's2s-vault-stack-'));
  const stageEnv = { ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOCAL_LOG_FILE: join(logDirectory, 'stack.log') };
  const stackEnv: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_SETTINGS.test(name))),
    ...stageEnv,
    // Short budgets so that retries come back in seconds: lease 3 s > one call (3 × 800 ms + backoff).
    LOCAL_VISIBILITY_TIMEOUT_SECONDS: '4',
    LOCAL_JOB_LEASE_SECONDS: '3',
    HYPERSWITCH_TIMEOUT_MS: '800',
    // A card create whose outcome was lost is resent after 2 s at the earliest: past the simulator's
    // late commits (its default is 2 s after the request; the fault suite uses 1.5 s), within the 4 s visibility.
    HYPERSWITCH_SETTLE_MS: '2000',
    HYPERSWITCH_MAX_RETRY_AFTER_MS: '0',
    // Not the default (npm run events:listen, which a developer may have running): nothing listens here.
    S2S_VAULT_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/`,
    ...apartEnv,
    ...env,
  };
  const stopHelpers = async () => {
    for (const helper of helpers) await stopHelper(helper);
  };
  const consumersApart = options.consumersApart ?? [];
  const main = await spawnStack({ ...stackEnv, ...(consumersApart.length > 0 && { LOCAL_DISABLED_CONSUMERS: [stackEnv.LOCAL_DISABLED_CONSUMERS, ...consumersApart].filter(Boolean).join(',') }) }).catch(async (error: unknown) => {
    await stopHelpers();
    throw error;
  });
  // Those consumers in a second stack process of their own, on the same emulators, simulator and secrets'
  // values: as their containers are apart from the worker's in AWS. Its API and Secrets Manager listen on ports of their own.
  const consumers =
    consumersApart.length > 0
      ? await spawnStack({ ...stackEnv, PORT: String(await freePort()), LOCAL_SECRETS_MANAGER_PORT: String(await freePort()), WEB_PORT: String(await freePort()), LOCAL_LOG_FILE: join(logDirectory, 'consumers.log'), LOCAL_ONLY_CONSUMERS: consumersApart.join(',') }).catch(async (error: unknown) => {
          await main.stop();
          await stopHelpers();
          throw error;
        })
      : undefined;

  const api = `http://127.0.0.1:${ports.PORT}`;
  const bannerEnd = main.output().indexOf('\n', main.output().indexOf(BANNER_END)) + 1;
  const banner = main.output().slice(0, bannerEnd);
  const region = 'us-east-1';
  const sqs = new SQSClient({ region, endpoint: `http://127.0.0.1:${ports.LOCAL_SQS_PORT}`, credentials });
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region, endpoint: `http://127.0.0.1:${ports.LOCAL_DYNAMODB_PORT}`, credentials }));
  const hyperswitch = `http://127.0.0.1:${ports.HYPERSWITCH_SIM_PORT}`;
  const queueUrl = `http://127.0.0.1:${ports.LOCAL_SQS_PORT}/000000000000/s2s-vault-local-vault-jobs`;
  const tableName = 's2s-vault-local-jobs';
  const control = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${hyperswitch}${path}`, { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    if (!response.ok) throw new Error(`simulator ${path}: ${response.status} ${await response.text()}`);
  };
  const items = async () => {
    const found: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
      found.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  };
  // As the store reads them: a claim's intent kept in an attribute of its own is shown as its step's.
  const jobs = async (): Promise<JobRecord[]> => (await items()).filter((item) => item.kind === undefined).map(jobFromItem);
  const holds = async () =>
    new Map((await items()).flatMap((item) => (item.kind === 'payment_method_hold' ? [[String(item.job_id).slice('pm#'.length), String(item.holder_job_id)] as const] : [])));

  return {
    api,
    web: `http://localhost:${ports.WEB_PORT}`,
    hyperswitch,
    banner,
    awsEnv: {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${ports.LOCAL_SQS_PORT}`,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.LOCAL_DYNAMODB_PORT}`,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${ports.LOCAL_SECRETS_MANAGER_PORT}`,
    },
    queueUrl,
    tableName,
    stageEnv,
    sqs,
    pids: { stack: main.child.pid!, consumers: consumers ? [consumers.child.pid!] : [], apart: apartPids },
    output: () => main.output().slice(bannerEnd),
    async request(path, init) {
      const response = await fetch(`${api}${path}`, init);
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, body, text };
    },
    inspect: async () => (await fetch(`${hyperswitch}/__sim/inspect`)).json() as Promise<Inspection>,
    journal: async () => (await fetch(`${hyperswitch}/__sim/journal`)).json() as Promise<JournalEntry[]>,
    objects: async () => (await fetch(`${hyperswitch}/__sim/objects`)).json() as Promise<SimObjects>,
    faults: (config) => control('PUT', '/__sim/faults', config),
    script: (faults) => control('POST', '/__sim/faults/script', faults),
    jobs,
    holds,
    job: async (jobId) => (await jobs()).find((job) => job.job_id === jobId),
    async settled() {
      await eventually(jobs, (all) => all.every((job) => job.status === 'succeeded' || job.status === 'failed'), 60_000);
    },
    async sendRaw(body) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    },
    async stop() {
      sqs.destroy();
      dynamo.destroy();
      const consumersCode = await consumers?.stop();
      const code = await main.stop();
      await stopHelpers();
      rmSync(logDirectory, { recursive: true, force: true });
      if (code !== 0) throw new Error(`The local stack stopped with ${code}:\n${main.output().slice(-2000)}`);
      if (consumersCode !== undefined && consumersCode !== 0) throw new Error(`The stack of the consumers apart stopped with ${consumersCode}:\n${consumers!.output().slice(-2000)}`);
    },
  };
}

/** The messages a queue holds, visible or in flight: 0 once every message was deleted (or moved to its DLQ). */
export async function messagesIn(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

/** Polls until the check passes (or fails with the last value seen). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`Timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await read();
  }
  return value;
}
