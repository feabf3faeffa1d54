import { HyperswitchError, HyperswitchNotFoundError, HyperswitchPermissionError, HyperswitchAuthenticationError } from '../hyperswitch';
import { HttpError } from './errors';

/**
 * The one mapping of Hyperswitch failures to our HTTP answers on synchronous routes: 404 stays 404,
 * a rejected request is 400, anything that may pass (429, 5xx, timeouts, unknown outcomes) is a
 * retryable 503. Refused credentials are our misconfiguration: they stay a generic 500.
 */
export function upstreamError(error: unknown, notFound: { code: string; message: string }): unknown {
  if (!(error instanceof HyperswitchError)) return error;
  if (error instanceof HyperswitchNotFoundError) return new HttpError(404, notFound.code, notFound.message, { cause: error });
  if (error instanceof HyperswitchAuthenticationError || error instanceof HyperswitchPermissionError) return error;
  if (error.retryable || error.outcomeUnknown) return new HttpError(503, 'upstream_unavailable', 'Hyperswitch is unavailable; retry later', { retryable: true, cause: error });
  return new HttpError(400, 'invalid_request', `Hyperswitch rejected the request${error.hyperswitchCode ? ` (${error.hyperswitchCode})` : ''}`, { cause: error });
}
