/** The simulator's journal of requests and its object dump: the fault suite's evidence. */
import type { FaultKind } from './faults';
import type { SimulatorStore } from './store';

/**
 * One request to the simulated API, for the fault suite's evidence: what it touched (ids only, never a
 * card), the fault it drew, how it ended, and the object it created or changed if it acted.
 */
export interface JournalEntry {
  seq: number;
  at: string;
  route: string;
  /** The `x-request-id` the answer carries (our client logs it with the job id). */
  request_id: string;
  customer_id?: string;
  payment_method_id?: string;
  reference?: string;
  fault?: FaultKind;
  /** The HTTP status sent, or how the request ended without one. */
  outcome?: number | 'no_answer' | 'reset';
  /** The id of what the request created or changed, when it acted. */
  acted_on?: string;
  /** When it acted, if later than `at` (a late commit). */
  acted_at?: string;
}

/** Every object the simulator holds, as ids and masked facts: what the fault suite compares with the job store. */
export interface SimObjects {
  customers: Array<{ id: string; merchant_reference_id: string; created_at: string }>;
  payment_methods: Array<{ id: string; customer_id: string; created: string; last4: string; exp_month: string; exp_year: string }>;
  payments: Array<{ id: string; customer_id: string; merchant_reference_id: string | null; status: string; payment_method_id: string }>;
}

/** The ids a request names, from its path parameters, query or body. */
export function touched(source: Record<string, unknown> | URLSearchParams, query?: URLSearchParams): Partial<JournalEntry> {
  const read = (name: string) => {
    const value = source instanceof URLSearchParams ? source.get(name) : source[name];
    return typeof value === 'string' ? value : undefined;
  };
  const id = read('id');
  const found: Partial<JournalEntry> = {
    customer_id: read('customer_id') ?? query?.get('customer_id') ?? (id?.includes('_cus_') ? id : undefined),
    payment_method_id: read('payment_method_id') ?? (id?.includes('_pm_') ? id : undefined),
    reference: read('merchant_reference_id'),
  };
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined));
}

export function objectsOf(store: SimulatorStore): SimObjects {
  return {
    customers: [...store.customers.values()].map(({ id, merchant_reference_id, created_at }) => ({ id, merchant_reference_id, created_at })),
    payment_methods: [...store.paymentMethods.values()].map((m) => ({ id: m.id, customer_id: m.customerId, created: m.created, last4: m.last4, exp_month: m.expMonth, exp_year: m.expYear })),
    payments: [...store.payments.values()].map(({ body, merchantReferenceId }) => ({
      id: body.id as string,
      customer_id: body.customer_id as string,
      merchant_reference_id: merchantReferenceId,
      status: body.status as string,
      payment_method_id: body.payment_method_id as string,
    })),
  };
}
