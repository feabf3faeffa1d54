import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { EVENT_INDEXES } from '../../lib/events/store';

/** A real DynamoDB API (dynalite, in memory) with the jobs table, as serverless.yml declares it. */
export async function startJobsTable(tableName = 'jobs') {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const newClient = () => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const client = newClient();
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'job_id', AttributeType: 'S' }, ...EVENT_INDEXES.AttributeDefinitions],
      KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: EVENT_INDEXES.GlobalSecondaryIndexes.map((index) => ({ ...index, KeySchema: [...index.KeySchema], Projection: { ...index.Projection, NonKeyAttributes: [...index.Projection.NonKeyAttributes] } })),
    }),
  );
  return {
    client,
    /** Another client of the same table (e.g. one a test instruments with middleware). */
    newClient,
    tableName,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
