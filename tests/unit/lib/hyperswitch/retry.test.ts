import {
  HyperswitchConnectionError,
  HyperswitchInvalidRequestError,
  HyperswitchRateLimitError,
  HyperswitchServerError,
  HyperswitchTimeoutError,
  type HyperswitchError,
} from '../../../../lib/hyperswitch';
import { callBudgetMs, DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs, shouldRetry } from '../../../../lib/hyperswitch/retry';

const ctx = { operation: 'op' };
const policy = DEFAULT_RETRY_POLICY;

describe('shouldRetry', () => {
  type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
  const cases: Array<[string, HyperswitchError, Method | { method: Method; resendSafe: boolean }, number, boolean]> = [
    ['a 5xx on GET', new HyperswitchServerError('x', ctx), 'GET', 0, true],
    ['a 5xx on DELETE', new HyperswitchServerError('x', ctx), 'DELETE', 1, true],
    ['a 5xx on POST (Hyperswitch may have acted)', new HyperswitchServerError('x', ctx), 'POST', 0, false],
    ['a timeout on PUT', new HyperswitchTimeoutError('x', ctx), 'PUT', 0, true],
    ['a timeout on POST', new HyperswitchTimeoutError('x', ctx), 'POST', 0, false],
    ['a 429 on POST', new HyperswitchRateLimitError('x', ctx), 'POST', 0, true],
    ['a 429 asking for a longer wait than we allow', new HyperswitchRateLimitError('x', { ...ctx, retryAfterMs: 60_000 }), 'GET', 0, false],
    ['a refused connection on POST (never sent)', new HyperswitchConnectionError('x', { ...ctx, requestSent: false }), 'POST', 0, true],
    ['a reset socket before the body was written, on POST', new HyperswitchConnectionError('x', { ...ctx, requestSent: false, connectionReset: true }), 'POST', 0, true],
    // Reset after write: Hyperswitch may have acted. Only a create whose reference makes a repeat answer HE_01 is sent again.
    ['a reset after the body was written, on a POST without a reference', new HyperswitchConnectionError('x', { ...ctx, requestSent: true, connectionReset: true }), 'POST', 0, false],
    ['a reset after the body was written, on a POST with a reference, first time', new HyperswitchConnectionError('x', { ...ctx, requestSent: true, connectionReset: true }), { method: 'POST', resendSafe: true }, 0, true],
    ['a reset after the body was written, on a POST with a reference, second time', new HyperswitchConnectionError('x', { ...ctx, requestSent: true, connectionReset: true }), { method: 'POST', resendSafe: true }, 1, false],
    ['a 5xx on a POST with a reference (left to the caller, which handles HE_01)', new HyperswitchServerError('x', ctx), { method: 'POST', resendSafe: true }, 0, false],
    ['any other failed connection on POST', new HyperswitchConnectionError('x', { ...ctx, requestSent: true }), 'POST', 0, false],
    ['an invalid request', new HyperswitchInvalidRequestError('x', ctx), 'GET', 0, false],
    ['anything once the budget is spent', new HyperswitchServerError('x', ctx), 'GET', 2, false],
  ];
  it.each(cases)('%s → %s', (_, error, method, retriesSoFar, expected) => {
    expect(shouldRetry(error, typeof method === 'string' ? { method } : method, retriesSoFar, policy)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  const error = new HyperswitchServerError('x', ctx);

  it('grows exponentially up to the cap, with full jitter', () => {
    expect(retryDelayMs(error, 0, policy, () => 0.999)).toBe(99);
    expect(retryDelayMs(error, 3, policy, () => 0.999)).toBe(799);
    expect(retryDelayMs(error, 10, policy, () => 0.999)).toBe(1998);
    expect(retryDelayMs(error, 3, policy, () => 0)).toBe(0);
    expect(retryDelayMs(error, 3, policy, () => 0.5)).toBe(400);
  });

  it('waits at least as long as Retry-After says', () => {
    const limited = new HyperswitchRateLimitError('x', { ...ctx, retryAfterMs: 1000 });
    expect(retryDelayMs(limited, 0, policy, () => 0.5)).toBe(1000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(parseRetryAfter('Tue, 24 Nov 2026 12:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent and unreadable values', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('callBudgetMs', () => {
  it('adds every attempt and the longest wait before each retry', () => {
    expect(callBudgetMs(DEFAULT_RETRY_POLICY, 10_000)).toBe(30_000 + 5_000 + 5_000);
    expect(callBudgetMs({ ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 0 }, 800)).toBe(2_400 + 100 + 200);
    expect(callBudgetMs({ ...DEFAULT_RETRY_POLICY, maxRetries: 0 }, 1_000)).toBe(1_000);
  });
});
