/** The EMF metric lines in text (logs, stdout), each as {name, value, dimensions}. */
export interface EmittedMetric {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

export function metricsIn(lines: string[]): EmittedMetric[] {
  return lines.flatMap((line) => {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return [];
    }
    // A document holds one or more directives, each metric with one value or an array of them.
    const directives = (record._aws as { CloudWatchMetrics?: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } | undefined)?.CloudWatchMetrics ?? [];
    return directives.flatMap((directive) =>
      directive.Dimensions.flatMap((set) => {
        const dimensions = Object.fromEntries(set.map((name) => [name, String(record[name])]));
        return directive.Metrics.flatMap(({ Name }) => [record[Name]].flat().map((value) => ({ name: Name, value: Number(value), dimensions })));
      }),
    );
  });
}

/** The lines written to stdout while `fn` runs (where EMF goes). */
export async function capturedStdout(fn: () => unknown): Promise<string[]> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return written.join('').split('\n').filter(Boolean);
}

/** The metrics written while `fn` runs. */
export async function capturedMetrics(fn: () => unknown): Promise<EmittedMetric[]> {
  return metricsIn(await capturedStdout(fn));
}
