/**
 * What the simulator shows under `/__sim/inspect`: how many objects it holds, by what, and what it
 * served (requests by route, status and key, faults drawn, contract violations, connections, webhooks).
 */
import type { Violation } from './contract';
import type { FaultKind } from './faults';
import type { KeyKind } from './routes';
import type { PaymentSignals, SimulatorStore } from './store';
import type { WebhookSender } from './webhooks';

export interface ContractViolationRecord {
  direction: 'request' | 'response';
  route: string;
  violations: Violation[];
}

export interface Inspection {
  customers: number;
  payment_methods: number;
  payments: number;
  customers_by_reference: Record<string, number>;
  payment_methods_by_customer: Record<string, number>;
  payments_by_reference: Record<string, number>;
  token_requests: { network: number; psp: number };
  requests: Record<string, { total: number; by_status: Record<string, number>; by_key: Partial<Record<KeyKind, number>> }>;
  faults_injected: Record<FaultKind | 'rate_limited', number>;
  contract_violations: ContractViolationRecord[];
  /** Per payment id: the stored-credential signals it was made with. */
  payment_signals: Record<string, PaymentSignals>;
  connections: number;
  /** The outgoing webhooks sent, and the faults drawn for them. */
  webhooks: WebhookSender['sent'] | null;
}

/** What the simulator served, besides what its store holds. */
type Served = Pick<Inspection, 'requests' | 'faults_injected' | 'contract_violations' | 'connections' | 'webhooks'>;

const countBy = <T>(items: Iterable<T>, key: (item: T) => string | null | undefined) => {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const value = key(item);
    if (value) counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
};

export function inspectionOf(store: SimulatorStore, served: Served): Inspection {
  return {
    customers: store.customers.size,
    payment_methods: store.paymentMethods.size,
    payments: store.payments.size,
    customers_by_reference: countBy(store.customers.values(), (c) => c.merchant_reference_id),
    payment_methods_by_customer: countBy(store.paymentMethods.values(), (m) => m.customerId),
    payments_by_reference: countBy(store.payments.values(), (p) => p.merchantReferenceId),
    token_requests: { ...store.tokenRequests },
    payment_signals: store.paymentSignals(),
    ...served,
  };
}
