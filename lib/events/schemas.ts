/**
 * Merchant events: what we push to a merchant's webhook endpoints instead of making them poll.
 * `{id, type, created_at, data}`; `data` holds ids, statuses and the masked card only. An event's id
 * is derived from what changed (the job and the transition, the payment method and its deletion…), so
 * a transition seen twice — a worker run repeated, a webhook and a poll racing — is one event.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export const EVENT_TYPES = [
  'job.succeeded',
  'job.failed',
  'job.requires_action',
  'payment.succeeded',
  'payment.failed',
  'payment_method.saved',
  'payment_method.updated',
  'payment_method.deleted',
  'customer.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const merchantEventSchema = z.object({
  id: z.string().describe('Unique per state change; also the webhook-id of every delivery of this event'),
  type: z.enum(EVENT_TYPES),
  created_at: z.string().describe('When the change was recorded (ISO 8601)'),
  data: z.record(z.string(), z.unknown()).describe('The job (as GET /jobs shows it), the payment, the payment method or the customer the event is about: ids, statuses, the masked card'),
});
export type MerchantEvent = z.infer<typeof merchantEventSchema>;

/** The id of the event for `type` happening to `subject` (once per subject and type, unless `occurrence` tells occurrences apart). */
export function eventId(type: EventType, subject: string, occurrence = ''): string {
  return `evt_${createHash('sha256').update(`${type}:${subject}:${occurrence}`).digest('hex').slice(0, 32)}`;
}

export const EVENT_ID_PATTERN = /^evt_[0-9a-f]{32}$/;

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const deliveryAttemptSchema = z.object({
  at: z.string(),
  /** The endpoint's HTTP status; absent when no answer came (timeout, refused, an address we do not send to). */
  status: z.number().int().optional(),
  error: z.string().optional(),
  duration_ms: z.number().int(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

export const deliverySchema = z.object({
  url: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.array(deliveryAttemptSchema),
});
export type Delivery = z.infer<typeof deliverySchema>;

/** `GET /events/{id}`: the event, and how each endpoint received it. */
export const eventViewSchema = merchantEventSchema.extend({
  deliveries: z.array(deliverySchema).describe('One per endpoint the event is for'),
});
export type EventView = z.infer<typeof eventViewSchema>;

/** An event about a saved card or a customer, from the token-management routes. */
export function changeEvent(type: Extract<EventType, 'payment_method.updated' | 'payment_method.deleted' | 'customer.deleted'>, subject: string, data: Record<string, unknown>, now: Date, occurrence?: string): MerchantEvent {
  return { id: eventId(type, subject, occurrence), type, created_at: now.toISOString(), data };
}
