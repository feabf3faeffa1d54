/**
 * esbuild's options for a function's bundle as serverless.yml's `custom.esbuild` builds it (less its
 * minification, which each caller decides): the local stack, the benchmarks and the bundle tests
 * build from these, so a change to how functions are bundled is made once. No import of esbuild
 * here: the tests load it themselves.
 */
import type { BuildOptions } from 'esbuild';

export const FUNCTION_BUILD = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  logLevel: 'silent',
  // Nothing external: the functions call AWS through aws-lite (lib/aws.ts), bundled, and load no part
  // of the AWS SDK that the nodejs24.x runtime carries.
} as const satisfies BuildOptions;

/** The stage's tracing switch, compiled in as serverless.yml's `define` does (lib/tracing). */
export const tracingDefine = (tracing: boolean): Record<string, string> => ({ 'process.env.S2S_TRACING': JSON.stringify(String(tracing)) });
