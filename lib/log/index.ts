/**
 * The one logger: Powertools (structured JSON, level from `POWERTOOLS_LOG_LEVEL`), event logging off
 * (an event can hold a card number), a correlation id on every line, and a last line of defence:
 * every value is serialized through a redactor that masks card numbers (as lib/card recognises them:
 * the networks' rules, in a token of its own) and the values of sensitive keys at any depth — also inside error
 * messages, stacks and causes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { isCardNumberValue, redactPans } from '../card';
import { collectMetrics, countColdStart } from '../metrics';
import { traceInvocation } from '../tracing';

export const SENSITIVE_KEYS = new Set(
  ['number', 'card_number', 'cvc', 'cvv', 'card_cvc', 'card_cvv', 'api_key', 'client_secret', 'authorization', 'x-client-secret', 'hmac_key', 'keys', 'password', 'secret'].map((k) => k.toLowerCase()),
);
export const REDACTED = '[redacted]';

/** The redactor, as a JSON.stringify replacer. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key && SENSITIVE_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null && typeof value !== 'boolean') return REDACTED;
  if (typeof value === 'string') return redactPans(value);
  // A card number sent as a JSON number is still a card number.
  if (typeof value === 'number' && isCardNumberValue(value)) return REDACTED;
  return value;
}

/**
 * Each line carries what its reader needs and nothing its log group already says: level, message,
 * time, the Lambda request id (which ties it to its invocation, a timeout or Lambda's REPORT line)
 * and, when tracing is on, the trace id. Powertools' default adds the service, the function's ARN,
 * name and memory size, cold start and sampling rate to every line: a third of a line's bytes, all
 * of it the same in every line of a function's log group (or a metric already).
 */
export class CompactLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        lambda_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additionalLogAttributes);
  }
}

export const powertoolsLogger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 's2s-vault',
  jsonReplacerFn: redactingReplacer,
  logFormatter: new CompactLogFormatter(),
});

const correlation = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `fn` with these keys (e.g. a request id, a job id) on every line it logs. */
export function withLogContext<T>(keys: Record<string, unknown>, fn: () => T): T {
  return correlation.run({ ...correlation.getStore(), ...keys }, fn);
}

type Level = 'debug' | 'info' | 'warn' | 'error';
export type Log = Record<Level, (message: string, ...extra: Array<Record<string, unknown>>) => void>;

const at =
  (level: Level) =>
  (message: string, ...extra: Array<Record<string, unknown>>) =>
    powertoolsLogger[level](message, ...extra, correlation.getStore() ?? {});

/** The logger every component uses: Powertools, plus the correlation keys of the current request or job. */
export const logger: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };

/** Wraps a Lambda handler: the invocation's context and correlation keys go on every line it logs. */
export function correlated<E, R>(handler: (event: E, context: Context) => Promise<R>, keys: (event: E, context: Context) => Record<string, unknown>) {
  return (event: E, context: Context): Promise<R> => {
    powertoolsLogger.addContext(context);
    // POWERTOOLS_LOGGER_SAMPLE_RATE: this share of invocations logs at DEBUG (the per-call lines), drawn afresh for each.
    powertoolsLogger.refreshSampleRateCalculation();
    return collectMetrics(() => {
      // Once per container: the first invocation is the cold one.
      countColdStart(context.functionName);
      return withLogContext(keys(event, context), () => traceInvocation(context.functionName, () => handler(event, context)));
    });
  };
}
