/** The AWS emulators of the local stack: SQS (fauxqs) and DynamoDB (dynalite), each on a port. */
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { listen } from './http-api';

export async function startSqsEmulator(port: number) {
  // fauxqs is ESM-only: loaded with import() so this file also runs where modules are CommonJS.
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port, logger: false });
  return { server, url: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

export async function startDynamoDbEmulator(port: number) {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const url = await listen(server, port);
  return { url, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
