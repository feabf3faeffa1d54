/**
 * Publishing an event: record it (once: the id is the change), then hand it to the delivery queue.
 * The hand-off is repeated on every publication, also of an event already recorded: a run that
 * recorded it and stopped before sending is made good by the next one to see the change, and a
 * delivery that finds the event delivered does nothing.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { JobRecord } from '../jobs';
import type { Log } from '../log';
import { jobEvents } from './job-events';
import type { MerchantEvent } from './schemas';
import type { EventStore } from './store';

/** Where events go to be delivered: one message per event, holding its id (and, for a redelivery, since when). */
export interface DeliveryQueue {
  send(eventIds: string[], options?: { since?: string }): Promise<void>;
}

export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {}

  async send(eventIds: string[], { since }: { since?: string } = {}): Promise<void> {
    for (let start = 0; start < eventIds.length; start += 10) {
      const batch = eventIds.slice(start, start + 10);
      const { Failed = [] } = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((id, i) => ({ Id: String(i), MessageBody: JSON.stringify({ event_id: id, ...(since ? { since } : {}) }) })) }));
      if (Failed.length > 0) throw new Error(`${Failed.length} event(s) could not be queued for delivery`);
    }
  }
}

export class EventPublisher {
  constructor(
    private readonly store: EventStore,
    private readonly queue: DeliveryQueue,
    private readonly log: Log,
    private readonly clock: () => number = Date.now,
  ) {}

  async publish(events: MerchantEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Independent conditional puts: side by side, not one after another on the worker's path.
    await Promise.all(
      events.map(async (event) => {
        if (await this.store.add(event)) this.log.debug('Event recorded', { eventId: event.id, type: event.type });
      }),
    );
    await this.queue.send(events.map((event) => event.id));
  }

  /** Delivers an event again to every endpoint it is for, also those that had it. */
  async redeliver(eventId: string): Promise<void> {
    await this.queue.send([eventId], { since: new Date(this.clock()).toISOString() });
  }

  /** The events a job's record implies now. */
  readonly publishJob = (job: JobRecord): Promise<void> => this.publish(jobEvents(job, new Date(this.clock()).toISOString()));
}
