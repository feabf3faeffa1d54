/**
 * Runs a function the way Lambda does: its esbuild bundle (as `serverless package` builds it, so each
 * function has its own module instances, caches and clients), called with an event, a context and a
 * deadline.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { FUNCTION_BUILD } from './function-build';
import type { FunctionConfig, ServerlessConfig } from './serverless-config';

const ROOT = join(__dirname, '..');

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export class LambdaTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`Function ${name} timed out after ${seconds} s`);
    this.name = 'LambdaTimeoutError';
  }
}

export interface LocalFunction {
  name: string;
  invoke(event: unknown): Promise<unknown>;
}

/**
 * Every function's bundle, as serverless.yml's esbuild builds each (not minified here, for readable
 * code), in one esbuild run: the functions share most of their modules, which are then parsed once.
 * Each source map is a file beside its bundle: inline, it made each bundle 2.4–2.8 MB rather than
 * 0.4–0.7, a string every container holds, and the stack's heap 450 MB rather than 170
 * (docs/performance-history.md, the twentieth session). Returns each function's bundle by its name.
 */
export async function buildFunctions(functions: FunctionConfig[], config: Pick<ServerlessConfig, 'define'>): Promise<Map<string, string>> {
  const outdir = join(ROOT, '.esbuild/local');
  const { outputFiles } = await build({
    ...FUNCTION_BUILD,
    entryPoints: Object.fromEntries(functions.map((fn) => [fn.name, join(ROOT, `${fn.handler.split('.')[0]!}.ts`)])),
    outdir,
    outExtension: { '.js': '.cjs' },
    sourcemap: 'linked',
    define: config.define,
    write: false,
  });
  // Stacks started at once (the tests' workers) write the same files while others load them: each
  // file is replaced whole, by a rename, so that no container loads a bundle half written.
  mkdirSync(outdir, { recursive: true });
  for (const file of outputFiles) {
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
  return new Map(functions.map((fn) => [fn.name, join(outdir, `${fn.name}.cjs`)]));
}

/** A function from its bundle (`buildFunctions`). */
export function loadFunction(fn: FunctionConfig, outfile: string, config: Pick<ServerlessConfig, 'service'>, stage: string): LocalFunction {
  const { service } = config;
  const exportName = fn.handler.split('.')[1]!;
  // Lambda runs one invocation at a time per container and starts more containers for concurrent ones:
  // each container here is a fresh load of the bundle, with its own module state (caches, clients).
  const idle: Handler[] = [];
  const container = (): Handler => {
    const cached = idle.pop();
    if (cached) return cached;
    delete require.cache[outfile];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a freshly built CommonJS bundle
    const module = require(outfile) as Record<string, unknown>;
    const handler = module[exportName] as Handler | undefined;
    if (typeof handler !== 'function') throw new Error(`${fn.handler} does not export a handler function`);
    return handler;
  };
  idle.push(container());
  const functionName = `${service}-${stage}-${fn.name}`;
  // LOCAL_LAMBDA_REPORT=1: a line per invocation, as Lambda's REPORT line, for the benchmarks' cost figures.
  const report = process.env.LOCAL_LAMBDA_REPORT === '1';
  return {
    name: fn.name,
    async invoke(event) {
      const deadline = Date.now() + fn.timeoutSeconds * 1000;
      const context = {
        awsRequestId: randomUUID(),
        functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
        memoryLimitInMB: String(fn.memoryMB),
        logGroupName: `/aws/lambda/${functionName}`,
        logStreamName: 'local',
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
      } satisfies Context;
      // Like Lambda, a run past the timeout is a failed invocation (here the promise is abandoned, not killed).
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LambdaTimeoutError(fn.name, fn.timeoutSeconds)), fn.timeoutSeconds * 1000);
      });
      const handler = container();
      let timedOut = false;
      const started = performance.now();
      try {
        return await Promise.race([handler(event, context), timeout]);
      } catch (error) {
        timedOut = error instanceof LambdaTimeoutError;
        throw error;
      } finally {
        clearTimeout(timer);
        // A timed-out container is never reused (its abandoned run may still be going), as Lambda discards it.
        if (!timedOut) idle.push(handler);
        if (report) process.stdout.write(`${JSON.stringify({ component: 'local-lambda', report: fn.name, durationMs: Math.round((performance.now() - started) * 10) / 10, memoryMB: fn.memoryMB })}\n`);
      }
    },
  };
}
