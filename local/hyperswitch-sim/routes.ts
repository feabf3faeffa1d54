/** The Hyperswitch v2 routes the simulator serves (the vault-flow subset), each with the API key kind it takes. */
import type { SimulatorStore } from './store';

export type KeyKind = 'vault' | 'payment';
export type Body = Record<string, unknown>;

interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Body;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  template: string;
  key: KeyKind;
  handle: (store: SimulatorStore, context: RouteContext) => Body;
}

const ROUTES: Route[] = [
  { method: 'POST', template: '/v2/customers', key: 'vault', handle: (s, c) => s.createCustomer(c.body) },
  { method: 'GET', template: '/v2/customers/reference/{merchant_reference_id}', key: 'vault', handle: (s, c) => s.getCustomerByReference(c.params.merchant_reference_id!) },
  { method: 'GET', template: '/v2/customers/{id}/saved-payment-methods', key: 'vault', handle: (s, c) => s.listSavedPaymentMethods(c.params.id!) },
  { method: 'GET', template: '/v2/customers/{id}', key: 'vault', handle: (s, c) => s.getCustomer(c.params.id!) },
  { method: 'PUT', template: '/v2/customers/{id}', key: 'vault', handle: (s, c) => s.updateCustomer(c.params.id!, c.body) },
  { method: 'DELETE', template: '/v2/customers/{id}', key: 'vault', handle: (s, c) => s.deleteCustomer(c.params.id!) },
  { method: 'POST', template: '/v2/payment-methods', key: 'vault', handle: (s, c) => s.createPaymentMethod(c.body) },
  { method: 'PUT', template: '/v2/payment-methods/{id}/update-saved-payment-method', key: 'vault', handle: (s, c) => s.updatePaymentMethod(c.params.id!, c.body) },
  { method: 'GET', template: '/v2/payment-methods/{payment_method_id}/check-network-token-status', key: 'vault', handle: (s, c) => s.networkTokenStatus(c.params.payment_method_id!) },
  { method: 'GET', template: '/v2/payment-methods/{id}', key: 'vault', handle: (s, c) => s.getPaymentMethod(c.params.id!) },
  { method: 'DELETE', template: '/v2/payment-methods/{id}', key: 'vault', handle: (s, c) => s.deletePaymentMethod(c.params.id!) },
  { method: 'POST', template: '/v2/payments', key: 'payment', handle: (s, c) => s.createPayment(c.body) },
  { method: 'GET', template: '/v2/payments/list', key: 'payment', handle: (s, c) => s.listPayments(c.query.get('customer_id') ?? undefined, { limit: Number(c.query.get('limit') ?? 10), offset: Number(c.query.get('offset') ?? 0), createdSince: c.query.get('created.gte') ?? undefined }) },
  { method: 'GET', template: '/v2/payments/{id}', key: 'payment', handle: (s, c) => s.getPayment(c.params.id!) },
];

const compiled = ROUTES.map((route) => {
  const names: string[] = [];
  const pattern = route.template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, regex: new RegExp(`^${pattern}$`) };
});

export function match(method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  for (const { route, names, regex } of compiled) {
    if (route.method !== method) continue;
    const found = regex.exec(pathname);
    if (found) return { route, params: Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)])) };
  }
  return undefined;
}
