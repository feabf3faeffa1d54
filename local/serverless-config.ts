/**
 * serverless.yml as the Serverless Framework resolves it (`serverless print`), so the local stack
 * serves exactly the routes, functions, environment and queues declared there: one source of truth.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as z from 'zod';

const ROOT = join(__dirname, '..');

/**
 * Runs this repository's Serverless Framework (osls) offline. serverless-esbuild leaves a directory
 * in the temporary directory for every function it zips (it removes its scoped temp path without
 * `recursive`, which fails on a directory that is not empty, silently): each run gets a temporary
 * directory of its own, removed afterwards.
 */
export async function runServerless(args: string[], { env = process.env, timeout }: { env?: NodeJS.ProcessEnv; timeout: number }): Promise<{ stdout: string; stderr: string }> {
  const scratch = mkdtempSync(join(tmpdir(), 's2s-vault-serverless-'));
  try {
    return await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), ...args], {
      cwd: ROOT,
      env: { ...env, TMPDIR: scratch, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout,
      maxBuffer: 16 * 1024 * 1024,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const getAtt = z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) });

const functionSchema = z.object({
  handler: z.string().regex(/^[\w/-]+\.\w+$/),
  timeout: z.number().optional(),
  memorySize: z.number().optional(),
  environment: z.record(z.string(), z.string()).optional(),
  events: z
    .array(
      z.union([
        z.object({ httpApi: z.object({ method: z.string(), path: z.string() }) }),
        z.object({
          sqs: z.object({
            arn: getAtt,
            batchSize: z.number().default(10),
            maximumConcurrency: z.number().default(2),
            maximumBatchingWindow: z.number().int().min(0).max(300).default(0),
            functionResponseType: z.literal('ReportBatchItemFailures').optional(),
          }),
        }),
      ]),
    )
    .default([]),
});

const queueResource = z.object({
  Type: z.literal('AWS::SQS::Queue'),
  Properties: z.object({
    QueueName: z.string(),
    VisibilityTimeout: z.number().optional(),
    RedrivePolicy: z.object({ deadLetterTargetArn: getAtt, maxReceiveCount: z.number() }).optional(),
  }),
});

const configSchema = z.object({
  service: z.string(),
  provider: z.object({
    timeout: z.number().default(6),
    memorySize: z.number().default(1024),
    environment: z.record(z.string(), z.string()).default({}),
    httpApi: z
      .object({
        cors: z
          .object({
            allowedOrigins: z.array(z.string()).default([]),
            allowedHeaders: z.array(z.string()).default([]),
            allowedMethods: z.array(z.string()).default([]),
            maxAge: z.number().optional(),
          })
          .optional(),
      })
      .optional(),
  }),
  custom: z.object({ esbuild: z.object({ define: z.record(z.string(), z.string()).default({}) }) }),
  functions: z.record(z.string(), functionSchema),
  resources: z.object({ Resources: z.record(z.string(), z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()) })) }),
});

const keySchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));
const tableResource = z.object({
  TableName: z.string(),
  AttributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
  KeySchema: keySchema,
  GlobalSecondaryIndexes: z.array(z.object({ IndexName: z.string(), KeySchema: keySchema, Projection: z.object({ ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']), NonKeyAttributes: z.array(z.string()).optional() }) })).optional(),
});

export type FunctionConfig = z.infer<typeof functionSchema> & { name: string; timeoutSeconds: number; memoryMB: number };
export type QueueConfig = z.infer<typeof queueResource>['Properties'] & { logicalId: string };

export type CorsConfig = NonNullable<NonNullable<z.infer<typeof configSchema>['provider']['httpApi']>['cors']>;

export interface ServerlessConfig {
  service: string;
  cors?: CorsConfig;
  environment: Record<string, string>;
  /** esbuild's build-time constants for this stage (e.g. whether the tracer is compiled in). */
  define: Record<string, string>;
  functions: FunctionConfig[];
  queues: QueueConfig[];
  tableName: string;
  /** The table's keys and indexes, as the local DynamoDB creates it. */
  table: z.infer<typeof tableResource>;
}

export async function loadServerlessConfig(stage: string, env: NodeJS.ProcessEnv): Promise<ServerlessConfig> {
  const { stdout } = await runServerless(['print', '--stage', stage, '--format', 'json'], { env, timeout: 60_000 });
  const config = configSchema.parse(JSON.parse(stdout));
  const resources = config.resources.Resources;
  const queues = Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::SQS::Queue')
    .map(([logicalId, resource]) => ({ logicalId, ...queueResource.parse(resource).Properties }));
  const table = tableResource.parse(Object.values(resources).find((resource) => resource.Type === 'AWS::DynamoDB::Table')?.Properties);
  return {
    service: config.service,
    cors: config.provider.httpApi?.cors,
    environment: config.provider.environment,
    define: config.custom.esbuild.define,
    functions: Object.entries(config.functions).map(([name, fn]) => ({ ...fn, name, timeoutSeconds: fn.timeout ?? config.provider.timeout, memoryMB: fn.memorySize ?? config.provider.memorySize })),
    queues,
    tableName: table.TableName,
    table,
  };
}
