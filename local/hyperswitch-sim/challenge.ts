import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorStore } from './store';

/**
 * The issuer's 3-D Secure page for a payment: Approve or Fail, usable by a person in a browser
 * (plain forms, no script) and by tests over HTTP (`POST` with `outcome=approve|fail`). After
 * the answer the shopper is sent to the payment's `return_url`, as an issuer's page would.
 */
export async function serveChallenge(req: IncomingMessage, res: ServerResponse, store: SimulatorStore, paymentId: string): Promise<void> {
  const payment = store.payments.get(paymentId)?.body;
  const returnUrl = typeof payment?.return_url === 'string' ? payment.return_url : undefined;
  // Browsers apply form-action to the redirect that follows the answer too: the return URL's origin must be allowed.
  const returnOrigin = returnUrl ? ` ${new URL(returnUrl).origin}` : '';
  const page = (status: number, body: string) => {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${returnOrigin}` });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>3-D Secure (simulator)</title></head><body>${body}</body></html>`);
  };
  if (!payment) return page(404, '<p>No such payment.</p>');
  if (req.method === 'GET') {
    if (payment.status !== 'requires_customer_action') return page(200, `<p>This payment is ${payment.status}.</p>`);
    const amount = payment.amount as { order_amount: number; currency: string };
    return page(
      200,
      `<h1>Confirm this payment</h1><p>${amount.order_amount} ${amount.currency} (minor units), simulated issuer.</p>` +
        `<form method="post"><input type="hidden" name="outcome" value="approve"><button type="submit">Approve</button></form>` +
        `<form method="post"><input type="hidden" name="outcome" value="fail"><button type="submit">Fail</button></form>`,
    );
  }
  if (req.method !== 'POST') return page(405, '<p>Method not allowed.</p>');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const outcome = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('outcome');
  if (outcome !== 'approve' && outcome !== 'fail') return page(400, '<p>Choose approve or fail.</p>');
  if (!store.completeChallenge(paymentId, outcome === 'approve')) return page(409, `<p>This payment is ${payment.status}.</p>`);
  if (returnUrl) {
    res.writeHead(303, { Location: returnUrl });
    return void res.end();
  }
  return page(200, `<p>Payment ${payment.status}. You can close this page.</p>`);
}
