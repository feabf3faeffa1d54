import { AsyncLocalStorage } from 'node:async_hooks';
import type * as z from 'zod';
import type { Log } from '../log';
import { count, milliseconds, statusClass } from '../metrics';
import { traceHyperswitchCall } from '../tracing';
import {
  HyperswitchConnectionError,
  HyperswitchError,
  HyperswitchInvalidRequestError,
  HyperswitchTimeoutError,
  HyperswitchUnexpectedResponseError,
  errorFromResponse,
} from './errors';
import { nodeHttpSend, type HttpSend } from './http';
import type { RateLimiter } from './rate-limit';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs, shouldRetry, type HttpMethod, type RetryPolicy } from './retry';

/** One API key with the profile it belongs to; `baseUrl` overrides the transport's default. */
export interface Credentials {
  apiKey: string;
  profileId: string;
  baseUrl?: string;
}

export interface HyperswitchRequest<T> {
  operation: string;
  method: HttpMethod;
  path: string;
  query?: Record<string, string>;
  /** Checked against `requestSchema` before anything is sent. */
  body?: unknown;
  /** A repeat of this POST cannot act twice: its body carries a reference Hyperswitch keeps unique (HE_01). */
  resendSafe?: boolean;
  requestSchema?: z.ZodType;
  responseSchema: z.ZodType<T>;
}

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Requests per second this process may start (none: unlimited). */
  rateLimiter?: RateLimiter;
  retry?: RetryPolicy;
  log: Log;
  send?: HttpSend;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

// A socket the peer reset or closed: typical of a keep-alive connection the server dropped while the
// Lambda was frozen.
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);
// The connection was never established, so the request was not sent.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const sentWatch = new AsyncLocalStorage<() => void>();
const USER_AGENT = 's2s-vault/1';

/**
 * Runs `work`, and tells when the first Hyperswitch request it makes is whole on the wire (or when
 * `work` has settled without one). Work a caller starts only then does not delay that request: on one
 * thread, another request's preparation (an AWS request is CPU until its socket write) would run
 * before this one's, and it costs nothing while Hyperswitch answers.
 */
export function onTheWire<T>(work: () => Promise<T>): { value: Promise<T>; sent: Promise<void> } {
  let sent!: () => void;
  const written = new Promise<void>((resolve) => (sent = resolve));
  const value = sentWatch.run(sent, work);
  return { value, sent: Promise.race([written, value.then(() => undefined, () => undefined)]) };
}

/**
 * HTTP to Hyperswitch (`./http`: its agents keep connections alive across invocations of a warm
 * Lambda). Each attempt has its own timeout; retries follow `shouldRetry`.
 * Logs carry method, path, status, duration and Hyperswitch's request id — never a body or a header.
 */
export class HyperswitchTransport {
  private readonly retry: RetryPolicy;
  private readonly httpSend: HttpSend;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: TransportOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.httpSend = options.send ?? nodeHttpSend;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async send<T>(request: HyperswitchRequest<T>, credentials: Credentials): Promise<T> {
    const body = request.requestSchema ? checkRequest(request) : request.body;
    for (let retries = 0; ; retries++) {
      try {
        return await this.attempt(request, body, credentials, retries);
      } catch (error) {
        if (!(error instanceof HyperswitchError) || !shouldRetry(error, request, retries, this.retry)) throw error;
        const delayMs = retryDelayMs(error, retries, this.retry, this.random);
        this.options.log.warn('Retrying Hyperswitch call', { operation: request.operation, error: error.code, delayMs, retry: retries + 1 });
        count('HyperswitchRetries', { operation: request.operation });
        await this.sleep(delayMs);
      }
    }
  }

  private async attempt<T>(request: HyperswitchRequest<T>, body: unknown, credentials: Credentials, retries: number): Promise<T> {
    const waitedMs = (await this.options.rateLimiter?.acquire()) ?? 0;
    // Only real waits: a metric line per call would cost log bytes and say nothing.
    if (waitedMs >= 1) milliseconds('RateLimiterWait', waitedMs);
    return traceHyperswitchCall(request.operation, (answered) => this.exchange(request, body, credentials, retries, answered));
  }

  private async exchange<T>(request: HyperswitchRequest<T>, body: unknown, credentials: Credentials, retries: number, answered: (status: number | undefined) => void): Promise<T> {
    const { operation, method, path } = request;
    const url = new URL(path, credentials.baseUrl ?? this.options.baseUrl);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const started = performance.now();
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const context = { operation };

    let status: number | undefined;
    let requestId: string | undefined;
    // Whether this attempt's body was whole on the wire: one never written cannot have been acted
    // on, whatever the socket did afterwards; once written, a reset may follow an action.
    let bodySent = false;
    const onSent = sentWatch.getStore();
    try {
      const answer = await this.httpSend(url, {
        method,
        signal,
        headers: {
          Authorization: `api-key=${credentials.apiKey}`,
          'X-Profile-Id': credentials.profileId,
          Accept: 'application/json',
          'User-Agent': USER_AGENT,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }, () => {
        bodySent = true;
        onSent?.();
      });
      status = answer.status;
      requestId = answer.header('x-request-id');
      const json = parseJson(answer.body);
      if (status < 200 || status > 299) {
        throw errorFromResponse(status, json, {
          operation,
          requestId,
          retryAfterMs: parseRetryAfter(answer.header('retry-after')),
        });
      }
      if (json === undefined) {
        throw new HyperswitchUnexpectedResponseError(`Hyperswitch ${operation} answered ${status} with a body that is not JSON`, { ...context, status, requestId });
      }
      const parsed = request.responseSchema.safeParse(json);
      if (!parsed.success) {
        throw new HyperswitchUnexpectedResponseError(
          `Hyperswitch ${operation} answered ${status} with an unexpected body: invalid ${issuePaths(parsed.error)}`,
          { ...context, status, requestId },
        );
      }
      return parsed.data;
    } catch (error) {
      throw toHyperswitchError(error, { ...context, status, requestId }, signal, bodySent);
    } finally {
      answered(status);
      const durationMs = performance.now() - started;
      // All calls by status class (the error-rate alarm's fixed dimensions), and per operation.
      count('HyperswitchCalls', { status: statusClass(status) });
      count('HyperswitchCallsByOperation', { operation, status: statusClass(status) });
      milliseconds('HyperswitchLatency', durationMs, { operation });
      // Per call at DEBUG (sampled invocations); a call that got no answer, a 5xx or a 429 always, at WARN.
      const unanswered = status === undefined || status >= 500 || status === 429;
      this.options.log[unanswered ? 'warn' : 'debug']('Hyperswitch call', {
        operation,
        method,
        path,
        status,
        requestId,
        retry: retries,
        durationMs: Math.round(durationMs),
      });
    }
  }
}

function checkRequest(request: HyperswitchRequest<unknown>): unknown {
  const parsed = request.requestSchema!.safeParse(request.body);
  if (parsed.success) return parsed.data;
  throw new HyperswitchInvalidRequestError(
    `Hyperswitch ${request.operation} request rejected before sending: invalid ${issuePaths(parsed.error)}`,
    { operation: request.operation },
  );
}

/** Field paths only: zod's messages may quote values, and values here can be card data. */
export function issuePaths(error: z.ZodError): string {
  return [...new Set(error.issues.map((issue) => issue.path.join('.') || '(root)'))].join(', ');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toHyperswitchError(
  error: unknown,
  context: { operation: string; status?: number; requestId?: string },
  signal: AbortSignal,
  bodySent: boolean,
): HyperswitchError {
  if (error instanceof HyperswitchError) return error;
  const { operation } = context;
  if (signal.aborted) {
    return new HyperswitchTimeoutError(`Hyperswitch ${operation} timed out`, { ...context, cause: error });
  }
  const code = errorCode(error);
  if (code && NOT_SENT_CODES.has(code)) {
    return new HyperswitchConnectionError(`Hyperswitch ${operation} could not connect (${code})`, { ...context, requestSent: false, cause: error });
  }
  return new HyperswitchConnectionError(`Hyperswitch ${operation} connection failed (${code ?? 'unknown'})${bodySent ? '' : ' before the request was written'}`, {
    ...context,
    requestSent: bodySent,
    connectionReset: code !== undefined && RESET_CODES.has(code),
    cause: error,
  });
}

/**
 * The system error's code, on the error or on one of its causes (a wrapper's). Duck-typed: an error
 * can come from another realm (e.g. a test sandbox), where `instanceof` fails.
 */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}
