/**
 * A local Hyperswitch v2 (the vault-flow subset) for development and tests: the HTTP routes, auth with
 * distinct vault and payment keys, request validation against the contract, fault injection and an
 * inspection API under `/__sim/` (outside Hyperswitch's API). It is a test double for Hyperswitch only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { ContractValidator } from './contract';
import { serveControl, type ControlledSimulator } from './control';
import { FaultInjector, type FaultConfigInput } from './faults';
import { readJson, send, sendError } from './http';
import { WebhookSender, type WebhookSettings } from './webhooks';
import { inspectionOf, type ContractViolationRecord, type Inspection } from './inspection';
import { objectsOf, touched, type JournalEntry, type SimObjects } from './journal';
import { match, type Body, type KeyKind } from './routes';
import { SimError, SimulatorStore } from './store';

export type { Inspection } from './inspection';
export type { JournalEntry, SimObjects } from './journal';

/** Clearly fake local values; override with HYPERSWITCH_SIM_* variables. */
export const SIM_DEFAULTS = {
  port: 8181,
  vaultApiKey: 'snd_local_fake_vault_key',
  paymentApiKey: 'snd_local_fake_payment_key',
  profileId: 'pro_local_fake_profile',
} as const;

export interface SimulatorOptions {
  port?: number;
  host?: string;
  vaultApiKey?: string;
  paymentApiKey?: string;
  profileId?: string;
  pspTokenization?: boolean;
  cvcTtlSeconds?: number;
  faults?: FaultConfigInput;
  /** Where to send Hyperswitch's outgoing webhooks for the payment changes it makes, signed with which hash key. */
  webhooks?: Omit<WebhookSettings, 'merchantId'>;
}

export class HyperswitchSimulator implements ControlledSimulator {
  readonly faults = new FaultInjector();
  readonly webhooks?: WebhookSender;
  private store: SimulatorStore;
  private readonly server: Server;
  private readonly serverContract: ContractValidator;
  private readonly specContract: ContractValidator;
  private readonly keys: Record<KeyKind, string>;
  private readonly profileId: string;
  private readonly held = new Set<NodeJS.Timeout>();
  private requests: Inspection['requests'] = {};
  private journal: JournalEntry[] = [];
  private violations: ContractViolationRecord[] = [];
  private connections = 0;

  constructor(private readonly options: SimulatorOptions = {}) {
    ({ spec: this.specContract, server: this.serverContract } = ContractValidator.load());
    this.keys = { vault: options.vaultApiKey ?? SIM_DEFAULTS.vaultApiKey, payment: options.paymentApiKey ?? SIM_DEFAULTS.paymentApiKey };
    if (this.keys.vault === this.keys.payment) throw new Error('The vault and payment API keys must differ');
    this.profileId = options.profileId ?? SIM_DEFAULTS.profileId;
    if (options.webhooks) this.webhooks = new WebhookSender({ ...options.webhooks, merchantId: 'merchant_sim' });
    this.store = this.newStore();
    if (options.faults) this.faults.configure(options.faults);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
    });
    this.server.on('connection', () => {
      this.connections += 1;
    });
  }

  async listen(): Promise<string> {
    const { port = SIM_DEFAULTS.port, host = '127.0.0.1' } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.url;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const timer of this.held) clearTimeout(timer);
    this.held.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.store = this.newStore();
    this.faults.reset();
    this.requests = {};
    this.journal = [];
    this.violations = [];
  }

  currentStore(): SimulatorStore {
    return this.store;
  }

  journalEntries(): JournalEntry[] {
    return this.journal;
  }

  /** The shopper's answer to a 3-D Secure challenge, for in-process tests (over HTTP: the challenge page). */
  completeChallengeForTests(paymentId: string, approved: boolean): boolean {
    return this.store.completeChallenge(paymentId, approved);
  }

  /** The 3-D Secure challenges waiting for a shopper: where each is answered. */
  pendingChallenges(): Array<{ payment_id: string; url: string }> {
    return [...this.store.payments.values()]
      .filter(({ body }) => body.status === 'requires_customer_action')
      .map(({ body }) => ({ payment_id: body.id as string, url: (body.next_action as { redirect_to_url: string }).redirect_to_url }));
  }

  objects(): SimObjects {
    return objectsOf(this.store);
  }

  inspect(): Inspection {
    return inspectionOf(this.store, {
      requests: structuredClone(this.requests),
      faults_injected: { ...this.faults.injected },
      contract_violations: structuredClone(this.violations),
      connections: this.connections,
      webhooks: this.webhooks ? { ...this.webhooks.sent } : null,
    });
  }

  private newStore(): SimulatorStore {
    return new SimulatorStore({
      pspTokenization: this.options.pspTokenization ?? true,
      cvcTtlSeconds: this.options.cvcTtlSeconds ?? 3600,
      challengeUrl: (paymentId) => `${this.url}/__sim/3ds/${paymentId}`,
      paymentChanged: (payment) => this.webhooks?.paymentChanged(payment),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `sim_${randomBytes(8).toString('hex')}`;
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname.startsWith('/__sim/')) return serveControl(this, req, res, url.pathname);

    const method = req.method ?? 'GET';
    const found = match(method, url.pathname);
    if (!found) return sendError(res, new SimError(404, 'IR_02', 'Unrecognized request URL'));
    const { route, params } = found;
    const routeKey = `${route.method} ${route.template}`;
    const stats = (this.requests[routeKey] ??= { total: 0, by_status: {}, by_key: {} });
    stats.total += 1;
    const entry: JournalEntry = { seq: this.journal.length, at: new Date().toISOString(), route: routeKey, request_id: requestId, ...touched(params, url.searchParams) };
    this.journal.push(entry);
    res.on('finish', () => {
      stats.by_status[res.statusCode] = (stats.by_status[res.statusCode] ?? 0) + 1;
      entry.outcome ??= res.statusCode;
    });

    if (this.faults.settings.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.settings.latencyMs));
    if (this.faults.rateLimited()) return this.tooManyRequests(res);

    const keyKind = this.authenticate(req.headers.authorization);
    if (!keyKind) return sendError(res, new SimError(401, 'IR_01', 'API key not provided or invalid API key used', 'invalid_request'));
    stats.by_key[keyKind] = (stats.by_key[keyKind] ?? 0) + 1;
    if (keyKind !== route.key) {
      return sendError(res, new SimError(403, 'IR_22', `Access forbidden: a ${keyKind} API key cannot call ${route.key} routes`));
    }
    const missing = this.serverContract.missingHeaders(route.method, route.template, req.headers);
    if (missing.length > 0) return sendError(res, new SimError(400, 'IR_04', `Missing required param: ${missing.join(', ')}`));
    const profile = req.headers['x-profile-id'];
    if (profile !== undefined && profile !== this.profileId) {
      return sendError(res, new SimError(403, 'IR_22', 'Access forbidden: the profile does not belong to this merchant'));
    }

    let body: Body = {};
    if (route.method === 'POST' || route.method === 'PUT') {
      const parsed = await readJson(req);
      if (parsed instanceof SimError) return sendError(res, parsed);
      const specViolations = this.specContract.validateRequestBody(route.method, route.template, parsed);
      if (specViolations.length > 0) this.violations.push({ direction: 'request', route: routeKey, violations: specViolations });
      const serverViolations = this.serverContract.validateRequestBody(route.method, route.template, parsed);
      if (serverViolations.length > 0) {
        const detail = serverViolations.map((v) => `${v.path} ${v.message}`).slice(0, 5).join('; ');
        return sendError(res, new SimError(400, 'IR_06', `Json deserialize error: ${detail}`));
      }
      body = parsed as Body;
      Object.assign(entry, touched(body));
    }

    const fault = this.faults.draw(routeKey);
    if (fault) entry.fault = fault;
    if (fault === 'latency_spike') await new Promise((resolve) => setTimeout(resolve, this.faults.settings.spikeMs));
    if (fault === 'server_error') return sendError(res, new SimError(500, 'HE_00', 'Something went wrong', 'api'));
    if (fault === 'rate_limit') return this.tooManyRequests(res);
    if (fault === 'reset') return this.dropConnection(req, entry);
    if (fault === 'timeout') return this.hold(req, entry);
    if (fault === 'connector_error') return sendError(res, new SimError(400, 'CE_00', 'Something went wrong with the connector', 'connector'));
    const act = () => {
      const result = route.handle(this.store, { params, query: url.searchParams, body });
      if (route.method !== 'GET' && typeof result.id === 'string') entry.acted_on = result.id;
      return result;
    };
    if (fault === 'late_commit') return this.commitLate(req, entry, act);

    let result: Body;
    try {
      result = act();
    } catch (error) {
      if (error instanceof SimError) return sendError(res, error);
      throw error;
    }
    if (fault === 'act_then_fail') return sendError(res, new SimError(500, 'HE_00', 'Something went wrong', 'api'));
    if (fault === 'act_then_timeout') return this.hold(req, entry);
    if (fault === 'act_then_reset') return this.dropConnection(req, entry);
    if (fault === 'malformed_response') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return void res.end('<html><body>502 Bad Gateway</body></html>');
    }

    const responseViolations = this.serverContract.validateResponseBody(route.method, route.template, 200, result);
    if (responseViolations.length > 0) this.violations.push({ direction: 'response', route: routeKey, violations: responseViolations });
    send(res, 200, result);
  }

  private authenticate(header: string | undefined): KeyKind | undefined {
    const key = /^api-key=(.+)$/.exec(header?.trim() ?? '')?.[1];
    if (key === this.keys.vault) return 'vault';
    if (key === this.keys.payment) return 'payment';
    return undefined;
  }

  private tooManyRequests(res: ServerResponse): void {
    res.setHeader('Retry-After', String(this.faults.settings.retryAfterSeconds));
    sendError(res, new SimError(429, 'HE_00', 'Too many requests, try again later', 'rate_limit'));
  }

  private dropConnection(req: IncomingMessage, entry: JournalEntry): void {
    entry.outcome = 'reset';
    req.socket.destroy();
  }

  /** No answer; the operation runs `lateCommitMs` after the request arrived, whether the client is still there or not. */
  private commitLate(req: IncomingMessage, entry: JournalEntry, act: () => Body): void {
    this.hold(req, entry);
    const timer = setTimeout(() => {
      this.held.delete(timer);
      try {
        act();
        entry.acted_at = new Date().toISOString();
      } catch (error) {
        if (!(error instanceof SimError)) console.error('hyperswitch-sim: late commit failed', error instanceof Error ? error.message : error);
      }
      req.socket.destroy();
    }, this.faults.settings.lateCommitMs);
    this.held.add(timer);
  }

  /** Keeps the request unanswered until the client gives up (or `holdMs` passes, then drops it). */
  private hold(req: IncomingMessage, entry: JournalEntry): void {
    entry.outcome = 'no_answer';
    const timer = setTimeout(() => {
      this.held.delete(timer);
      req.socket.destroy();
    }, this.faults.settings.holdMs);
    this.held.add(timer);
    req.socket.once('close', () => {
      clearTimeout(timer);
      this.held.delete(timer);
    });
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (error instanceof z.ZodError) {
      return send(res, 400, { error: 'invalid simulator control request', issues: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    }
    if (!res.headersSent) send(res, 500, { error: { type: 'api', message: 'Simulator failure', code: 'HE_00' } });
    console.error('hyperswitch-sim: unexpected failure', error instanceof Error ? error.message : error);
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<HyperswitchSimulator> {
  const simulator = new HyperswitchSimulator(options);
  await simulator.listen();
  return simulator;
}
