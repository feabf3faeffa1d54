import type { Context } from 'aws-lambda';
import { correlated, logger, powertoolsLogger, REDACTED, redactingReplacer, withLogContext } from '../../../lib/log';
import type * as LogModule from '../../../lib/log';

/** What the logger writes (info to stdout, warnings and errors to stderr). */
function captured(fn: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(record), jest.spyOn(process.stderr, 'write').mockImplementation(record)];
  try {
    fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

describe('the logger', () => {
  beforeAll(() => powertoolsLogger.setLogLevel('DEBUG'));

  it('masks card numbers anywhere in a line, grouped or not', () => {
    const [line] = captured(() => logger.info('card 4242 4242 4242 4242 seen', { note: 'pan=4111111111111111', nested: { deep: ['4242-4242-4242-4242'] } }));
    const text = JSON.stringify(line);
    expect(text).not.toMatch(/4242 4242 4242 4242|4111111111111111|4242-4242-4242-4242/);
    expect(text).toContain('[card ****4242]');
    expect(line!.nested).toEqual({ deep: ['[card ****4242]'] });
  });

  it('hides the values of sensitive keys at any depth', () => {
    const [line] = captured(() =>
      logger.warn('request', {
        card: { number: '4000 0000 0000 0002', cvc: '123', exp_month: 12 },
        headers: { Authorization: 'Bearer sk_test_123456789012345678', 'X-Client-Secret': 'job_1_secret_x' },
        secret: { api_key: 'snd_123', hmac_key: 'abc' },
        amount: 6540,
      }),
    );
    expect(line).toMatchObject({
      card: { number: REDACTED, cvc: REDACTED, exp_month: 12 },
      headers: { Authorization: REDACTED, 'X-Client-Secret': REDACTED },
      secret: REDACTED,
      amount: 6540,
    });
  });

  it('masks card numbers in error messages, stacks and causes', () => {
    const error = new Error('invalid value 4242424242424242', { cause: new Error('card 4111 1111 1111 1111 refused') });
    const [line] = captured(() => logger.error('failed', { error }));
    const text = JSON.stringify(line);
    expect(text).not.toMatch(/4242424242424242|4111 1111 1111 1111/);
    expect(text).toContain('[card ****1111]');
  });

  it('masks a card number sent as a JSON number, and leaves other numbers alone', () => {
    expect(redactingReplacer('value', 4242424242424242)).toBe(REDACTED);
    expect(redactingReplacer('timestamp', 1795521600000)).toBe(1795521600000);
  });

  it('puts the correlation keys of the current job on every line, also across awaits', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(JSON.parse(String(chunk)));
      return true;
    });
    try {
      await Promise.all([
        withLogContext({ jobId: 'job_a' }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          logger.info('step a');
        }),
        withLogContext({ jobId: 'job_b' }, async () => {
          logger.info('step b');
        }),
      ]);
      logger.info('outside');
    } finally {
      spy.mockRestore();
    }
    expect(lines.find((l) => l.message === 'step a')).toMatchObject({ jobId: 'job_a' });
    expect(lines.find((l) => l.message === 'step b')).toMatchObject({ jobId: 'job_b' });
    expect(lines.find((l) => l.message === 'outside')?.jobId).toBeUndefined();
  });
});

describe('a line in a function', () => {
  it('says level, message, time, the invocation and its keys — not what the log group already says', async () => {
    const context = { awsRequestId: 'req-1', functionName: 's2s-vault-test-worker', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:s2s-vault-test-worker', memoryLimitInMB: '512' } as Context;
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await correlated(async () => logger.info('Vault job finished', { status: 'succeeded' }), () => ({ jobId: 'job_a' }))({}, context);
    } finally {
      spy.mockRestore();
    }
    const line = lines.map((text) => JSON.parse(text)).find((parsed) => parsed.message === 'Vault job finished');
    expect(Object.keys(line).sort()).toEqual(['jobId', 'lambda_request_id', 'level', 'message', 'status', 'timestamp']);
    expect(line).toMatchObject({ level: 'INFO', lambda_request_id: 'req-1', jobId: 'job_a' });
  });
});

describe('debug sampling (POWERTOOLS_LOGGER_SAMPLE_RATE)', () => {
  const debugLinesOf = (rate: string) => {
    // The logger reads its level and rate when it is made: a fresh module, made under these.
    const saved = { ...process.env };
    Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_LOGGER_SAMPLE_RATE: rate });
    let isolated!: typeof LogModule;
    jest.isolateModules(() => {
      isolated = jest.requireActual('../../../lib/log');
    });
    process.env = saved;
    return async () => {
      const lines: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      try {
        await isolated.correlated(async () => isolated.logger.debug('Hyperswitch call'), () => ({}))({}, { awsRequestId: 'r', functionName: 'f' } as Context);
      } finally {
        spy.mockRestore();
      }
      return lines.filter((line) => line.includes('"Hyperswitch call"')).length;
    };
  };

  it('logs an invocation at DEBUG when it is drawn, and at the set level otherwise', async () => {
    await expect(debugLinesOf('1')()).resolves.toBe(1);
    await expect(debugLinesOf('0')()).resolves.toBe(0);
  });
});
