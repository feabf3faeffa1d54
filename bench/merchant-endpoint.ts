/** The merchant's webhook endpoint in a benchmark: a healthy one, taking every event (204) and counting them. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MerchantEndpoint {
  url: string;
  received: () => number;
  close: () => Promise<void>;
}

export async function merchantEndpoint(): Promise<MerchantEndpoint> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
