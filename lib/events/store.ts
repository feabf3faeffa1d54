/**
 * Events and their deliveries, in the job table beside the jobs (`evt#<id>` items, kept 30 days).
 * The payload is written once, by the first publication of the change, and every delivery sends it
 * as stored: an event id never goes out with two different payloads. Two sparse indexes list events
 * newest first, all of them (`events_by_time`) or one job's (`events_by_job`); items without their
 * keys (the jobs) are not in them.
 */
import { conditionalWrite, dynamoDbClient, type DocumentTable } from '../aws';
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';
import type { Delivery, DeliveryAttempt, EventType, EventView, MerchantEvent } from './schemas';

export const EVENT_TTL_DAYS = 30;

/**
 * The job table's indexes for events, as serverless.yml declares them (the footprint test compares).
 * They hold the keys and the type only: every delivery attempt updates an event's item, and with
 * the whole item projected each update was written to both indexes too (three writes for one). A
 * page of `GET /events` reads its items by key instead.
 */
export const EVENT_INDEXES = {
  AttributeDefinitions: [
    { AttributeName: 'event_stream', AttributeType: 'S' },
    { AttributeName: 'event_job_id', AttributeType: 'S' },
    { AttributeName: 'event_order', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [
    { IndexName: 'events_by_time', KeySchema: [{ AttributeName: 'event_stream', KeyType: 'HASH' }, { AttributeName: 'event_order', KeyType: 'RANGE' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] } },
    { IndexName: 'events_by_job', KeySchema: [{ AttributeName: 'event_job_id', KeyType: 'HASH' }, { AttributeName: 'event_order', KeyType: 'RANGE' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] } },
  ],
} as const;
const key = (eventId: string) => `evt#${eventId}`;
/** A stable key per endpoint URL: a delivery stays attached to its endpoint across configuration changes. */
export const endpointKey = (url: string) => `ep_${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;

interface EventItem {
  job_id: string;
  kind: 'event';
  event: string;
  event_stream: 'events';
  event_order: string;
  event_job_id?: string;
  type: EventType;
  expires_at: number;
  deliveries?: Record<string, Delivery>;
}

export interface StoredEvent {
  event: MerchantEvent;
  /** The exact payload every delivery sends. */
  payload: string;
  deliveries: Record<string, Delivery>;
}

export interface EventPage {
  data: EventView[];
  has_more: boolean;
  /** Pass as `starting_after` for the next page. */
  next_cursor: string | null;
}

export class EventStore {
  constructor(
    private readonly tableName: string,
    private readonly documents: DocumentTable = dynamoDbClient(),
  ) {}

  /** Records the event unless it exists; true when this call recorded it. */
  async add(event: MerchantEvent): Promise<boolean> {
    const jobId = typeof event.data.job_id === 'string' ? event.data.job_id : undefined;
    const item: EventItem = {
      job_id: key(event.id),
      kind: 'event',
      event: JSON.stringify(event),
      event_stream: 'events',
      event_order: `${event.created_at}#${event.id}`,
      ...(jobId ? { event_job_id: jobId } : {}),
      type: event.type,
      expires_at: Math.floor(Date.parse(event.created_at) / 1000) + EVENT_TTL_DAYS * 86_400,
      deliveries: {},
    };
    return (await conditionalWrite(this.documents.put({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(job_id)' }))) !== undefined;
  }

  /**
   * The event as recorded: recorded now, unless a publication of the same change was first — then
   * that one, whose payload every delivery sends.
   */
  async record(event: MerchantEvent): Promise<StoredEvent | undefined> {
    if (await this.add(event)) return { event, payload: JSON.stringify(event), deliveries: {} };
    return this.get(event.id);
  }

  async get(eventId: string): Promise<StoredEvent | undefined> {
    const { Item } = await this.documents.get({ TableName: this.tableName, Key: { job_id: key(eventId) }, ConsistentRead: true });
    return Item ? stored(Item as EventItem) : undefined;
  }

  /**
   * Appends an attempt to an endpoint's delivery and sets its status. `started` says whether the
   * record read before the attempt had a delivery for the endpoint: the write that fits is tried
   * first, so an attempt costs one write (the other only when a concurrent delivery moved first).
   */
  async recordAttempt(eventId: string, url: string, attempt: DeliveryAttempt, status: Delivery['status'], started = true): Promise<void> {
    const writes = [() => this.appendAttempt(eventId, url, attempt, status), () => this.startDelivery(eventId, url, attempt, status)];
    const [first, second] = started ? writes : writes.reverse();
    if ((await conditionalWrite(first!())) === undefined) await second!();
  }

  private appendAttempt(eventId: string, url: string, attempt: DeliveryAttempt, status: Delivery['status']): Promise<object> {
    return this.documents.update({
      TableName: this.tableName,
      Key: { job_id: key(eventId) },
      UpdateExpression: 'SET deliveries.#endpoint.attempts = list_append(deliveries.#endpoint.attempts, :attempt), deliveries.#endpoint.#status = :status',
      ConditionExpression: 'attribute_exists(deliveries.#endpoint)',
      ExpressionAttributeNames: { '#endpoint': endpointKey(url), '#status': 'status' },
      ExpressionAttributeValues: { ':attempt': [attempt], ':status': status },
    });
  }

  /** The endpoint's first attempt: its delivery starts here. */
  private startDelivery(eventId: string, url: string, attempt: DeliveryAttempt, status: Delivery['status']): Promise<object> {
    return this.documents.update({
      TableName: this.tableName,
      Key: { job_id: key(eventId) },
      UpdateExpression: 'SET deliveries.#endpoint = :delivery',
      ConditionExpression: 'attribute_exists(job_id) AND attribute_not_exists(deliveries.#endpoint)',
      ExpressionAttributeNames: { '#endpoint': endpointKey(url) },
      ExpressionAttributeValues: { ':delivery': { url, status, attempts: [attempt] } satisfies Delivery },
    });
  }

  /** Newest first; all events, or one job's; of one type if asked. */
  async list(options: { limit: number; type?: EventType; jobId?: string; startingAfter?: string }): Promise<EventPage> {
    const byJob = options.jobId !== undefined;
    const { Items = [], LastEvaluatedKey } = await this.documents.query({
      TableName: this.tableName,
      IndexName: byJob ? 'events_by_job' : 'events_by_time',
      KeyConditionExpression: byJob ? 'event_job_id = :partition' : 'event_stream = :partition',
      ...(options.type ? { FilterExpression: '#type = :type', ExpressionAttributeNames: { '#type': 'type' } } : {}),
      ExpressionAttributeValues: { ':partition': byJob ? options.jobId : 'events', ...(options.type ? { ':type': options.type } : {}) },
      ScanIndexForward: false,
      Limit: options.limit,
      ExclusiveStartKey: options.startingAfter ? decodeCursor(options.startingAfter) : undefined,
    });
    const items = await this.items(Items.map((item) => item.job_id as string));
    return {
      data: items.map((item) => view(stored(item))),
      has_more: LastEvaluatedKey !== undefined,
      next_cursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : null,
    };
  }

  /** Event items by key, in the order asked (at most 100: a page); one that expired meanwhile is left out. */
  private async items(keys: string[]): Promise<EventItem[]> {
    if (keys.length === 0) return [];
    const found = new Map<string, EventItem>();
    let wanted: Array<Record<string, unknown>> | undefined = keys.map((job_id) => ({ job_id }));
    while (wanted && wanted.length > 0) {
      const answer = await this.documents.batchGet({ RequestItems: { [this.tableName]: { Keys: wanted } } });
      for (const item of answer.Responses?.[this.tableName] ?? []) found.set(item.job_id as string, item as EventItem);
      wanted = answer.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return keys.flatMap((key) => found.get(key) ?? []);
  }
}

function stored(item: EventItem): StoredEvent {
  return { event: JSON.parse(item.event) as MerchantEvent, payload: item.event, deliveries: item.deliveries ?? {} };
}

export function view({ event, deliveries }: StoredEvent): EventView {
  return { ...event, deliveries: Object.values(deliveries) };
}

// The cursor is the index position, opaque to callers; it names only event ids and times.
const encodeCursor = (position: Record<string, unknown>) => Buffer.from(JSON.stringify(position)).toString('base64url');
function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof position === 'object' && position !== null && Object.values(position).every((value) => typeof value === 'string')) return position as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ValidationError('The query is invalid', [{ path: 'starting_after', code: 'invalid_cursor', message: 'is not a cursor this API gave' }]);
}
