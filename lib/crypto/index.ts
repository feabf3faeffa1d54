/**
 * Card envelope encryption for the queue: AES-256-GCM with a 96-bit random IV, the key named by a
 * key id (several ids valid for decryption, one current for encryption, so keys can rotate), and the
 * job id as additional authenticated data, so an envelope cannot be replayed under another job.
 * Keys come from Secrets Manager; an HMAC key from the same secret makes keyed hashes (client secrets).
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import * as z from 'zod';
import { S2SVaultError } from '../errors';

const base64Key = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded');

/** The card-encryption secret: `{"current_key_id", "keys": {id: base64}, "hmac_key": base64}`. */
export const dataKeysSchema = z
  .object({
    current_key_id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
    keys: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/), base64Key),
    hmac_key: base64Key,
  })
  .refine((value) => value.current_key_id in value.keys, { message: 'must name one of keys', path: ['current_key_id'] });
export type DataKeys = z.infer<typeof dataKeysSchema>;

/** The envelope as it travels in a vault-job message. */
export const envelopeSchema = z.strictObject({
  alg: z.literal('A256GCM'),
  kid: z.string().min(1).max(32),
  iv: z.base64().length(16),
  ciphertext: z.base64().min(4).max(8192),
  tag: z.base64().length(24),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** The envelope cannot be opened: unknown key id, or ciphertext, tag or AAD (job id) tampered with. */
export class CardDecryptionError extends S2SVaultError {
  constructor(code: 'unknown_key_id' | 'card_decryption_failed', message: string, cause?: unknown) {
    super(message, { code, retryable: false, cause });
  }
}

const keyObjects = new Map<string, KeyObject>();

/**
 * A base64 key as a KeyObject, made once per key: importing raw key bytes on every cipher or HMAC
 * was the largest part of a checkout's own CPU time. The keys are few (the current and the rotated).
 */
export function secretKey(base64: string): KeyObject {
  let key = keyObjects.get(base64);
  if (!key) keyObjects.set(base64, (key = createSecretKey(Buffer.from(base64, 'base64'))));
  return key;
}

export function encryptJson(keys: DataKeys, plaintext: unknown, aad: string): Envelope {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secretKey(keys.keys[keys.current_key_id]!), iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final()]);
  return { alg: 'A256GCM', kid: keys.current_key_id, iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

export function decryptJson(keys: DataKeys, envelope: Envelope, aad: string): unknown {
  const key = keys.keys[envelope.kid];
  if (!key) throw new CardDecryptionError('unknown_key_id', `The card was encrypted with key ${envelope.kid}, which is not a known key`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', secretKey(key), Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    const plaintext = Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, 'base64')), decipher.final()]);
    return JSON.parse(plaintext.toString('utf8'));
  } catch (error) {
    // Whatever failed, the caller learns only that this envelope does not open for this job.
    throw new CardDecryptionError('card_decryption_failed', 'The card envelope could not be decrypted for this job (tampered, or sealed for another job)', error instanceof Error ? error.name : undefined);
  }
}

/** HMAC-SHA-256, base64url: for values we must recognise but never store (client secrets, request fingerprints). */
export function keyedHash(keys: DataKeys, value: string): string {
  return createHmac('sha256', secretKey(keys.hmac_key)).update(value, 'utf8').digest('base64url');
}
