/** The simulator's JSON over HTTP: answers, and request bodies read with Hyperswitch's limits and errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from './store';

const MAX_BODY_BYTES = 1024 * 1024;

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Hyperswitch's error body, with the status the error carries. */
export function sendError(res: ServerResponse, error: SimError): void {
  send(res, error.status, { error: { type: error.type, message: error.message, code: error.code } });
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) return new SimError(400, 'IR_06', 'Content-Type must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return new SimError(400, 'IR_06', 'Payload too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return new SimError(400, 'IR_06', 'Json deserialize error: the body is not valid JSON');
  }
}
