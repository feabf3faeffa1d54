import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { endpointProblem, isNonPublicAddress, parseEndpoints, post, retryDelaySeconds, signedHeaders } from '../../../../lib/events';

// Fake secrets in the whsec_ format (base64 of 24+ bytes).
const current = `whsec_${Buffer.from('unit-test-fake-secret-current-01').toString('base64')}`;
const previous = `whsec_${Buffer.from('unit-test-fake-secret-previous-1').toString('base64')}`;

describe('signing (Standard Webhooks)', () => {
  const payload = JSON.stringify({ id: 'evt_0123', type: 'job.succeeded', created_at: '2026-11-27T10:00:00.000Z', data: { job_id: 'job_x' } });
  const at = new Date();

  it('is verified by the standardwebhooks library, as a merchant verifies it', () => {
    const headers = signedHeaders('evt_0123', payload, [current], at);
    expect(headers['webhook-id']).toBe('evt_0123');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(new Webhook(current).verify(payload, headers)).toEqual(JSON.parse(payload));
  });

  it('carries one signature per secret during a rotation, so either secret verifies', () => {
    const headers = signedHeaders('evt_0123', payload, [current, previous], at);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(payload, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(payload, headers)).not.toThrow();
  });

  it('fails verification for a changed body, another secret or an old timestamp', () => {
    const headers = signedHeaders('evt_0123', payload, [current], at);
    expect(() => new Webhook(current).verify(payload.replace('job_x', 'job_y'), headers)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.from('unit-test-fake-secret-another-01').toString('base64')}`).verify(payload, headers)).toThrow();
    const stale = signedHeaders('evt_0123', payload, [current], new Date(Date.now() - 10 * 60_000));
    expect(() => new Webhook(current).verify(payload, stale)).toThrow();
  });
});

describe('endpoints (SSRF)', () => {
  it.each(['10.1.2.3', '127.0.0.1', '169.254.169.254', '172.16.0.9', '192.168.1.1', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', 'not-an-ip'])('treats %s as non-public', (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('treats %s as public', (address) => {
    expect(isNonPublicAddress(address)).toBe(false);
  });

  it('wants HTTPS to a public host outside the local stage', () => {
    const strict = { allowPrivate: false };
    expect(endpointProblem('https://hooks.merchant.example/s2s', strict)).toBeUndefined();
    expect(endpointProblem('http://hooks.merchant.example/s2s', strict)).toBe('must be https');
    expect(endpointProblem('https://169.254.169.254/latest/meta-data', strict)).toMatch(/private, loopback or link-local/);
    expect(endpointProblem('https://[::1]:8443/', strict)).toMatch(/private, loopback or link-local/);
    expect(endpointProblem('https://user:pass@hooks.merchant.example/', strict)).toBe('must not carry credentials');
    expect(endpointProblem('http://127.0.0.1:8787/', { allowPrivate: true })).toBeUndefined();
  });

  it('refuses a configuration with a bad endpoint at start-up, naming it', () => {
    expect(() => parseEndpoints('[{"url": "http://10.0.0.5/hook"}]', { allowPrivate: false })).toThrow('WEBHOOK_ENDPOINTS[0].url must be https');
    expect(() => parseEndpoints('[{"url": "https://hooks.merchant.example/", "events": ["job.exploded"]}]', { allowPrivate: false })).toThrow();
    expect(parseEndpoints('', { allowPrivate: false })).toEqual([]);
  });

  it('never connects to a name that resolves to a private address', async () => {
    // localhost passes the URL check (a name) but resolves to 127.0.0.1: refused before any connection.
    let connections = 0;
    const server = createServer((_, res) => res.end());
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    try {
      const refused = await post(`https://localhost:${port}/`, '{}', {}, { timeoutMs: 1000, allowPrivate: false });
      expect(refused).toEqual({ error: 'refused_address' });
      expect(connections).toBe(0);
      // The same endpoint where private addresses are allowed (the local stage) is reached.
      expect(await post(`http://127.0.0.1:${port}/`, '{}', {}, { timeoutMs: 1000, allowPrivate: true })).toEqual({ status: 200 });
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  });
});

describe('the retry schedule', () => {
  const schedule = [30, 120, 600];
  it('follows the schedule with ±20 % jitter, and stays at its last delay', () => {
    expect(retryDelaySeconds(1, schedule, () => 0.5)).toBe(30);
    expect(retryDelaySeconds(2, schedule, () => 0)).toBe(96);
    expect(retryDelaySeconds(2, schedule, () => 1)).toBe(144);
    expect(retryDelaySeconds(7, schedule, () => 0.5)).toBe(600);
  });
});
