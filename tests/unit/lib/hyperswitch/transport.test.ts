import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import {
  HyperswitchConnectionError,
  HyperswitchInvalidRequestError,
  HyperswitchServerError,
  HyperswitchTimeoutError,
  HyperswitchTransport,
  HyperswitchUnexpectedResponseError,
  onTheWire,
  RateLimiter,
} from '../../../../lib/hyperswitch';
import type { HttpAnswer, HttpRequest, HttpSend } from '../../../../lib/hyperswitch/http';
import { recordingLog } from '../../../helpers/log';
import { capturedMetrics } from '../../../helpers/metrics';

const credentials = { apiKey: 'snd_local_fake_key', profileId: 'pro_fake' };
const responseSchema = z.object({ id: z.string() });
const requestSchema = z.strictObject({ card_number: z.string().regex(/^\d{12,19}$/) });

type Answer = HttpAnswer | Error | ((request: HttpRequest) => Promise<HttpAnswer>);

/** Each request the fake sends is whole on the wire before it answers or fails (a real socket's tests below cover one that is not). */
function harness(answers: Answer[], options: { timeoutMs?: number; rateLimiter?: RateLimiter } = {}) {
  const calls: Array<{ url: string; request: HttpRequest }> = [];
  const sleeps: number[] = [];
  const log = recordingLog();
  const send: HttpSend = async (url, request, bodySent) => {
    calls.push({ url: String(url), request });
    bodySent();
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return typeof answer === 'function' ? answer(request) : answer;
  };
  const transport = new HyperswitchTransport({
    baseUrl: 'https://hyperswitch.test',
    timeoutMs: options.timeoutMs ?? 1000,
    rateLimiter: options.rateLimiter,
    log,
    send,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  return { transport, calls, sleeps, log };
}

const answer = (status: number, body: string, headers: Record<string, string> = {}): HttpAnswer => ({ status, body, header: (name) => headers[name.toLowerCase()] });
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => answer(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
const networkError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

const get = { operation: 'things.retrieve', method: 'GET' as const, path: '/v2/things/1', responseSchema };
const post = { operation: 'things.create', method: 'POST' as const, path: '/v2/things', body: { card_number: '4242424242424242' }, requestSchema, responseSchema };

describe('HyperswitchTransport', () => {
  it('sends the API key, the profile and a JSON body, and returns the parsed answer', async () => {
    const { transport, calls } = harness([json(200, { id: 'thing_1', ignored: true }, { 'x-request-id': 'req_1' })]);
    await expect(transport.send({ ...post, query: { a: 'b' } }, credentials)).resolves.toEqual({ id: 'thing_1' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('https://hyperswitch.test/v2/things?a=b');
    expect(calls[0]!.request.headers).toMatchObject({
      Authorization: 'api-key=snd_local_fake_key',
      'X-Profile-Id': 'pro_fake',
      'Content-Type': 'application/json',
    });
    expect(JSON.parse(String(calls[0]!.request.body))).toEqual({ card_number: '4242424242424242' });
  });

  it('uses the base URL the credentials carry', async () => {
    const { transport, calls } = harness([json(200, { id: 'x' })]);
    await transport.send(get, { ...credentials, baseUrl: 'http://127.0.0.1:8181' });
    expect(calls[0]!.url).toBe('http://127.0.0.1:8181/v2/things/1');
  });

  it('logs method, path, status, duration and request id — never the body or the key', async () => {
    const { transport, log } = harness([json(200, { id: 'thing_1' }, { 'x-request-id': 'req_9' })]);
    await transport.send(post, credentials);
    expect(log.entries).toHaveLength(1);
    const [entry] = log.entries;
    expect(entry!.message).toBe('Hyperswitch call');
    expect(entry!.extra[0]).toMatchObject({ operation: 'things.create', method: 'POST', path: '/v2/things', status: 200, requestId: 'req_9', retry: 0 });
    expect(typeof (entry!.extra[0] as { durationMs: unknown }).durationMs).toBe('number');
    expect(log.text()).not.toContain('4242424242424242');
    expect(log.text()).not.toContain('snd_local_fake_key');
  });

  it('rejects an invalid request before sending it, naming fields only', async () => {
    const { transport, calls } = harness([]);
    const bad = { ...post, body: { card_number: '4242424242424242-1', extra: 1 } };
    const error = await transport.send(bad, credentials).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchInvalidRequestError);
    expect((error as Error).message).toBe('Hyperswitch things.create request rejected before sending: invalid card_number, (root)');
    expect(calls).toHaveLength(0);
  });

  it('retries a GET on 5xx with backoff, then succeeds', async () => {
    const { transport, calls, sleeps } = harness([json(503, {}), json(500, {}), json(200, { id: 'x' })]);
    await expect(transport.send(get, credentials)).resolves.toEqual({ id: 'x' });
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up after the retry budget', async () => {
    const { transport, calls } = harness([json(503, {}), json(503, {}), json(503, {})]);
    await expect(transport.send(get, credentials)).rejects.toBeInstanceOf(HyperswitchServerError);
    expect(calls).toHaveLength(3);
  });

  it('counts each call by operation and status class, with its latency, and each retry', async () => {
    const { transport } = harness([json(500, { error: { code: 'HE_00' } }), json(200, { id: 'thing_1' })]);
    const emitted = await capturedMetrics(() => transport.send(get, credentials));
    expect(emitted.map(({ name, dimensions }) => [name, dimensions.operation, dimensions.status])).toEqual([
      ['HyperswitchCalls', undefined, '5xx'],
      ['HyperswitchCallsByOperation', 'things.retrieve', '5xx'],
      ['HyperswitchLatency', 'things.retrieve', undefined],
      ['HyperswitchRetries', 'things.retrieve', undefined],
      ['HyperswitchCalls', undefined, '2xx'],
      ['HyperswitchCallsByOperation', 'things.retrieve', '2xx'],
      ['HyperswitchLatency', 'things.retrieve', undefined],
    ]);
  });

  it('records how long a call waited for the rate limiter, and nothing for a call that did not wait', async () => {
    let now = 0;
    const rateLimiter = new RateLimiter(1, () => now, async (ms) => {
      now += ms;
    });
    const { transport } = harness([json(200, { id: 'a' }), json(200, { id: 'b' })], { rateLimiter });
    const waits = async () => (await capturedMetrics(() => transport.send(get, credentials))).filter(({ name }) => name === 'RateLimiterWait');
    expect(await waits()).toEqual([]);
    expect(await waits()).toEqual([{ name: 'RateLimiterWait', value: 1000, dimensions: { service: 's2s-vault', stage: 'local' } }]);
  });

  it('does not repeat a POST that may have been acted on', async () => {
    const { transport, calls } = harness([json(500, { error: { code: 'HE_00', message: 'boom' } })]);
    const error = await transport.send(post, credentials).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchServerError);
    expect((error as HyperswitchServerError).outcomeUnknown).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('repeats a POST with a reference once on a reset socket, and any POST when the connection was never made', async () => {
    const withReference = { ...post, resendSafe: true };
    const reset = harness([networkError('ECONNRESET'), json(200, { id: 'x' })]);
    await expect(reset.transport.send(withReference, credentials)).resolves.toEqual({ id: 'x' });
    expect(reset.calls).toHaveLength(2);

    const twice = harness([networkError('EPIPE'), networkError('ECONNRESET')]);
    const error = await twice.transport.send(withReference, credentials).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchConnectionError);
    expect(error).toMatchObject({ connectionReset: true, outcomeUnknown: true });
    expect(twice.calls).toHaveLength(2);

    const refused = harness([networkError('ECONNREFUSED'), json(200, { id: 'y' })]);
    await expect(refused.transport.send(post, credentials)).resolves.toEqual({ id: 'y' });
  });

  // The reset-after-write case: Hyperswitch may have acted, and a create without a reference
  // (a payment method) cannot be told apart from a second one. It goes back to the caller.
  it('does not repeat a POST without a reference after a reset: its outcome is unknown', async () => {
    const { transport, calls } = harness([networkError('ECONNRESET'), json(200, { id: 'x' })]);
    const error = await transport.send(post, credentials).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HyperswitchConnectionError', connectionReset: true, outcomeUnknown: true });
    expect(calls).toHaveLength(1);
  });

  it('times out a request that gets no answer', async () => {
    const hang = (request: HttpRequest) =>
      new Promise<HttpAnswer>((_, reject) => request.signal!.addEventListener('abort', () => reject(request.signal!.reason)));
    const { transport } = harness([hang], { timeoutMs: 20 });
    const error = await transport.send(post, credentials).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperswitchTimeoutError);
    expect(error).toMatchObject({ outcomeUnknown: true, retryable: true });
  });

  it('reports a success that is not JSON, or not the expected shape, as unexpected', async () => {
    const notJson = harness([answer(200, '<html>')]);
    await expect(notJson.transport.send(get, credentials)).rejects.toThrow(
      new HyperswitchUnexpectedResponseError('Hyperswitch things.retrieve answered 200 with a body that is not JSON', { operation: 'x' }),
    );
    const wrongShape = harness([json(200, { id: 42 })]);
    await expect(wrongShape.transport.send(get, credentials)).rejects.toThrow('answered 200 with an unexpected body: invalid id');
  });
});

describe('HyperswitchTransport over a real socket', () => {
  async function server(onRequest: (req: IncomingMessage, res: ServerResponse) => void, { timeoutMs = 2000, log = recordingLog() } = {}) {
    const requests: number[] = [];
    const connections: number[] = [];
    const http = createServer((req, res) => {
      requests.push(requests.length);
      onRequest(req, res);
    });
    http.on('connection', () => connections.push(connections.length));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(http.address() as AddressInfo).port}`;
    const transport = new HyperswitchTransport({ baseUrl: `http://${address}`, timeoutMs, log, sleep: async () => undefined });
    return {
      transport,
      address,
      requests,
      connections,
      close: () => {
        http.closeAllConnections();
        return new Promise((resolve) => http.close(resolve));
      },
    };
  }
  const bigPost = { ...post, body: { blob: 'x'.repeat(8 * 1024 * 1024) }, requestSchema: undefined };

  it('treats a reset after the whole body was written as outcome-unknown and does not repeat it', async () => {
    const { transport, requests, close } = await server((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    const error = await transport.send(post, credentials).catch((e: unknown) => e);
    await close();
    expect(error).toMatchObject({ name: 'HyperswitchConnectionError', outcomeUnknown: true });
    expect(requests).toHaveLength(1);
  });

  it('repeats a POST whose socket failed before its body was written: it provably never left', async () => {
    let first = true;
    const { transport, requests, close } = await server((req, res) => {
      if (first) {
        first = false;
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'sent_once' })));
    });
    const answer = await transport.send(bigPost, credentials);
    await close();
    expect(answer).toEqual({ id: 'sent_once' });
    expect(requests).toHaveLength(2);
  });

  const answerJson = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) => res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

  it('keeps the connection alive from one call to the next, and reads the answer\'s headers', async () => {
    let calls = 0;
    const log = recordingLog();
    const { transport, connections, close } = await server((req, res) => {
      req.resume();
      req.on('end', () => answerJson(res, { id: `thing_${++calls}` }, { 'x-request-id': `req_${calls}` }));
    }, { log });
    await expect(transport.send(post, credentials)).resolves.toEqual({ id: 'thing_1' });
    await expect(transport.send(get, credentials)).resolves.toEqual({ id: 'thing_2' });
    await close();
    expect(connections).toHaveLength(1);
    expect(log.entries.map((entry) => (entry.extra[0] as { requestId: string }).requestId)).toEqual(['req_1', 'req_2']);
  });

  it('times out an answer that starts but never ends: the timeout covers its body too', async () => {
    const { transport, close } = await server((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' }).write('{"id":'));
    }, { timeoutMs: 100 });
    const error = await transport.send(get, credentials).catch((e: unknown) => e);
    await close();
    expect(error).toBeInstanceOf(HyperswitchTimeoutError);
  });

  it('reports an answer cut short by the server as a failed connection whose outcome is unknown', async () => {
    const { transport, requests, close } = await server((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' }).write('{"id":');
        setTimeout(() => req.socket.destroy(), 10);
      });
    });
    const error = await transport.send(post, credentials).catch((e: unknown) => e);
    await close();
    expect(error).toMatchObject({ name: 'HyperswitchConnectionError', connectionReset: true, outcomeUnknown: true });
    expect(requests).toHaveLength(1);
  });

  it('speaks TLS to an https base URL: a plain HTTP server never sees a request', async () => {
    const { transport, address, requests, close } = await server((_, res) => answerJson(res, { id: 'plain' }));
    const error = await transport.send(get, { ...credentials, baseUrl: `https://${address}` }).catch((e: unknown) => e);
    await close();
    expect(error).toBeInstanceOf(HyperswitchConnectionError);
    // The TLS handshake met a plain HTTP answer.
    expect((error as HyperswitchConnectionError).cause).toMatchObject({ code: 'EPROTO' });
    expect(requests).toHaveLength(0);
  });

  describe('onTheWire', () => {
    it('tells when the request is whole on the wire, before any answer', async () => {
      let answer: () => void = () => undefined;
      const release = new Promise<void>((resolve) => {
        answer = resolve;
      });
      const { transport, close } = await server((req, res) => {
        req.resume();
        req.on('end', () => void release.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'answered' }))));
      });
      let answered = false;
      const { value, sent } = onTheWire(() => transport.send(post, credentials).finally(() => (answered = true)));
      await sent;
      // Sent, and the server holds its answer until now: the signal came from the socket, not the answer.
      expect(answered).toBe(false);
      answer();
      await expect(value).resolves.toEqual({ id: 'answered' });
      await close();
    });

    it('settles when the work does without a request, or fails before one', async () => {
      await expect(onTheWire(async () => 'no call').sent).resolves.toBeUndefined();
      const { transport, requests, close } = await server((_, res) => res.end());
      const invalid = onTheWire(() => transport.send({ ...post, body: { card_number: 'not a number' } }, credentials));
      await expect(invalid.sent).resolves.toBeUndefined();
      await expect(invalid.value).rejects.toBeInstanceOf(HyperswitchInvalidRequestError);
      await close();
      expect(requests).toHaveLength(0);
    });
  });
});
