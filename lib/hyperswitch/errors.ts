import * as z from 'zod';
import { redactPans } from '../card';
import { S2SVaultError } from '../errors';

export interface HyperswitchErrorContext {
  /** Our name of the operation, e.g. `customers.create`. */
  operation: string;
  status?: number;
  /** Hyperswitch's own code: `IR_xx` invalid request, `CE_xx` connector, `HE_xx` Hyperswitch. */
  hyperswitchCode?: string;
  /** Hyperswitch's `x-request-id`, for support tickets. */
  requestId?: string;
  cause?: unknown;
}

/**
 * Base of every error the Hyperswitch client raises. `retryable` says whether trying the same call
 * again may help; `outcomeUnknown` says Hyperswitch may have acted although we got no answer
 * (look the object up before creating it again).
 */
export abstract class HyperswitchError extends S2SVaultError {
  readonly outcomeUnknown: boolean;
  readonly operation: string;
  readonly status: number | undefined;
  readonly hyperswitchCode: string | undefined;
  readonly requestId: string | undefined;

  protected constructor(message: string, code: string, { retryable, outcomeUnknown }: { retryable: boolean; outcomeUnknown: boolean }, context: HyperswitchErrorContext) {
    super(message, { code, retryable, cause: context.cause });
    this.outcomeUnknown = outcomeUnknown;
    this.operation = context.operation;
    this.status = context.status;
    this.hyperswitchCode = context.hyperswitchCode;
    this.requestId = context.requestId;
  }
}

/** 400/422 `IR_*` and other rejected requests: fix the request, do not retry. */
export class HyperswitchInvalidRequestError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_invalid_request', { retryable: false, outcomeUnknown: false }, context);
  }
}

/** 401: the API key is missing, unknown or revoked. */
export class HyperswitchAuthenticationError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_authentication_failed', { retryable: false, outcomeUnknown: false }, context);
  }
}

/** 403: the key is valid but not for this resource (e.g. a payment key on a vault route). */
export class HyperswitchPermissionError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_permission_denied', { retryable: false, outcomeUnknown: false }, context);
  }
}

export class HyperswitchNotFoundError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_not_found', { retryable: false, outcomeUnknown: false }, context);
  }
}

/** `HE_01`: an object with this `merchant_reference_id` exists — maybe ours from an earlier try: look it up. */
export class HyperswitchDuplicateError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_duplicate', { retryable: false, outcomeUnknown: false }, context);
  }
}

/** `CE_*`: the connector (PSP) refused or failed the operation. */
export class HyperswitchConnectorError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_connector_error', { retryable: false, outcomeUnknown: false }, context);
  }
}

/** 429: over the rate limit, or the object is locked by a concurrent request. Nothing was done. */
export class HyperswitchRateLimitError extends HyperswitchError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, context: HyperswitchErrorContext & { retryAfterMs?: number }) {
    super(message, 'hyperswitch_rate_limited', { retryable: true, outcomeUnknown: false }, context);
    this.retryAfterMs = context.retryAfterMs;
  }
}

/** 5xx: Hyperswitch failed, possibly after acting. */
export class HyperswitchServerError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_server_error', { retryable: true, outcomeUnknown: true }, context);
  }
}

/**
 * No answer: the connection failed. `requestSent` is false only when the connection
 * was never made, so the request cannot have been acted on.
 */
export class HyperswitchConnectionError extends HyperswitchError {
  /** The socket was reset or closed under us: typically an idle keep-alive socket the server had closed. */
  readonly connectionReset: boolean;
  constructor(message: string, context: HyperswitchErrorContext & { requestSent: boolean; connectionReset?: boolean }) {
    super(message, 'hyperswitch_connection_failed', { retryable: true, outcomeUnknown: context.requestSent }, context);
    this.connectionReset = context.connectionReset ?? false;
  }
}

export class HyperswitchTimeoutError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_timeout', { retryable: true, outcomeUnknown: true }, context);
  }
}

/** A success status with a body we cannot read or that breaks the contract. Hyperswitch did act. */
export class HyperswitchUnexpectedResponseError extends HyperswitchError {
  constructor(message: string, context: HyperswitchErrorContext) {
    super(message, 'hyperswitch_unexpected_response', { retryable: false, outcomeUnknown: true }, context);
  }
}

// Hyperswitch wraps errors as {"error": {type, message, code}}; the spec documents {error_type, message, code}.
const errorBody = z.union([
  z.object({ error: z.object({ type: z.string().optional(), message: z.string().optional(), code: z.string().optional() }) }),
  z.object({ error_type: z.string().optional(), message: z.string().optional(), code: z.string().optional() }),
]);

const MAX_MESSAGE_LENGTH = 300;

export function parseErrorBody(body: unknown): { message?: string; code?: string } {
  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return {};
  const fields = 'error' in parsed.data ? parsed.data.error : parsed.data;
  return { message: fields.message, code: fields.code };
}

/**
 * The one place where an HTTP status and a Hyperswitch error code become an error class.
 * Hyperswitch's message is kept (it helps), cut short and with anything that looks like a card
 * number masked: serde's deserialization messages quote the offending value.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  context: { operation: string; requestId?: string; retryAfterMs?: number },
): HyperswitchError {
  const { message: upstream, code } = parseErrorBody(body);
  const detail = upstream ? `: ${redactPans(upstream).slice(0, MAX_MESSAGE_LENGTH)}` : '';
  const message = `Hyperswitch ${context.operation} failed with ${status}${code ? ` ${code}` : ''}${detail}`;
  const full = { ...context, status, hyperswitchCode: code };

  if (code === 'HE_01') return new HyperswitchDuplicateError(message, full);
  if (status === 401) return new HyperswitchAuthenticationError(message, full);
  if (status === 403) return new HyperswitchPermissionError(message, full);
  if (status === 404 || code === 'HE_02') return new HyperswitchNotFoundError(message, full);
  if (status === 429) return new HyperswitchRateLimitError(message, full);
  if (status >= 500) return new HyperswitchServerError(message, full);
  if (code?.startsWith('CE_')) return new HyperswitchConnectorError(message, full);
  return new HyperswitchInvalidRequestError(message, full);
}
