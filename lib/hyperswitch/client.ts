import type { TypedSecret, HyperswitchCredentialsSecret } from '../secrets';
import { HyperswitchAuthenticationError, HyperswitchInvalidRequestError } from './errors';
import * as s from './schemas';
import type { HyperswitchRequest, HyperswitchTransport } from './transport';

/** The vault side of Hyperswitch (customers and payment methods): authenticated with the vault key. */
export interface VaultApi {
  createCustomer(request: s.CustomerCreateRequest): Promise<s.Customer>;
  getCustomer(customerId: string): Promise<s.Customer>;
  getCustomerByReference(merchantReferenceId: string): Promise<s.Customer>;
  updateCustomer(customerId: string, request: s.CustomerUpdateRequest): Promise<s.Customer>;
  deleteCustomer(customerId: string): Promise<s.CustomerDeleted>;
  listCustomerPaymentMethods(customerId: string): Promise<s.CustomerPaymentMethods>;
  createPaymentMethod(request: s.PaymentMethodCreateRequest): Promise<s.PaymentMethod>;
  getPaymentMethod(paymentMethodId: string): Promise<s.PaymentMethod>;
  updatePaymentMethod(paymentMethodId: string, request: s.PaymentMethodUpdateRequest): Promise<s.PaymentMethod>;
  deletePaymentMethod(paymentMethodId: string): Promise<{ id: string }>;
  getNetworkTokenStatus(paymentMethodId: string): Promise<s.NetworkTokenStatus>;
}

/** The payments side of Hyperswitch: authenticated with the payment key, never the vault key. */
export interface PaymentsApi {
  createAndConfirmPayment(request: s.PaymentCreateRequest): Promise<s.Payment>;
  getPayment(paymentId: string, options?: { forceSync?: boolean }): Promise<s.Payment>;
  /** One page of the customer's payments (`offset`, `limit` ≤ 100), `createdSince` (ISO time) and later when given. */
  listPayments(filter: { customerId: string; limit?: number; offset?: number; createdSince?: string }): Promise<s.PaymentList>;
}

/**
 * Sends requests with one credential secret. A 401 may mean the key was rotated since we cached it:
 * the secret is re-read once, and the call repeated only if the key really changed.
 */
class CredentialedSender {
  constructor(
    private readonly transport: HyperswitchTransport,
    private readonly secret: TypedSecret<HyperswitchCredentialsSecret>,
  ) {}

  async send<T>(request: HyperswitchRequest<T>): Promise<T> {
    const used = await this.secret.get();
    try {
      return await this.transport.send(request, toCredentials(used));
    } catch (error) {
      if (!(error instanceof HyperswitchAuthenticationError)) throw error;
      this.secret.invalidate();
      const fresh = await this.secret.get();
      if (fresh.api_key === used.api_key) throw error;
      return this.transport.send(request, toCredentials(fresh));
    }
  }
}

function toCredentials(secret: HyperswitchCredentialsSecret) {
  return { apiKey: secret.api_key, profileId: secret.profile_id, baseUrl: secret.base_url };
}

/**
 * An id checked before it becomes part of a URL path: nothing unvalidated reaches Hyperswitch.
 * (The client's methods are async so that this rejects their promise rather than throwing.)
 */
function segment(operation: string, id: string): string {
  if (!s.pathId.safeParse(id).success) {
    throw new HyperswitchInvalidRequestError(`Hyperswitch ${operation} rejected before sending: invalid id`, { operation });
  }
  return encodeURIComponent(id);
}

export class VaultClient implements VaultApi {
  private readonly sender: CredentialedSender;

  constructor(transport: HyperswitchTransport, vaultSecret: TypedSecret<HyperswitchCredentialsSecret>) {
    this.sender = new CredentialedSender(transport, vaultSecret);
  }

  async createCustomer(request: s.CustomerCreateRequest) {
    return this.sender.send({
      operation: 'customers.create',
      method: 'POST',
      path: '/v2/customers',
      body: request,
      resendSafe: request.merchant_reference_id !== undefined,
      requestSchema: s.customerCreateRequest,
      responseSchema: s.customer,
    });
  }

  async getCustomer(customerId: string) {
    const operation = 'customers.retrieve';
    return this.sender.send({ operation, method: 'GET', path: `/v2/customers/${segment(operation, customerId)}`, responseSchema: s.customer });
  }

  async getCustomerByReference(merchantReferenceId: string) {
    const operation = 'customers.retrieveByReference';
    return this.sender.send({
      operation,
      method: 'GET',
      path: `/v2/customers/reference/${segment(operation, merchantReferenceId)}`,
      responseSchema: s.customer,
    });
  }

  async updateCustomer(customerId: string, request: s.CustomerUpdateRequest) {
    const operation = 'customers.update';
    return this.sender.send({
      operation,
      method: 'PUT',
      path: `/v2/customers/${segment(operation, customerId)}`,
      body: request,
      requestSchema: s.customerUpdateRequest,
      responseSchema: s.customer,
    });
  }

  async deleteCustomer(customerId: string) {
    const operation = 'customers.delete';
    return this.sender.send({
      operation,
      method: 'DELETE',
      path: `/v2/customers/${segment(operation, customerId)}`,
      responseSchema: s.customerDeleted,
    });
  }

  async listCustomerPaymentMethods(customerId: string) {
    const operation = 'customers.listSavedPaymentMethods';
    return this.sender.send({
      operation,
      method: 'GET',
      path: `/v2/customers/${segment(operation, customerId)}/saved-payment-methods`,
      responseSchema: s.customerPaymentMethods,
    });
  }

  async createPaymentMethod(request: s.PaymentMethodCreateRequest) {
    return this.sender.send({
      operation: 'paymentMethods.create',
      method: 'POST',
      path: '/v2/payment-methods',
      body: request,
      requestSchema: s.paymentMethodCreateRequest,
      responseSchema: s.paymentMethod,
    });
  }

  async getPaymentMethod(paymentMethodId: string) {
    const operation = 'paymentMethods.retrieve';
    return this.sender.send({
      operation,
      method: 'GET',
      path: `/v2/payment-methods/${segment(operation, paymentMethodId)}`,
      responseSchema: s.paymentMethod,
    });
  }

  async updatePaymentMethod(paymentMethodId: string, request: s.PaymentMethodUpdateRequest) {
    const operation = 'paymentMethods.updateSaved';
    return this.sender.send({
      operation,
      method: 'PUT',
      path: `/v2/payment-methods/${segment(operation, paymentMethodId)}/update-saved-payment-method`,
      body: request,
      requestSchema: s.paymentMethodUpdateRequest,
      responseSchema: s.paymentMethod,
    });
  }

  async deletePaymentMethod(paymentMethodId: string) {
    const operation = 'paymentMethods.delete';
    return this.sender.send({
      operation,
      method: 'DELETE',
      path: `/v2/payment-methods/${segment(operation, paymentMethodId)}`,
      responseSchema: s.paymentMethodDeleted,
    });
  }

  async getNetworkTokenStatus(paymentMethodId: string) {
    const operation = 'paymentMethods.networkTokenStatus';
    return this.sender.send({
      operation,
      method: 'GET',
      path: `/v2/payment-methods/${segment(operation, paymentMethodId)}/check-network-token-status`,
      responseSchema: s.networkTokenStatus,
    });
  }
}

export class PaymentsClient implements PaymentsApi {
  private readonly sender: CredentialedSender;

  constructor(transport: HyperswitchTransport, paymentSecret: TypedSecret<HyperswitchCredentialsSecret>) {
    this.sender = new CredentialedSender(transport, paymentSecret);
  }

  async createAndConfirmPayment(request: s.PaymentCreateRequest) {
    return this.sender.send({
      operation: 'payments.createAndConfirm',
      method: 'POST',
      path: '/v2/payments',
      body: request,
      resendSafe: request.merchant_reference_id !== undefined,
      requestSchema: s.paymentCreateRequest,
      responseSchema: s.payment,
    });
  }

  async getPayment(paymentId: string, { forceSync = false }: { forceSync?: boolean } = {}) {
    const operation = 'payments.retrieve';
    return this.sender.send({
      operation,
      method: 'GET',
      path: `/v2/payments/${segment(operation, paymentId)}`,
      query: { force_sync: String(forceSync) },
      responseSchema: s.payment,
    });
  }

  async listPayments({ customerId, limit = 100, offset, createdSince }: { customerId: string; limit?: number; offset?: number; createdSince?: string }) {
    const operation = 'payments.list';
    return this.sender.send({
      operation,
      method: 'GET',
      path: '/v2/payments/list',
      query: {
        customer_id: segment(operation, customerId),
        limit: String(limit),
        ...(offset ? { offset: String(offset) } : {}),
        ...(createdSince ? { 'created.gte': createdSince } : {}),
      },
      responseSchema: s.paymentList,
    });
  }
}
