import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { dynamoDbClient, type DocumentTable } from '../../lib/aws';
import { EVENT_INDEXES } from '../../lib/events/store';

/** Region and credentials for the emulators (fake values: they check nothing). */
export const LOCAL_AWS = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

const OPERATIONS: Record<keyof DocumentTable, string> = { get: 'GetItem', put: 'PutItem', update: 'UpdateItem', delete: 'DeleteItem', query: 'Query', batchGet: 'BatchGetItem' };

/**
 * A table client that records the name of each operation it sends (`PutItem`…), in order; `around`
 * sends it, and may act before or after (a test racing another write against it).
 */
export function countingTable(table: DocumentTable, around = (_operation: string, send: () => Promise<unknown>) => send()): { table: DocumentTable; sent: string[] } {
  const sent: string[] = [];
  const counted = Object.fromEntries(
    Object.entries(OPERATIONS).map(([method, operation]) => [
      method,
      (input: never) => {
        sent.push(operation);
        return around(operation, () => table[method as keyof DocumentTable](input));
      },
    ]),
  ) as unknown as DocumentTable;
  return { table: counted, sent };
}

/** A real DynamoDB API (dynalite, in memory) with the jobs table, as serverless.yml declares it. */
export async function startJobsTable(tableName = 'jobs') {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await admin.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'job_id', AttributeType: 'S' }, ...EVENT_INDEXES.AttributeDefinitions],
      KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: EVENT_INDEXES.GlobalSecondaryIndexes.map((index) => ({ ...index, KeySchema: [...index.KeySchema], Projection: { ...index.Projection, NonKeyAttributes: [...index.Projection.NonKeyAttributes] } })),
    }),
  );
  return {
    /** The functions' client of the table. */
    client: dynamoDbClient({ ...LOCAL_AWS, AWS_ENDPOINT_URL_DYNAMODB: endpoint }),
    tableName,
    /** Every item in the table, as DynamoDB stores it. */
    scan: async () => (await admin.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [],
    async close() {
      admin.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
