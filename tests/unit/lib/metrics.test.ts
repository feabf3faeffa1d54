import { collectMetrics, count, milliseconds, statusClass } from '../../../lib/metrics';
import { capturedMetrics, capturedStdout, metricsIn } from '../../helpers/metrics';

describe('metrics (EMF)', () => {
  it('emits a count with its dimensions, the service and the stage', async () => {
    const emitted = await capturedMetrics(() => count('JobsFinished', { status: 'failed', code: 'card_declined' }));
    expect(emitted).toEqual([{ name: 'JobsFinished', value: 1, dimensions: { service: 's2s-vault', stage: 'local', status: 'failed', code: 'card_declined' } }]);
  });

  it('emits durations in whole milliseconds', async () => {
    const emitted = await capturedMetrics(() => milliseconds('JobLatency', 1234.56, { status: 'succeeded' }));
    expect(emitted).toEqual([expect.objectContaining({ name: 'JobLatency', value: 1235 })]);
  });

  it.each([
    ['a job id', 'job_27bea4242424242424242ecb5133a55'],
    ['a customer id', '12345_cus_0123456789abcdef0123456789abcdef'],
    ['a digit run', 'order 1764022317671'],
    ['anything over 64 characters', 'x'.repeat(65)],
  ])('never lets %s become a dimension: it is recorded as other', async (_, value) => {
    const emitted = await capturedMetrics(() => count('ApiErrors', { route: value, code: 'validation_failed' }));
    expect(emitted[0]!.dimensions).toMatchObject({ route: 'other', code: 'validation_failed' });
    expect(JSON.stringify(emitted)).not.toContain(value);
  });

  it('keeps route templates and operation names', async () => {
    const emitted = await capturedMetrics(() => count('HyperswitchCalls', { operation: 'customers.listSavedPaymentMethods', status: statusClass(503) }));
    expect(emitted[0]!.dimensions).toMatchObject({ operation: 'customers.listSavedPaymentMethods', status: '5xx' });
    const route = await capturedMetrics(() => count('ApiErrors', { route: 'GET /payment-methods/{payment_method_id}/network-token-status', code: 'x' }));
    expect(route[0]!.dimensions.route).toBe('GET /payment-methods/{payment_method_id}/network-token-status');
    expect(statusClass(undefined)).toBe('none');
    expect(statusClass(429)).toBe('429');
    expect(statusClass(404)).toBe('4xx');
  });
});

describe('metrics of one invocation', () => {
  const lines = capturedStdout;

  it('are written at its end, packed: values of one series in an array, series that agree on their dimensions in one line', async () => {
    const emitted = await lines(() =>
      collectMetrics(async () => {
        for (const operation of ['customers.create', 'paymentMethods.create']) {
          count('HyperswitchCalls', { status: '2xx' });
          count('HyperswitchCallsByOperation', { operation, status: '2xx' });
          milliseconds('HyperswitchLatency', 50, { operation });
        }
        count('JobsFinished', { status: 'succeeded' });
      }),
    );
    // Two operations and two statuses: three lines rather than seven.
    expect(emitted).toHaveLength(3);
    const metrics = metricsIn(emitted);
    expect(metrics.filter(({ name }) => name === 'HyperswitchCalls')).toEqual([
      { name: 'HyperswitchCalls', value: 1, dimensions: { service: 's2s-vault', stage: 'local', status: '2xx' } },
      { name: 'HyperswitchCalls', value: 1, dimensions: { service: 's2s-vault', stage: 'local', status: '2xx' } },
    ]);
    expect(metrics.filter(({ name }) => name === 'HyperswitchLatency').map(({ dimensions }) => dimensions.operation).sort()).toEqual(['customers.create', 'paymentMethods.create']);
    expect(metrics.find(({ name }) => name === 'JobsFinished')).toEqual({ name: 'JobsFinished', value: 1, dimensions: { service: 's2s-vault', stage: 'local', status: 'succeeded' } });
    for (const line of emitted) {
      const doc = JSON.parse(line);
      // Every metric of a line has one value there, and every dimension one value.
      for (const directive of doc._aws.CloudWatchMetrics) for (const set of directive.Dimensions) for (const key of set) expect(typeof doc[key]).toBe('string');
    }
  });

  it('are written in one write to stdout, a document per line', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      await collectMetrics(async () => {
        count('HyperswitchCalls', { status: '2xx' });
        count('HyperswitchCalls', { status: '5xx' });
        count('JobsFinished', { status: 'succeeded' });
      });
      await collectMetrics(async () => undefined);
    } finally {
      spy.mockRestore();
    }
    expect(writes).toHaveLength(1);
    const documents = writes[0]!.split('\n');
    expect(documents.pop()).toBe('');
    expect(documents.length).toBeGreaterThan(1);
    expect(metricsIn(documents).map(({ name, dimensions }) => `${name} ${dimensions.status}`).sort()).toEqual(['HyperswitchCalls 2xx', 'HyperswitchCalls 5xx', 'JobsFinished succeeded']);
  });

  it('of concurrent invocations are kept apart', async () => {
    const emitted = metricsIn(await lines(() => Promise.all([1, 2].map((n) => collectMetrics(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5 * n));
      count('JobsAccepted', { route: `r${n}` });
    })))));
    expect(emitted.map(({ dimensions }) => dimensions.route).sort()).toEqual(['r1', 'r2']);
  });
});

describe('a metric with more values in one invocation than a document holds', () => {
  it('is written in full documents of 100 values and one for the rest', async () => {
    const emitted = await capturedStdout(() =>
      collectMetrics(async () => {
        for (let i = 0; i < 250; i++) count('HyperswitchCalls', { status: '2xx' });
      }),
    );
    expect(emitted).toHaveLength(3);
    expect(emitted.map((line) => [JSON.parse(line).HyperswitchCalls].flat().length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
  });
});
