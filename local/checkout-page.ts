/**
 * The checkout page of web/ on an origin of its own (as a merchant's page would be), served by
 * `npm start` at http://localhost:5173 (WEB_PORT). The page script is bundled by esbuild at start-up;
 * the page gets the API's address and the publishable key in two meta tags. Served under a strict
 * Content-Security-Policy: scripts and styles from this origin only, requests to the API only, no
 * form submission (the form is handled by script, and must never fall back to putting a card in a URL).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { listen } from './http-api';

const WEB = join(__dirname, '..', 'web');

export interface CheckoutPage {
  url: string;
  server: Server;
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The page's script as a browser loads it: one minified ES module. */
export async function bundleCheckoutScript(): Promise<string> {
  const result = await build({ entryPoints: [join(WEB, 'page.ts')], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

export async function startCheckoutPage({ port, apiBase, publishableKey }: { port: number; apiBase: string; publishableKey: string }): Promise<CheckoutPage> {
  const script = await bundleCheckoutScript();
  const html = readFileSync(join(WEB, 'index.html'), 'utf8').replace('{{API_BASE}}', escapeAttribute(apiBase)).replace('{{PUBLISHABLE_KEY}}', escapeAttribute(publishableKey));
  const css = readFileSync(join(WEB, 'checkout.css'), 'utf8');
  const apiOrigin = new URL(apiBase).origin;
  const headers = {
    'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src ${apiOrigin}; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', html],
    // Where the shopper comes back after 3-D Secure: the same page, which picks the job up again.
    '/return': ['text/html; charset=utf-8', html],
    '/checkout.js': ['text/javascript; charset=utf-8', script],
    '/checkout.css': ['text/css; charset=utf-8', css],
  };
  const server = createServer((req, res) => {
    const file = req.method === 'GET' ? files[new URL(req.url ?? '/', 'http://page').pathname] : undefined;
    if (!file) {
      res.writeHead(req.method === 'GET' ? 404 : 405, { ...headers, 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': file[0] }).end(file[1]);
  });
  const url = await listen(server, port);
  return { url: url.replace('127.0.0.1', 'localhost'), server };
}
