/**
 * The whole system on one machine, no docker: SQS (fauxqs), DynamoDB (dynalite), a local Secrets
 * Manager seeded with fake local secrets, the Hyperswitch simulator (or a real Hyperswitch when its URL
 * and keys are given), the functions of serverless.yml behind a local HTTP API, and pollers that feed
 * the queue consumers like the Lambda SQS event source mapping.
 */
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { hashApiKey } from '../lib/auth';
import { SIM_DEFAULTS, startSimulator, type HyperswitchSimulator } from './hyperswitch-sim/server';
import type { WebhookFaults } from './hyperswitch-sim/webhooks';
import { startDynamoDbEmulator, startSqsEmulator } from './emulators';
import { createHttpApi, listen } from './http-api';
import { buildFunctions, loadFunction } from './lambda';
import { LocalSecretsManager } from './secrets-manager';
import { loadServerlessConfig, type ServerlessConfig } from './serverless-config';
import { sqsClient as lambdaSqsClient } from '../lib/aws';
import { SqsPoller } from './sqs-poller';

const STAGE = 'local';
const REGION = 'us-east-1';

/** Clearly fake local merchant API keys; override with S2S_VAULT_SERVER_KEY / S2S_VAULT_PUBLISHABLE_KEY. */
export const LOCAL_API_KEYS = {
  server: 'sk_test_local_fake_server_key_0001',
  publishable: 'pk_test_local_fake_publishable_key_0001',
};
const LOCAL_API_KEY_HMAC = Buffer.from('s2s-vault-local-fake-api-hmac-01').toString('base64');

/** Clearly fake local keys (32 bytes each), so that sample events sealed with them open locally. */
export const LOCAL_CARD_KEYS = {
  current_key_id: 'local-1',
  keys: { 'local-1': Buffer.from('s2s-vault-local-fake-card-key-01').toString('base64') },
  hmac_key: Buffer.from('s2s-vault-local-fake-hmac-key-01').toString('base64'),
};

/**
 * The merchant webhook endpoint and its signing secret (clearly fake): `npm run events:listen` by
 * default; override with S2S_VAULT_WEBHOOK_URL / S2S_VAULT_WEBHOOK_SECRET.
 */
export const LOCAL_WEBHOOK = {
  url: 'http://127.0.0.1:8787/',
  secret: `whsec_${Buffer.from('s2s-vault-local-fake-webhook-01').toString('base64')}`,
};

/** Clearly fake: the payment_response_hash_key the simulator signs its webhooks with; override with HYPERSWITCH_WEBHOOK_HASH_KEY. */
export const LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY = 'local-fake-hyperswitch-webhook-hash-key-0001';

export interface LocalStackOptions {
  httpPort: number;
  sqsPort: number;
  dynamoDbPort: number;
  secretsManagerPort: number;
  simulatorPort: number;
  apiKeys: { server: string; publishable: string };
  /** Shorter than in AWS (180 s) so that a retried job comes back in seconds. */
  visibilityTimeoutSeconds: number;
  /** Below the visibility timeout, as in AWS. */
  jobLeaseSeconds: number;
  /** Overrides of the worker's event source mapping (benchmarks): pollers at once, records per batch. */
  workerMapping?: { maximumConcurrency?: number; batchSize?: number };
  /** Functions whose queue consumers do not run, as when their event source mapping is disabled in AWS. */
  disabledConsumers?: string[];
  /** When set, the only functions whose queue consumers run: a stack that stands for their containers alone, beside another on the same emulators. */
  onlyConsumers?: string[];
  /** The hash key Hyperswitch signs its webhooks with (the simulator's and our secret's). */
  hyperswitchWebhookHashKey: string;
  /** Faults in the simulator's webhooks: duplicated, delayed, badly signed, lost. */
  hyperswitchWebhookFaults?: WebhookFaults;
  /** Where merchant events go, signed with which secret. */
  webhook: { url: string; secret: string };
  /** Emulators already running in processes of their own (local/emulator.ts), instead of in this one. */
  external?: { sqsUrl?: string; dynamoDbUrl?: string };
  /** A real Hyperswitch instead of the simulator. */
  hyperswitch?: { baseUrl: string; vault: { apiKey: string; profileId: string }; payment: { apiKey: string; profileId: string } };
  log: (line: Record<string, unknown>) => void;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv, log: LocalStackOptions['log']): LocalStackOptions {
  const port = (name: string, fallback: number) => (env[name] === undefined ? fallback : Number(env[name]));
  const realHyperswitch = ['HYPERSWITCH_VAULT_API_KEY', 'HYPERSWITCH_VAULT_PROFILE_ID', 'HYPERSWITCH_PAYMENT_API_KEY', 'HYPERSWITCH_PAYMENT_PROFILE_ID'];
  const real = Boolean(env.HYPERSWITCH_BASE_URL);
  const missing = realHyperswitch.filter((name) => !env[name]);
  if (real && missing.length > 0) throw new Error(`HYPERSWITCH_BASE_URL is set, so a real Hyperswitch is used: also set ${missing.join(', ')}`);
  return {
    httpPort: port('PORT', 3000),
    sqsPort: port('LOCAL_SQS_PORT', 9324),
    dynamoDbPort: port('LOCAL_DYNAMODB_PORT', 8000),
    secretsManagerPort: port('LOCAL_SECRETS_MANAGER_PORT', 4584),
    simulatorPort: port('HYPERSWITCH_SIM_PORT', SIM_DEFAULTS.port),
    workerMapping: {
      maximumConcurrency: env.LOCAL_WORKER_MAX_CONCURRENCY ? Number(env.LOCAL_WORKER_MAX_CONCURRENCY) : undefined,
      batchSize: env.LOCAL_WORKER_BATCH_SIZE ? Number(env.LOCAL_WORKER_BATCH_SIZE) : undefined,
    },
    apiKeys: { server: env.S2S_VAULT_SERVER_KEY ?? LOCAL_API_KEYS.server, publishable: env.S2S_VAULT_PUBLISHABLE_KEY ?? LOCAL_API_KEYS.publishable },
    visibilityTimeoutSeconds: port('LOCAL_VISIBILITY_TIMEOUT_SECONDS', 15),
    disabledConsumers: env.LOCAL_DISABLED_CONSUMERS?.split(',').filter(Boolean),
    onlyConsumers: env.LOCAL_ONLY_CONSUMERS?.split(',').filter(Boolean),
    webhook: { url: env.S2S_VAULT_WEBHOOK_URL ?? LOCAL_WEBHOOK.url, secret: env.S2S_VAULT_WEBHOOK_SECRET ?? LOCAL_WEBHOOK.secret },
    hyperswitchWebhookHashKey: env.HYPERSWITCH_WEBHOOK_HASH_KEY ?? LOCAL_HYPERSWITCH_WEBHOOK_HASH_KEY,
    hyperswitchWebhookFaults: env.HYPERSWITCH_SIM_WEBHOOK_FAULTS ? (JSON.parse(env.HYPERSWITCH_SIM_WEBHOOK_FAULTS) as WebhookFaults) : undefined,
    jobLeaseSeconds: port('LOCAL_JOB_LEASE_SECONDS', 12),
    external: { sqsUrl: env.LOCAL_SQS_URL, dynamoDbUrl: env.LOCAL_DYNAMODB_URL },
    hyperswitch: real
      ? {
          baseUrl: env.HYPERSWITCH_BASE_URL!,
          vault: { apiKey: env.HYPERSWITCH_VAULT_API_KEY!, profileId: env.HYPERSWITCH_VAULT_PROFILE_ID! },
          payment: { apiKey: env.HYPERSWITCH_PAYMENT_API_KEY!, profileId: env.HYPERSWITCH_PAYMENT_PROFILE_ID! },
        }
      : undefined,
    log,
  };
}

export interface LocalStack {
  urls: { api: string; sqs: string; dynamoDb: string; secretsManager: string; hyperswitch: string };
  queueUrls: Record<string, string>;
  tableName: string;
  config: ServerlessConfig;
  simulator?: HyperswitchSimulator;
  stop(): Promise<void>;
}

/** One value per variable across all functions: they share this process's environment. */
function functionEnvironment(config: ServerlessConfig): Record<string, string> {
  const merged: Record<string, string> = { ...config.environment };
  for (const fn of config.functions) {
    for (const [name, value] of Object.entries(fn.environment ?? {})) {
      if (name in merged && merged[name] !== value) throw new Error(`Functions disagree on ${name}; the local stack runs them in one process`);
      merged[name] = value;
    }
  }
  return merged;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { log } = options;
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopper of stoppers.reverse()) await stopper().catch((error: unknown) => log({ level: 'ERROR', message: 'stop failed', error: String(error) }));
  };
  try {
    const sqs = options.external?.sqsUrl ? undefined : await startSqsEmulator(options.sqsPort);
    if (sqs) stoppers.push(sqs.stop);
    const sqsUrl = options.external?.sqsUrl ?? sqs!.url;
    const dynamo = options.external?.dynamoDbUrl ? undefined : await startDynamoDbEmulator(options.dynamoDbPort);
    if (dynamo) stoppers.push(dynamo.stop);
    const dynamoDbUrl = options.external?.dynamoDbUrl ?? dynamo!.url;

    const secretsManager = new LocalSecretsManager({}, REGION);
    const secretsUrl = await secretsManager.listen(options.secretsManagerPort);
    stoppers.push(() => secretsManager.close());

    let simulator: HyperswitchSimulator | undefined;
    let hyperswitchUrl = options.hyperswitch?.baseUrl;
    if (!hyperswitchUrl) {
      // The simulator sends Hyperswitch's webhooks to our API, signed with the hash key our secret holds.
      simulator = await startSimulator({
        port: options.simulatorPort,
        webhooks: { url: `http://127.0.0.1:${options.httpPort}/webhooks/hyperswitch`, hashKey: options.hyperswitchWebhookHashKey, faults: options.hyperswitchWebhookFaults },
      });
      stoppers.push(() => simulator!.close());
      hyperswitchUrl = simulator.url;
    }

    const awsEnv = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local-fake-access-key',
      AWS_SECRET_ACCESS_KEY: 'local-fake-secret-key',
      AWS_ENDPOINT_URL_SQS: sqsUrl,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbUrl,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
    };
    Object.assign(process.env, awsEnv);
    const config = await loadServerlessConfig(STAGE, { ...process.env, LOCAL_SQS_PORT: new URL(sqsUrl).port });
    const sqsClient = new SQSClient({ region: REGION, endpoint: sqsUrl });
    const functionsSqs = lambdaSqsClient(process.env);

    // Queues as serverless.yml declares them, the DLQ first so the main queue can redrive to it.
    const queueUrls: Record<string, string> = {};
    const queueArns: Record<string, string> = {};
    const ordered = [...config.queues].sort((a, b) => Number(Boolean(a.RedrivePolicy)) - Number(Boolean(b.RedrivePolicy)));
    for (const queue of ordered) {
      const attributes: Record<string, string> = { VisibilityTimeout: String(options.visibilityTimeoutSeconds), MessageRetentionPeriod: '3600' };
      if (queue.RedrivePolicy) {
        const target = queue.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: queueArns[target], maxReceiveCount: queue.RedrivePolicy.maxReceiveCount });
      }
      // Through the SQS API, whether the emulator runs here or apart.
      const { QueueUrl } = await sqsClient.send(new CreateQueueCommand({ QueueName: queue.QueueName, Attributes: attributes }));
      const { Attributes } = await sqsClient.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      queueUrls[queue.logicalId] = QueueUrl!;
      queueArns[queue.logicalId] = Attributes!.QueueArn!;
    }

    const dynamoClient = new DynamoDBClient({ region: REGION, endpoint: dynamoDbUrl });
    await dynamoClient
      .send(
        new CreateTableCommand({
          TableName: config.tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: config.table.AttributeDefinitions,
          KeySchema: config.table.KeySchema,
          GlobalSecondaryIndexes: config.table.GlobalSecondaryIndexes,
        }),
      )
      .catch((error: unknown) => {
        // An emulator apart may hold the table already: another stack on it (its consumers apart) created it.
        if (!(options.external?.dynamoDbUrl && error instanceof ResourceInUseException)) throw error;
      });
    // dynalite does not implement TTL; AWS expires records, locally they stay until the stack stops.
    await dynamoClient.send(new UpdateTimeToLiveCommand({ TableName: config.tableName, TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true } })).catch(() => undefined);
    dynamoClient.destroy();

    const env = functionEnvironment(config);
    const vault = options.hyperswitch?.vault ?? { apiKey: SIM_DEFAULTS.vaultApiKey, profileId: SIM_DEFAULTS.profileId };
    const payment = options.hyperswitch?.payment ?? { apiKey: SIM_DEFAULTS.paymentApiKey, profileId: SIM_DEFAULTS.profileId };
    secretsManager.put(env.CARD_KEYS_SECRET_ID!, JSON.stringify(LOCAL_CARD_KEYS));
    secretsManager.put(
      env.MERCHANT_KEYS_SECRET_ID!,
      JSON.stringify({
        hmac_key: LOCAL_API_KEY_HMAC,
        server_key_hashes: [hashApiKey(LOCAL_API_KEY_HMAC, options.apiKeys.server)],
        publishable_key_hashes: [hashApiKey(LOCAL_API_KEY_HMAC, options.apiKeys.publishable)],
      }),
    );
    secretsManager.put(env.HYPERSWITCH_VAULT_SECRET_ID!, JSON.stringify({ api_key: vault.apiKey, profile_id: vault.profileId, base_url: hyperswitchUrl }));
    secretsManager.put(env.HYPERSWITCH_PAYMENT_SECRET_ID!, JSON.stringify({ api_key: payment.apiKey, profile_id: payment.profileId, base_url: hyperswitchUrl }));
    secretsManager.put(env.MERCHANT_WEBHOOK_SECRET_ID!, JSON.stringify({ secrets: [options.webhook.secret] }));
    secretsManager.put(env.HYPERSWITCH_WEBHOOK_SECRET_ID!, JSON.stringify({ hash_keys: [options.hyperswitchWebhookHashKey] }));
    // One endpoint for every event type, unless the shell configures endpoints itself.
    process.env.WEBHOOK_ENDPOINTS ??= JSON.stringify([{ url: options.webhook.url }]);
    // serverless.yml's values, unless the shell sets a variable itself (e.g. HYPERSWITCH_TIMEOUT_MS=2000 npm start).
    for (const [name, value] of Object.entries(env)) process.env[name] ??= value;
    // As Lambda sets it: Powertools counts a cold start only for on-demand initialization.
    Object.assign(process.env, { JOB_LEASE_SECONDS: String(options.jobLeaseSeconds), HYPERSWITCH_BASE_URL: hyperswitchUrl, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });

    const routes = [];
    const bundles = await buildFunctions(config.functions, config);
    for (const fn of config.functions) {
      const local = loadFunction(fn, bundles.get(fn.name)!, config, STAGE);
      for (const event of fn.events) {
        if ('httpApi' in event) routes.push({ method: event.httpApi.method.toUpperCase(), path: event.httpApi.path, fn: local });
        else if (options.disabledConsumers?.includes(fn.name) || (options.onlyConsumers && !options.onlyConsumers.includes(fn.name))) log({ message: 'queue consumer disabled', function: fn.name });
        else {
          const source = event.sqs.arn['Fn::GetAtt'][0];
          const poller = new SqsPoller({
            client: functionsSqs,
            queueUrl: queueUrls[source]!,
            queueArn: queueArns[source]!,
            fn: local,
            batchSize: (fn.name === 'vaultWorker' && options.workerMapping?.batchSize) || event.sqs.batchSize,
            maximumConcurrency: (fn.name === 'vaultWorker' && options.workerMapping?.maximumConcurrency) || event.sqs.maximumConcurrency,
            maximumBatchingWindowSeconds: event.sqs.maximumBatchingWindow,
            reportBatchItemFailures: event.sqs.functionResponseType === 'ReportBatchItemFailures',
            log,
          });
          poller.start();
          stoppers.push(() => poller.stop());
        }
      }
    }

    // The API listens last: once it answers /health, everything behind it is ready.
    const api = createHttpApi(routes, log, config.cors);
    const apiUrl = await listen(api, options.httpPort);
    stoppers.push(async () => {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    });
    return {
      urls: { api: apiUrl, sqs: sqsUrl, dynamoDb: dynamoDbUrl, secretsManager: secretsUrl, hyperswitch: hyperswitchUrl },
      queueUrls,
      tableName: config.tableName,
      config,
      simulator,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
