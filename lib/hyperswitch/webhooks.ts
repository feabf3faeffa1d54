/**
 * Hyperswitch's outgoing webhooks, received: `X-Webhook-Signature-512` is the hex HMAC-SHA512 of the
 * raw body keyed with the profile's `payment_response_hash_key` (several valid while one rotates),
 * compared in constant time; the body is an `OutgoingWebhook` of the v2 spec. A verified event is still
 * only a hint: what it says is read again from Hyperswitch before anything changes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

export const HYPERSWITCH_SIGNATURE_HEADER = 'x-webhook-signature-512';

/** Whether the signature is the body's under one of the keys. */
export function hyperswitchSignatureValid(rawBody: Buffer, signature: string | undefined, hashKeys: readonly string[]): boolean {
  if (!signature || !/^[0-9a-f]{128}$/i.test(signature)) return false;
  const given = Buffer.from(signature.toLowerCase(), 'hex');
  return hashKeys.some((key) => timingSafeEqual(createHmac('sha512', key).update(rawBody).digest(), given));
}

// OutgoingWebhook: what we read of it. Unknown fields are allowed (the spec's object is open).
export const outgoingWebhookSchema = z.object({
  merchant_id: z.string().min(1),
  event_id: z.string().min(1).max(128),
  event_type: z.string().min(1),
  content: z.object({ type: z.string(), object: z.object({ id: z.string().min(1).max(128) }).passthrough() }),
  timestamp: z.iso.datetime({ offset: true }).optional(),
});
export type OutgoingWebhook = z.infer<typeof outgoingWebhookSchema>;

/** The secret of the hash keys (newest first). */
export const webhookHashKeysSchema = z.object({ hash_keys: z.array(z.string().min(16)).min(1) });
