/**
 * What a function's bundle carries. The barrels (lib/jobs, lib/events) re-export every module of their
 * domain; `"sideEffects": false` in package.json lets esbuild leave out the modules a function never
 * uses, whose top-level code (zod schemas, clients) would otherwise run at every cold start.
 */
import { join } from 'node:path';
import { FUNCTION_BUILD, tracingDefine } from '../../../local/function-build';

const ROOT = join(__dirname, '../../..');

/** The source files in a function's bundle, built as serverless.yml builds it (the SDK from the runtime). */
async function bundledInputs(fn: string): Promise<string[]> {
  const { build } = await import('esbuild');
  const result = await build({ ...FUNCTION_BUILD, entryPoints: [join(ROOT, `functions/${fn}.ts`)], write: false, metafile: true, define: tracingDefine(false) });
  // Every file esbuild read is an input; those it dropped have no bytes in the output.
  const [output] = Object.values(result.metafile.outputs);
  return Object.entries(output!.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : []));
}

describe('function bundles', () => {
  it('leave out of the checkout what it never runs: the job pipeline, the Hyperswitch client and its schemas, webhook signing', async () => {
    const inputs = await bundledInputs('checkout');
    expect(inputs).toContain('lib/jobs/checkout.ts');
    expect(inputs.filter((input) => /^lib\/hyperswitch\/(client|schemas|transport|webhooks)\.ts$|^lib\/jobs\/(pipeline|run)\.ts$|^lib\/events\/delivery\.ts$|standardwebhooks/.test(input))).toEqual([]);
  });

  it('keep in the worker what it runs', async () => {
    const inputs = await bundledInputs('vault-worker');
    expect(inputs).toEqual(expect.arrayContaining(['lib/jobs/pipeline.ts', 'lib/hyperswitch/client.ts', 'lib/hyperswitch/schemas.ts', 'lib/events/publisher.ts']));
  });
});
