/**
 * Tracing, with the tracer compiled in (`S2S_TRACING=true`, as a stage with `tracing: true` builds
 * it) and a Lambda-like environment: Hyperswitch calls become subsegments annotated with the
 * operation and the status class, and nothing of a request — URL, body, key — reaches the trace.
 */
import { join } from 'node:path';
import AWSXRay from 'aws-xray-sdk-core';
import * as z from 'zod';
import { FUNCTION_BUILD, tracingDefine } from '../../../local/function-build';
import type * as HyperswitchModule from '../../../lib/hyperswitch';
import type * as TracingModule from '../../../lib/tracing';

type Transport = typeof HyperswitchModule;
type Tracing = typeof TracingModule;

function load(env: Record<string, string>): { hyperswitch: Transport; tracing: Tracing } {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let modules!: { hyperswitch: Transport; tracing: Tracing };
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports -- a fresh load of the modules under this environment */
      modules = { hyperswitch: require('../../../lib/hyperswitch') as Transport, tracing: require('../../../lib/tracing') as Tracing };
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    return modules;
  } finally {
    // In place (process.env stays Node's own object), also undoing what the libraries set while loading.
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

const card = '4242424242424242';
const request = {
  operation: 'paymentMethods.create',
  method: 'POST' as const,
  path: '/v2/payment-methods',
  body: { card_number: card },
  responseSchema: z.object({ id: z.string() }),
};
const credentials = { apiKey: 'snd_local_fake_key', profileId: 'pro_fake' };

function transportOf({ hyperswitch }: { hyperswitch: Transport }, status: number) {
  const send = async () => ({ status, header: () => undefined, body: JSON.stringify(status < 300 ? { id: '12345_pm_0123456789abcdef' } : { error: { code: 'HE_00', message: 'boom' } }) });
  const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  return new hyperswitch.HyperswitchTransport({ baseUrl: 'https://hyperswitch.test', timeoutMs: 1000, log, send, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
}

/** What the X-Ray SDK keeps on a subsegment (its typings leave annotations out). */
const summary = (segment: AWSXRay.Segment) => (segment.subsegments ?? []).map((s) => [s.name, (s as unknown as { annotations?: Record<string, unknown> }).annotations]);

/** Runs `fn` under a root segment, as Lambda's facade segment would be, and returns that segment. */
async function traced(fn: () => Promise<unknown>): Promise<AWSXRay.Segment> {
  const segment = new AWSXRay.Segment('s2s-vault-test');
  await AWSXRay.getNamespace().runPromise(async () => {
    AWSXRay.setSegment(segment);
    await fn().catch(() => undefined);
  });
  return segment;
}

const lambdaEnv = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR' };

describe('tracing', () => {
  it('puts each Hyperswitch call in a subsegment annotated with its operation and status class', async () => {
    const modules = load({ ...lambdaEnv, S2S_TRACING: 'true' });
    const ok = await traced(() => transportOf(modules, 200).send(request, credentials));
    expect(summary(ok)).toEqual([['## hyperswitch paymentMethods.create', { operation: 'paymentMethods.create', status: '2xx' }]]);
    const failed = await traced(() => transportOf(modules, 500).send(request, credentials));
    expect(summary(failed)).toEqual([['## hyperswitch paymentMethods.create', { operation: 'paymentMethods.create', status: '5xx', error: 'hyperswitch_server_error' }]]);
  });

  it('puts no URL, body, key or card data in a trace', async () => {
    const modules = load({ ...lambdaEnv, S2S_TRACING: 'true' });
    const segment = await traced(() => transportOf(modules, 200).send(request, credentials));
    const trace = segment.format();
    expect(trace).toContain('## hyperswitch');
    for (const secret of [card, '/v2/payment-methods', 'hyperswitch.test', credentials.apiKey, '12345_pm_']) expect(trace).not.toContain(secret);
  });

  it('traces an invocation with its cold start', async () => {
    const modules = load({ ...lambdaEnv, S2S_TRACING: 'true' });
    const segment = await traced(() => modules.tracing.traceInvocation('s2s-vault-test-checkout', async () => 'done'));
    expect(summary(segment)).toEqual([['## s2s-vault-test-checkout', { ColdStart: true, Service: 's2s-vault' }]]);
  });

  it('records nothing where the stage does not trace', async () => {
    const segment = await traced(() => transportOf(load({ ...lambdaEnv, S2S_TRACING: 'false' }), 200).send(request, credentials));
    expect(summary(segment)).toEqual([]);
  });
});

describe('the build-time switch', () => {
  const bundled = async (tracing: boolean) => {
    const { build } = await import('esbuild');
    const result = await build({ ...FUNCTION_BUILD, entryPoints: [join(__dirname, '../../../lib/tracing/index.ts')], write: false, define: tracingDefine(tracing) });
    return result.outputFiles[0]!.text;
  };

  it('leaves the tracer out of the bundle of a stage that does not trace', async () => {
    expect(await bundled(false)).not.toMatch(/aws-xray-sdk-core|@aws-lambda-powertools\/tracer/);
    expect(await bundled(true)).toMatch(/aws-xray-sdk-core/);
  });
});
