/**
 * A metering proxy in front of an AWS emulator: it forwards every request unchanged and counts them
 * by operation (the `X-Amz-Target` of the JSON protocols of DynamoDB and SQS) and, for DynamoDB, by
 * the kind of item (the key's prefix: a job, a payment method's hold `pm#`, an event `evt#`, a
 * Hyperswitch webhook receipt `hswh#`) with the capacity units the emulator reports. What the
 * benchmarks report per job is what the functions actually sent.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Tally {
  requests: number;
  /** DynamoDB capacity units (read or write) as the emulator computed them; 0 for SQS. */
  units: number;
}

export type ItemKind = 'job' | 'hold' | 'event' | 'receipt' | 'other';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const ITEM_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'Query']);

export function itemKind(key: string | undefined): ItemKind {
  if (key === undefined) return 'other';
  if (key.startsWith('pm#')) return 'hold';
  if (key.startsWith('evt#')) return 'event';
  if (key.startsWith('hswh#')) return 'receipt';
  return 'job';
}

/** The item a DynamoDB request names (its key's `job_id`), or the index a query reads. */
function keyOf(body: Record<string, unknown>): string | undefined {
  const item = (body.Key ?? body.Item) as Record<string, { S?: string }> | undefined;
  if (item?.job_id?.S) return item.job_id.S;
  if (typeof body.IndexName === 'string') return body.IndexName.startsWith('events') ? 'evt#' : undefined;
  return undefined;
}

export class Meter {
  /** By `operation` (SQS: `SendMessage`…; DynamoDB: `PutItem:job`…). */
  readonly counts = new Map<string, Tally>();
  /** SQS receives that returned messages: a Lambda event source mapping's empty polls are a fixed cost per queue, not per job. */
  nonEmptyReceives = 0;
  private server?: Server;

  private constructor(private readonly target: URL) {}

  static async start(target: string): Promise<Meter & { url: string }> {
    const meter = new Meter(new URL(target));
    const server = createServer((req, res) => meter.forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    meter.server = server;
    return Object.assign(meter, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  }

  reset(): void {
    this.counts.clear();
    this.nonEmptyReceives = 0;
  }

  /** DynamoDB writes (or reads) of these item kinds: requests and capacity units. */
  dynamoDb(kind: 'write' | 'read', items: ItemKind[]): Tally {
    const operations = kind === 'write' ? WRITES : READS;
    let requests = 0;
    let units = 0;
    for (const [name, tally] of this.counts) {
      const [operation, item] = name.split(':');
      if (!operations.has(operation!) || !items.includes(item as ItemKind)) continue;
      requests += tally.requests;
      units += tally.units;
    }
    return { requests, units };
  }

  /** Requests of these operations (e.g. SQS's). */
  requests(operations: string[]): number {
    return operations.reduce((sum, operation) => sum + (this.counts.get(operation)?.requests ?? 0), 0);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private count(name: string, units: number): void {
    const tally = this.counts.get(name) ?? { requests: 0, units: 0 };
    tally.requests += 1;
    tally.units += units;
    this.counts.set(name, tally);
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() || 'unknown';
      let body = Buffer.concat(chunks);
      let name = operation;
      const dynamoDb = String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB_');
      if (dynamoDb && (ITEM_OPERATIONS.has(operation) || operation === 'Scan')) {
        const parsed = JSON.parse(body.toString()) as Record<string, unknown>;
        name = `${operation}:${itemKind(keyOf(parsed))}`;
        // Ask the emulator for the capacity it consumed; the functions never read it.
        body = Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'TOTAL' }));
      }
      const headers = { ...req.headers, host: this.target.host, 'content-length': String(body.length) };
      const upstream = httpRequest({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          const text = Buffer.concat(parts);
          let units = 0;
          // A refused conditional write is still billed: one unit at least.
          if (dynamoDb && answer.statusCode === 400 && WRITES.has(operation)) units = 1;
          else if (dynamoDb && name.includes(':')) {
            try {
              units = Number((JSON.parse(text.toString()) as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 0);
            } catch {
              units = 0;
            }
          }
          if (operation === 'ReceiveMessage' && /"Messages":\[\{/.test(text.toString())) this.nonEmptyReceives += 1;
          this.count(name, units);
          res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(text.length) });
          res.end(text);
        });
      });
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  }
}
