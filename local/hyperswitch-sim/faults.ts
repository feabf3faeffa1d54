/**
 * Fault injection for the simulator, driven by tests: random faults at configured rates (seeded,
 * so a run can be replayed), scripted faults for the next matching requests, added latency, and a
 * rate limit like Hyperswitch's (80 requests/s by default in production; off here unless set).
 */
import * as z from 'zod';

export const FAULT_KINDS = [
  /** 500 before acting. */
  'server_error',
  /** 429 with Retry-After, nothing done. */
  'rate_limit',
  /** No answer, nothing done: the request hangs until the client gives up. */
  'timeout',
  /** The socket is destroyed before anything is done (a reset connection). */
  'reset',
  /** The operation is carried out, then a 500 is returned. */
  'act_then_fail',
  /** The operation is carried out, then no answer comes. */
  'act_then_timeout',
  /** The operation is carried out, then the socket is destroyed (a reset after the request was written). */
  'act_then_reset',
  /**
   * No answer; the operation is carried out `lateCommitMs` after the request arrived — after the
   * client gave up — then the socket is dropped. A real server does not stop because the client left.
   */
  'late_commit',
  /** 400 `CE_00`, as when the connector (PSP) fails the operation; nothing done. */
  'connector_error',
  /** 200 with a body that is not JSON (a proxy's error page), after acting. */
  'malformed_response',
  /** A latency spike of `spikeMs`, then the request is served normally. */
  'latency_spike',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const route = z.string().regex(/^(GET|POST|PUT|DELETE) \/v2\//, 'a route is "METHOD /v2/…" (a path template, e.g. GET /v2/customers/{id})');

export const faultConfigSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /** Probability per request of each fault kind; their sum must not exceed 1. */
  rates: z.partialRecord(z.enum(FAULT_KINDS), z.number().min(0).max(1)).default({}),
  /** Only these routes get random faults (all when absent). */
  routes: z.array(route).optional(),
  seed: z.number().int().default(1),
  /** Requests per second over all routes; more are answered 429 (not counted as an injected fault). */
  rateLimitPerSecond: z.number().positive().optional(),
  retryAfterSeconds: z.number().int().min(0).max(60).default(1),
  spikeMs: z.number().int().min(0).max(60_000).default(500),
  /** How long a `timeout` fault holds the request before dropping the socket. */
  holdMs: z.number().int().min(0).max(120_000).default(30_000),
  /** When a `late_commit` acts, counted from the request's arrival: set it past the client's timeout. */
  lateCommitMs: z.number().int().min(0).max(120_000).default(2_000),
});
export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

export const scriptedFaultSchema = z.strictObject({ kind: z.enum(FAULT_KINDS), route: route.optional() });
export type ScriptedFault = z.infer<typeof scriptedFaultSchema>;

/** mulberry32: a tiny seeded PRNG, so a seeded fault run is the same run every time. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: FaultConfig = faultConfigSchema.parse({});
  private random = seeded(1);
  private script: ScriptedFault[] = [];
  private bucket = { tokens: 0, updatedAt: 0 };
  readonly injected: Record<FaultKind | 'rate_limited', number> = {
    server_error: 0,
    rate_limit: 0,
    timeout: 0,
    reset: 0,
    act_then_fail: 0,
    act_then_timeout: 0,
    act_then_reset: 0,
    late_commit: 0,
    connector_error: 0,
    malformed_response: 0,
    latency_spike: 0,
    rate_limited: 0,
  };

  configure(input: FaultConfigInput): FaultConfig {
    const config = faultConfigSchema.parse(input);
    const total = Object.values(config.rates).reduce((sum, rate) => sum + (rate ?? 0), 0);
    if (total > 1) throw new z.ZodError([{ code: 'custom', path: ['rates'], message: 'the rates add up to more than 1', input }]);
    this.config = config;
    this.random = seeded(config.seed);
    this.bucket = { tokens: config.rateLimitPerSecond ?? 0, updatedAt: Date.now() };
    return config;
  }

  enqueue(faults: ScriptedFault[]): void {
    this.script.push(...faults);
  }

  reset(): void {
    this.configure({});
    this.script = [];
    for (const kind of Object.keys(this.injected) as Array<keyof typeof this.injected>) this.injected[kind] = 0;
  }

  get settings(): FaultConfig {
    return this.config;
  }

  get pending(): number {
    return this.script.length;
  }

  /** Whether the rate limit refuses this request (token bucket refilled at `rateLimitPerSecond`). */
  rateLimited(): boolean {
    const perSecond = this.config.rateLimitPerSecond;
    if (!perSecond) return false;
    const now = Date.now();
    this.bucket.tokens = Math.min(perSecond, this.bucket.tokens + ((now - this.bucket.updatedAt) / 1000) * perSecond);
    this.bucket.updatedAt = now;
    if (this.bucket.tokens >= 1) {
      this.bucket.tokens -= 1;
      return false;
    }
    this.injected.rate_limited += 1;
    return true;
  }

  /** The fault for this request, if any: a scripted one first, then a random draw. */
  draw(routeKey: string): FaultKind | undefined {
    const index = this.script.findIndex((fault) => !fault.route || fault.route === routeKey);
    let kind: FaultKind | undefined;
    if (index >= 0) {
      kind = this.script[index]!.kind;
      this.script.splice(index, 1);
    } else if (!this.config.routes || this.config.routes.includes(routeKey)) {
      let roll = this.random();
      for (const candidate of FAULT_KINDS) {
        const rate = this.config.rates[candidate] ?? 0;
        if (roll < rate) {
          kind = candidate;
          break;
        }
        roll -= rate;
      }
    }
    if (kind) this.injected[kind] += 1;
    return kind;
  }
}
