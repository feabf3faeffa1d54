/**
 * X-Ray tracing with Powertools Tracer, behind a per-stage switch (`tracing` in serverless.yml).
 * The switch is applied when the bundle is built (`process.env.S2S_TRACING` is an esbuild `define`):
 * a stage without tracing does not carry the tracer at all. The tracer adds ~130 KB to each bundle and
 * ~10 ms to each cold start (npm run bench, docs/performance.md); loading it costs most of that even
 * where it is disabled at run time, hence a build-time switch.
 *
 * What a trace holds: a subsegment per invocation (cold start and service annotated) and one per
 * Hyperswitch call, annotated with the operation and the status class — never a URL, a body, a
 * header or a response. The tracer's own HTTP capture is off: it would record URLs, and our calls
 * already have their own subsegments.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { statusClass } from '../metrics';

type Annotate = (key: string, value: string) => void;

function createTracer(): Tracer | undefined {
  // This exact shape lets esbuild drop the require, with the tracer, where the define says 'false'.
  if (process.env.S2S_TRACING === 'true') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only stages that trace carry the tracer (see above)
    const { Tracer: PowertoolsTracer } = require('@aws-lambda-powertools/tracer') as { Tracer: typeof Tracer };
    const tracer = new PowertoolsTracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 's2s-vault', captureHTTPsRequests: false });
    if (tracer.isTracingEnabled()) return tracer;
  }
  return undefined;
}

const tracer = createTracer();

/** Runs `fn` in a subsegment of the current segment, closed (with the error, if any) when it settles. */
async function inSubsegment<T>(name: string, fn: (annotate: Annotate) => Promise<T>): Promise<T> {
  if (!tracer?.getSegment()) return fn(() => undefined);
  // The X-Ray SDK runs `fn` in a context of its own holding the subsegment, and returns what it returns.
  return tracer.provider.captureAsyncFunc(name, async (subsegment) => {
    const annotate: Annotate = (key, value) => subsegment?.addAnnotation(key, value);
    try {
      return await fn(annotate);
    } catch (error) {
      // Only the error's code or class: a message may quote what a caller sent.
      const code = (error as { code?: unknown } | undefined)?.code;
      annotate('error', typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown');
      throw error;
    } finally {
      subsegment?.close();
    }
  }) as Promise<T>;
}

/** A handler invocation's subsegment, annotated with cold start and service as Powertools does. */
export function traceInvocation<T>(functionName: string, fn: () => Promise<T>): Promise<T> {
  if (!tracer) return fn();
  return inSubsegment(`## ${functionName}`, () => {
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    return fn();
  });
}

/**
 * A Hyperswitch call's subsegment. `fn` reports the HTTP status it got (none for a timeout or a
 * reset), recorded as its class like the metrics do.
 */
export function traceHyperswitchCall<T>(operation: string, fn: (answered: (status: number | undefined) => void) => Promise<T>): Promise<T> {
  if (!tracer) return fn(() => undefined);
  return inSubsegment(`## hyperswitch ${operation}`, (annotate) => {
    annotate('operation', operation);
    return fn((status) => annotate('status', statusClass(status)));
  });
}
