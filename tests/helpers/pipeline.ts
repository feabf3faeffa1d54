/**
 * The vault pipeline against real pieces in the test's process: the job store on DynamoDB (dynalite),
 * the Hyperswitch client over HTTP to the simulator, keys through the local Secrets Manager. Crashes
 * are injected by wrapping the real store. `usePipelineStack()` starts them for one test file; the
 * exports below are theirs once it has.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataKeys } from '../../lib/crypto';
import {
  DEFAULT_MAX_CHARGE_AMOUNT,
  DynamoDbJobStore,
  RetryLaterError,
  runVaultJob,
  SimulatedCrash,
  sealVaultJob,
  vaultRequestSchema,
  type JobStore,
  type PipelineDeps,
  type VaultJobMessage,
} from '../../lib/jobs';
import { validCheckout } from '../fixtures/checkouts';
import { startJobsTable } from './dynamo';
import { startHyperswitchStack, type HyperswitchStack } from './hyperswitch';

export const keys: DataKeys = { current_key_id: 'k1', keys: { k1: randomBytes(32).toString('base64') }, hmac_key: randomBytes(32).toString('base64') };

export let hyperswitch: HyperswitchStack;
export let table: Awaited<ReturnType<typeof startJobsTable>>;
export let store: DynamoDbJobStore;

/** The simulator and the job table for this test file, the simulator reset before each test. */
export function usePipelineStack(): void {
  beforeAll(async () => {
    [hyperswitch, table] = await Promise.all([startHyperswitchStack({ timeoutMs: 500 }), startJobsTable()]);
    store = new DynamoDbJobStore(table.tableName, table.client);
  });
  afterAll(async () => Promise.all([hyperswitch.close(), table.close()]));
  beforeEach(() => hyperswitch.simulator.reset());
}

export function deps(overrides: Partial<PipelineDeps> = {}): PipelineDeps {
  return { store, vault: hyperswitch.vault, payments: hyperswitch.payments, dataKeys: async () => keys, log: hyperswitch.log, leaseMs: 5_000, intentFreshMs: 2_000, settleMs: 0, offSessionRequiresSetup: true, verificationCurrency: 'USD', actionWindowMs: 60_000, ...overrides };
}

/** A merchant-initiated charge (300 EUR, the shopper absent) of the card `saved` saved, for its customer. */
export async function chargeOf(saved: VaultJobMessage): Promise<VaultJobMessage> {
  const { steps } = (await store.get(saved.job_id))!;
  return { schema: 'vault-job/v1', job_id: `job-${randomUUID()}`, customer: { customer_id: steps.customer.customer_id! }, payment_method_id: steps.payment_method.payment_method_id!, charge: { amount: 300, currency: 'EUR' }, customer_present: false };
}

/** A redelivery once an earlier create whose outcome was lost can no longer commit (here settleMs is 0, intentFreshMs 2 s). */
export const pastSettle = () => deps({ clock: () => Date.now() + 2_001 });

export function job(body: Record<string, unknown> = {}): VaultJobMessage {
  const request = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse({ ...validCheckout(), ...body });
  return sealVaultJob(`job-${randomUUID()}`, request, keys).message;
}

export const inspect = () => hyperswitch.simulator.inspect();

type StoreMethod = (...args: never[]) => Promise<unknown>;

/** The real store with some of its methods wrapped: each wrapper is given the real method. */
export function storeWith(wrappers: Partial<Record<keyof JobStore, (real: StoreMethod) => StoreMethod>>): JobStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      const wrap = wrappers[property as keyof JobStore];
      return wrap && typeof value === 'function' ? wrap((value as StoreMethod).bind(target)) : value;
    },
  });
}

/** A run's crash point that kills it at `point` (a `SimulatedCrash`), every time it is reached. */
export const killedAt = (point: string) => (reached: string) => {
  if (reached === point) throw new SimulatedCrash(reached);
};

/** The real store, made to fail once at the named write. */
export function crashingStore(at: { method: 'checkpoint' | 'finish' | 'release' }): JobStore {
  let crashed = false;
  return storeWith({
    [at.method]: (real: StoreMethod) => async (...args: never[]) => {
      if (!crashed) {
        crashed = true;
        throw new Error(`injected crash before ${at.method}`);
      }
      return real(...args);
    },
  });
}

/**
 * A run killed at `point`; a redelivery while its lease holds, told to come back later — unless the
 * job's end had landed (`endLanded`: that one only finishes what the end leaves, its events); one
 * after the lease, which ends the job.
 */
export async function killedThenRedelivered(message: VaultJobMessage, point: string, delivery: { first?: boolean }, endLanded: boolean) {
  const start = Date.now();
  let crashed = false;
  const crashOnce = (at: string) => {
    if (at === point && !crashed) {
      crashed = true;
      throw new SimulatedCrash(at);
    }
  };
  await expect(runVaultJob(message, deps({ crashPoint: crashOnce, clock: () => start }), delivery)).rejects.toBeInstanceOf(SimulatedCrash);
  const early = runVaultJob(message, deps({ clock: () => start + 1 }));
  await (endLanded ? expect(early).resolves.toMatchObject({ duplicate: true }) : expect(early).rejects.toBeInstanceOf(RetryLaterError));
  await expect(runVaultJob(message, deps({ clock: () => start + 5_001 }))).resolves.toEqual({ status: 'succeeded', duplicate: endLanded });
}
