import { randomBytes } from 'node:crypto';
import { authenticate, hashApiKey, merchantKeysSchema, type MerchantKeys } from '../../../lib/auth';
import { HttpError } from '../../../lib/http/errors';

const hmac = randomBytes(32).toString('base64');
const SERVER = 'sk_test_0123456789abcdef0123';
const ROTATED = 'sk_test_fedcba9876543210fedc';
const PUBLISHABLE = 'pk_test_aaaabbbbccccddddeeee';
const keys: MerchantKeys = merchantKeysSchema.parse({
  hmac_key: hmac,
  server_key_hashes: [hashApiKey(hmac, SERVER), hashApiKey(hmac, ROTATED)],
  publishable_key_hashes: [hashApiKey(hmac, PUBLISHABLE)],
});

function refusal(fn: () => unknown): { status: number; code: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return { status: (error as HttpError).status, code: (error as HttpError).code };
  }
  throw new Error('expected a refusal');
}

describe('authenticate', () => {
  it('accepts every current server key (rotation) and a publishable key where allowed', () => {
    expect(authenticate(keys, { authorization: `Bearer ${SERVER}` }, ['server'])).toEqual({ kind: 'server' });
    expect(authenticate(keys, { authorization: `bearer ${ROTATED}` }, ['server'])).toEqual({ kind: 'server' });
    expect(authenticate(keys, { authorization: `Bearer ${PUBLISHABLE}` }, ['publishable', 'server'])).toEqual({ kind: 'publishable' });
  });

  it('refuses a key of the wrong kind for the route with 403', () => {
    expect(refusal(() => authenticate(keys, { authorization: `Bearer ${PUBLISHABLE}` }, ['server']))).toEqual({ status: 403, code: 'forbidden' });
  });

  it.each([
    ['a missing key', {}],
    ['a key of this merchant under another hash key', { authorization: `Bearer sk_test_${'9'.repeat(20)}` }],
    ['a publishable key presented as a server key', { authorization: `Bearer ${PUBLISHABLE.replace('pk_', 'sk_')}` }],
    ['another scheme', { authorization: `Basic ${SERVER}` }],
    ['a bare key', { authorization: SERVER }],
    ['a client secret where none is accepted', { clientSecret: 'job_x_secret_y' }],
  ])('refuses %s with 401', (_, credentials) => {
    expect(refusal(() => authenticate(keys, credentials, ['server', 'publishable'])).status).toBe(401);
  });

  it('passes a client secret on where the route accepts one, for the handler to check', () => {
    expect(authenticate(keys, { clientSecret: 's' }, ['server', 'client_secret'])).toEqual({ kind: 'client_secret', secret: 's' });
  });

  it('needs at least one server key in the secret', () => {
    expect(merchantKeysSchema.safeParse({ hmac_key: hmac, server_key_hashes: [] }).success).toBe(false);
  });
});
