import { S2SVaultError } from '../errors';

/** An error that is an HTTP answer: its status and code go to the client as they are. */
export class HttpError extends S2SVaultError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { code, ...options });
  }
}
