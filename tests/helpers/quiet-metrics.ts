/**
 * Jest setup: the metrics that code under test prints (EMF lines on stdout) are not shown in the test
 * output. Tests that assert on metrics capture stdout themselves (helpers/metrics.ts).
 */
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  if (String(chunk).startsWith('{"_aws"')) return true;
  return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;
