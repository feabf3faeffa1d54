/**
 * `npm run events:listen [-- --port 8787] [--secret whsec_…] [--forward-to <url>]`: a local webhook
 * receiver, like `stripe listen`. It verifies every delivery with the `standardwebhooks` library (as a
 * merchant's backend would), prints one line per event, answers 200 — or, with `--forward-to`, passes
 * the delivery on unchanged (body and signature headers) and answers what that URL answered. A
 * delivery that fails verification is answered 400 and printed as such.
 */
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { LOCAL_WEBHOOK } from '../local/stack';
import { option } from './stage-env';

const args = process.argv.slice(2);
const port = Number(option(args, 'port') ?? 8787);
const secret = option(args, 'secret') ?? process.env.S2S_VAULT_WEBHOOK_SECRET ?? LOCAL_WEBHOOK.secret;
const forwardTo = option(args, 'forward-to');
const verifier = new Webhook(secret);

/** The few fields that say what an event is about. */
function summary(data: Record<string, unknown>): string {
  const fields = ['job_id', 'status', 'payment_id', 'payment_method_id', 'customer_id'];
  return fields.filter((field) => typeof data[field] === 'string').map((field) => `${field}=${String(data[field])}`).join(' ');
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(req.headers[name] ?? '')]));
      let event: { id: string; type: string; data: Record<string, unknown> };
      try {
        event = verifier.verify(body, headers) as typeof event;
      } catch (error) {
        console.log(`${new Date().toISOString()}  ✗ refused ${headers['webhook-id'] || '(no webhook-id)'}: ${error instanceof Error ? error.message : 'not verified'}`);
        res.writeHead(400).end();
        return;
      }
      let status = 200;
      if (forwardTo) {
        status = await fetch(forwardTo, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } }).then(
          (response) => response.status,
          () => 502,
        );
      }
      console.log(`${new Date().toISOString()}  ✓ ${event.type.padEnd(22)} ${event.id}  ${summary(event.data)}${forwardTo ? `  → ${forwardTo} ${status}` : ''}`);
      res.writeHead(status).end();
    })();
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`Listening for s2s-vault events on http://127.0.0.1:${port}/ (signatures verified with standardwebhooks)${forwardTo ? `, forwarding to ${forwardTo}` : ''}. Ctrl-C stops.`);
});
process.once('SIGINT', () => server.close(() => process.exit(0)));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
