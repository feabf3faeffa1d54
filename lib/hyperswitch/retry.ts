import { HyperswitchConnectionError, HyperswitchRateLimitError, type HyperswitchError } from './errors';

export interface RetryPolicy {
  /** Retries after the first attempt; the in-process budget is small on purpose: SQS redelivery is the next layer. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for in-process; the error goes to the caller. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 5_000,
};

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Whether to try a failed call again in-process (`retriesSoFar` retries already made).
 * Hyperswitch has no idempotency header, so a POST is repeated only when it cannot have been acted
 * on — a 429, a connection never made, a socket that failed before the request body was written
 * (a keep-alive connection the server closed while the Lambda was frozen) — or, once after a reset,
 * when it is `resendSafe` (its reference makes a repeat answer HE_01). Every other POST failure with
 * an unknown outcome goes back to the caller, which looks the object up before creating it again.
 */
export function shouldRetry(error: HyperswitchError, request: { method: HttpMethod; resendSafe?: boolean }, retriesSoFar: number, policy: RetryPolicy): boolean {
  if (retriesSoFar >= policy.maxRetries || !error.retryable) return false;
  if (error instanceof HyperswitchRateLimitError) {
    return (error.retryAfterMs ?? 0) <= policy.maxRetryAfterMs;
  }
  if (request.method !== 'POST' || !error.outcomeUnknown) return true;
  return error instanceof HyperswitchConnectionError && error.connectionReset && retriesSoFar === 0 && request.resendSafe === true;
}

/** Full-jitter exponential backoff (AWS Architecture Blog), never shorter than the server's `Retry-After`. */
export function retryDelayMs(error: HyperswitchError, retriesSoFar: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retriesSoFar);
  const jittered = Math.floor(random() * ceiling);
  const retryAfter = error instanceof HyperswitchRateLimitError ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(jittered, retryAfter);
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The longest one logical call can take with its retries: every attempt timing out, and the longest
 * wait between attempts (backoff or an honoured Retry-After). A job's lease must outlast it.
 */
export function callBudgetMs(policy: RetryPolicy, timeoutMs: number): number {
  let budget = timeoutMs * (policy.maxRetries + 1);
  for (let retry = 0; retry < policy.maxRetries; retry++) {
    budget += Math.max(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry), policy.maxRetryAfterMs);
  }
  return budget;
}
