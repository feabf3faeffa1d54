import { randomBytes } from 'node:crypto';
import { CardDecryptionError, dataKeysSchema, decryptJson, encryptJson, envelopeSchema, keyedHash, type DataKeys } from '../../../lib/crypto';

const key = () => randomBytes(32).toString('base64');
const keys: DataKeys = { current_key_id: 'k1', keys: { k1: key() }, hmac_key: key() };
const card = { number: '4242424242424242', cvc: '123' };

function failure(fn: () => unknown): CardDecryptionError {
  try {
    fn();
  } catch (error) {
    return error as CardDecryptionError;
  }
  throw new Error('expected a failure');
}

describe('card envelopes', () => {
  it('round-trip for the job they were sealed for, and hide the card', () => {
    const envelope = encryptJson(keys, card, 'job_1');
    expect(envelopeSchema.parse(envelope)).toEqual(envelope);
    expect(JSON.stringify(envelope)).not.toContain('4242');
    expect(decryptJson(keys, envelope, 'job_1')).toEqual(card);
  });

  it('use a fresh IV every time', () => {
    expect(encryptJson(keys, card, 'job_1').iv).not.toBe(encryptJson(keys, card, 'job_1').iv);
  });

  it('refuse an envelope replayed under another job id (AAD)', () => {
    const error = failure(() => decryptJson(keys, encryptJson(keys, card, 'job_1'), 'job_2'));
    expect(error).toBeInstanceOf(CardDecryptionError);
    expect(error).toMatchObject({ code: 'card_decryption_failed', retryable: false });
  });

  it.each(['ciphertext', 'tag', 'iv'] as const)('refuse a tampered %s', (field) => {
    const envelope = encryptJson(keys, card, 'job_1');
    const bytes = Buffer.from(envelope[field], 'base64');
    bytes[0] = bytes[0]! ^ 0x01;
    expect(failure(() => decryptJson(keys, { ...envelope, [field]: bytes.toString('base64') }, 'job_1')).code).toBe('card_decryption_failed');
  });

  it('refuse an unknown key id', () => {
    const error = failure(() => decryptJson(keys, { ...encryptJson(keys, card, 'job_1'), kid: 'k9' }, 'job_1'));
    expect(error.code).toBe('unknown_key_id');
  });

  it('keep opening envelopes sealed under an older key after rotation, and seal with the current one', () => {
    const before = encryptJson(keys, card, 'job_1');
    const rotated: DataKeys = { ...keys, current_key_id: 'k2', keys: { ...keys.keys, k2: key() } };
    const after = encryptJson(rotated, card, 'job_2');
    expect(after.kid).toBe('k2');
    expect(decryptJson(rotated, before, 'job_1')).toEqual(card);
    expect(decryptJson(rotated, after, 'job_2')).toEqual(card);
    expect(failure(() => decryptJson(keys, after, 'job_2')).code).toBe('unknown_key_id');
  });
});

describe('the keys secret', () => {
  it('must name a current key it holds, with 32-byte keys', () => {
    expect(dataKeysSchema.safeParse(keys).success).toBe(true);
    expect(dataKeysSchema.safeParse({ ...keys, current_key_id: 'k2' }).success).toBe(false);
    expect(dataKeysSchema.safeParse({ ...keys, keys: { k1: randomBytes(16).toString('base64') } }).success).toBe(false);
  });
});

describe('keyed hashes', () => {
  it('are stable for one key, differ between keys, and do not contain the value', () => {
    const hash = keyedHash(keys, 'secret-1');
    expect(hash).not.toContain('secret-1');
    expect(keyedHash(keys, 'secret-1')).toBe(hash);
    expect(keyedHash(keys, 'secret-2')).not.toBe(hash);
    expect(keyedHash({ ...keys, hmac_key: key() }, 'secret-1')).not.toBe(hash);
  });
});
