import {
  errorFromResponse,
  HyperswitchAuthenticationError,
  HyperswitchConnectorError,
  HyperswitchDuplicateError,
  HyperswitchInvalidRequestError,
  HyperswitchNotFoundError,
  HyperswitchPermissionError,
  HyperswitchRateLimitError,
  HyperswitchServerError,
  parseErrorBody,
} from '../../../../lib/hyperswitch';
import { S2SVaultError } from '../../../../lib/errors';

const wrapped = (code: string, message = 'm') => ({ error: { type: 'invalid_request', message, code } });

describe('errorFromResponse', () => {
  it.each([
    [400, wrapped('IR_06'), HyperswitchInvalidRequestError, 'hyperswitch_invalid_request', false, false],
    [422, wrapped('IR_04'), HyperswitchInvalidRequestError, 'hyperswitch_invalid_request', false, false],
    [400, wrapped('HE_01'), HyperswitchDuplicateError, 'hyperswitch_duplicate', false, false],
    [409, wrapped('HE_01'), HyperswitchDuplicateError, 'hyperswitch_duplicate', false, false],
    [401, wrapped('IR_01'), HyperswitchAuthenticationError, 'hyperswitch_authentication_failed', false, false],
    [403, wrapped('IR_22'), HyperswitchPermissionError, 'hyperswitch_permission_denied', false, false],
    [404, wrapped('HE_02'), HyperswitchNotFoundError, 'hyperswitch_not_found', false, false],
    [400, wrapped('HE_02'), HyperswitchNotFoundError, 'hyperswitch_not_found', false, false],
    [400, wrapped('CE_01'), HyperswitchConnectorError, 'hyperswitch_connector_error', false, false],
    [429, undefined, HyperswitchRateLimitError, 'hyperswitch_rate_limited', true, false],
    [500, wrapped('HE_00'), HyperswitchServerError, 'hyperswitch_server_error', true, true],
    [503, 'not json', HyperswitchServerError, 'hyperswitch_server_error', true, true],
  ])('%i %j → %p', (status, body, type, code, retryable, outcomeUnknown) => {
    const error = errorFromResponse(status, body, { operation: 'customers.create', requestId: 'req_1' });
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(S2SVaultError);
    expect(error).toMatchObject({ code, retryable, outcomeUnknown, status, operation: 'customers.create', requestId: 'req_1' });
    expect(error.name).toBe(type.name);
  });

  it('keeps the Hyperswitch code and message', () => {
    const error = errorFromResponse(400, wrapped('IR_05', 'Invalid value provided: card_exp_month'), { operation: 'paymentMethods.create' });
    expect(error.hyperswitchCode).toBe('IR_05');
    expect(error.message).toBe('Hyperswitch paymentMethods.create failed with 400 IR_05: Invalid value provided: card_exp_month');
  });

  it('reads the flat error shape the spec documents', () => {
    const error = errorFromResponse(400, { error_type: 'invalid_request', message: 'Missing required param: amount', code: 'IR_04' }, { operation: 'payments.createAndConfirm' });
    expect(error).toBeInstanceOf(HyperswitchInvalidRequestError);
    expect(error.hyperswitchCode).toBe('IR_04');
  });

  it('masks a card number that Hyperswitch quotes back and bounds the message', () => {
    const echoed = `Json deserialize error: invalid type: string "4242424242424242", expected u16 ${'x'.repeat(1000)}`;
    const error = errorFromResponse(400, wrapped('IR_06', echoed), { operation: 'paymentMethods.create' });
    expect(error.message).not.toContain('4242424242424242');
    expect(error.message).toContain('[card ****4242]');
    expect(error.message.length).toBeLessThan(400);
  });

  it('carries Retry-After on rate limits', () => {
    const error = errorFromResponse(429, undefined, { operation: 'payments.retrieve', retryAfterMs: 2000 });
    expect(error).toBeInstanceOf(HyperswitchRateLimitError);
    expect((error as HyperswitchRateLimitError).retryAfterMs).toBe(2000);
  });
});

describe('parseErrorBody', () => {
  it('returns nothing for bodies of another shape', () => {
    expect(parseErrorBody(undefined)).toEqual({});
    expect(parseErrorBody({ error: 'plain string' })).toEqual({});
    expect(parseErrorBody([1, 2])).toEqual({});
  });
});
