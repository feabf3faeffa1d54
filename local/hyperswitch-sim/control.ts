/**
 * The simulator's own API under `/__sim/` (outside Hyperswitch's): health, inspection, the journal,
 * the objects it holds, 3-D Secure challenges, reset, faults and scripted outcomes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { serveChallenge } from './challenge';
import { scriptedFaultSchema, type FaultConfigInput, type FaultInjector } from './faults';
import { readJson, send, sendError } from './http';
import type { JournalEntry, SimObjects } from './journal';
import type { Inspection } from './server';
import { SimError, type SimulatorStore } from './store';

/** What the control API reaches of a simulator. */
export interface ControlledSimulator {
  readonly faults: FaultInjector;
  /** The store as it is now (a reset replaces it). */
  currentStore(): SimulatorStore;
  journalEntries(): JournalEntry[];
  inspect(): Inspection;
  objects(): SimObjects;
  pendingChallenges(): Array<{ payment_id: string; url: string }>;
  reset(): void;
}

const scriptedOutcomesSchema = z.array(z.strictObject({ outcome: z.literal('processing'), settle_after_ms: z.number().int().min(0).max(600_000), settles_to: z.enum(['succeeded', 'failed']) }));

/** A body the route needs, or the error already answered. */
async function body(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const parsed = await readJson(req);
  if (!(parsed instanceof SimError)) return parsed;
  sendError(res, parsed);
  return undefined;
}

export async function serveControl(simulator: ControlledSimulator, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const challenge = /^\/__sim\/3ds\/([A-Za-z0-9_]+)$/.exec(pathname);
  if (challenge) return serveChallenge(req, res, simulator.currentStore(), challenge[1]!);
  const route = `${req.method} ${pathname}`;
  switch (route) {
    case 'GET /__sim/health':
      return send(res, 200, { status: 'ok' });
    case 'GET /__sim/inspect':
      return send(res, 200, simulator.inspect());
    case 'GET /__sim/journal':
      return send(res, 200, simulator.journalEntries());
    case 'GET /__sim/objects':
      return send(res, 200, simulator.objects());
    case 'GET /__sim/challenges':
      return send(res, 200, simulator.pendingChallenges());
    case 'POST /__sim/reset':
      simulator.reset();
      return send(res, 200, { status: 'reset' });
    case 'PUT /__sim/faults': {
      const config = await body(req, res);
      if (config === undefined) return;
      return send(res, 200, simulator.faults.configure(config as FaultConfigInput));
    }
    case 'POST /__sim/outcomes/script': {
      const outcomes = await body(req, res);
      if (outcomes === undefined) return;
      const store = simulator.currentStore();
      store.scriptedOutcomes.push(...scriptedOutcomesSchema.parse(outcomes).map((o) => ({ settleAfterMs: o.settle_after_ms, settlesTo: o.settles_to })));
      return send(res, 200, { pending: store.scriptedOutcomes.length });
    }
    case 'POST /__sim/faults/script': {
      const faults = await body(req, res);
      if (faults === undefined) return;
      simulator.faults.enqueue(z.array(scriptedFaultSchema).parse(faults));
      return send(res, 200, { pending: simulator.faults.pending });
    }
    default:
      return send(res, 404, { error: `unknown simulator route ${route}` });
  }
}
