/**
 * What a function's bundle carries. The barrels (lib/jobs, lib/events) re-export every module of their
 * domain; `"sideEffects": false` in package.json lets esbuild leave out the modules a function never
 * uses, whose top-level code (zod schemas, clients) would otherwise run at every cold start.
 */
import { join } from 'node:path';
import { FUNCTION_BUILD, tracingDefine } from '../../../local/function-build';

const ROOT = join(__dirname, '../../..');

/** A function's bundle, built as serverless.yml builds it: its source files, and the modules it leaves to be required at run time. */
async function bundled(fn: string): Promise<{ inputs: string[]; required: string[] }> {
  const { build } = await import('esbuild');
  const result = await build({ ...FUNCTION_BUILD, entryPoints: [join(ROOT, `functions/${fn}.ts`)], write: false, metafile: true, define: tracingDefine(false) });
  // Every file esbuild read is an input; those it dropped have no bytes in the output.
  const [output] = Object.values(result.metafile.outputs);
  return {
    inputs: Object.entries(output!.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
    required: output!.imports.filter(({ external }) => external).map(({ path }) => path),
  };
}
const bundledInputs = async (fn: string) => (await bundled(fn)).inputs;

describe('function bundles', () => {
  it('leave out of the checkout what it never runs: the job pipeline, the Hyperswitch client and its schemas, webhook signing', async () => {
    const inputs = await bundledInputs('checkout');
    expect(inputs).toContain('lib/jobs/checkout.ts');
    expect(inputs.filter((input) => /^lib\/hyperswitch\/(client|schemas|transport|webhooks)\.ts$|^lib\/jobs\/(pipeline|run)\.ts$|^lib\/events\/delivery\.ts$|standardwebhooks/.test(input))).toEqual([]);
  });

  it.each(['checkout', 'charges', 'job-status', 'payment-methods', 'events', 'vault-worker', 'webhook-delivery', 'hyperswitch-webhooks', 'hyperswitch-events', 'dead-letter'])(
    'carry no AWS SDK client: %s calls AWS through lib/aws (aws-lite), whose load is a fifth of the SDK\'s',
    async (fn) => {
      const { inputs, required } = await bundled(fn);
      expect(inputs).toContain('lib/aws.ts');
      // Neither inside (util-dynamodb is one file without dependencies: a query's page position is
      // converted with it) nor left to the runtime's copy of the SDK.
      expect(inputs.filter((input) => /node_modules\/(@smithy\/|@aws-sdk\/(?!util-dynamodb\/))/.test(input))).toEqual([]);
      expect(required.filter((path) => /^@(aws-sdk|smithy)\//.test(path))).toEqual([]);
    },
  );

  it('keep in the worker what it runs', async () => {
    const inputs = await bundledInputs('vault-worker');
    expect(inputs).toEqual(expect.arrayContaining(['lib/jobs/pipeline.ts', 'lib/hyperswitch/client.ts', 'lib/hyperswitch/schemas.ts', 'lib/events/publisher.ts']));
  });
});
