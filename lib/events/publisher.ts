/**
 * Publishing an event: hand it to the delivery queue, which records it (once: the id is the change;
 * the first record's payload is the one every delivery sends) before delivering it. Recording it on
 * the delivery's side keeps that write off the path of whoever published — the worker's job ends one
 * request sooner. The hand-off is repeated on every publication of the change: a run that ended the
 * job and stopped before sending is made good by the next one to see the change, and a delivery that
 * finds the event delivered does nothing.
 */
import { sqsClient, type Sqs } from '../aws';
import * as z from 'zod';
import type { JobRecord } from '../jobs';
import { jobEvents } from './job-events';
import { EVENT_ID_PATTERN, merchantEventSchema, type MerchantEvent } from './schemas';

/**
 * A delivery queue's message: an event just published (to record, unless a publication of the same
 * change was first, then deliver), or a recorded event's id with the time a redelivery was asked for
 * (endpoints that had the event before get it again).
 */
export const deliveryMessageSchema = z
  .object({
    event_id: z.string().regex(EVENT_ID_PATTERN),
    event: merchantEventSchema.optional(),
    since: z.iso.datetime().optional(),
  })
  .refine((message) => message.event === undefined || message.event.id === message.event_id, { message: 'event_id must be the event\'s id', path: ['event_id'] });
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

/** A delivery queue message's body, or undefined when it is not one. */
export function parseDeliveryMessage(body: string): DeliveryMessage | undefined {
  try {
    const parsed = deliveryMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Where events go to be delivered: one message per event. */
export interface DeliveryQueue {
  send(messages: DeliveryMessage[]): Promise<void>;
}

export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: Sqs = sqsClient(),
  ) {}

  async send(messages: DeliveryMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const batch = messages.slice(start, start + 10);
      const { Failed = [] } = await this.client.sendMessageBatch({ QueueUrl: this.queueUrl, Entries: batch.map((message, i) => ({ Id: String(i), MessageBody: JSON.stringify(message) })) });
      if (Failed.length > 0) throw new Error(`${Failed.length} event(s) could not be queued for delivery`);
    }
  }
}

export class EventPublisher {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly clock: () => number = Date.now,
  ) {}

  async publish(events: MerchantEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.queue.send(events.map((event) => ({ event_id: event.id, event })));
  }

  /** Delivers a recorded event again to every endpoint it is for, also those that had it. */
  async redeliver(eventId: string): Promise<void> {
    await this.queue.send([{ event_id: eventId, since: new Date(this.clock()).toISOString() }]);
  }

  /** The events a job's record implies now. */
  readonly publishJob = (job: JobRecord): Promise<void> => this.publish(jobEvents(job, new Date(this.clock()).toISOString()));
}
