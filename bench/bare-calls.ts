/**
 * The payment method of the Hyperswitch calls the bench makes without our worker (the calls alone,
 * the naive loop, the design's floor): a test card, as a job's card create sends it.
 */
export const cardOf = (customerId: string) =>
  ({ payment_method_type: 'card', customer_id: customerId, storage_type: 'persistent', payment_method_data: { card: { card_number: '4242424242424242', card_exp_month: '12', card_exp_year: '2030', card_holder_name: 'Jane Doe', card_issuing_country: 'US', card_cvc: '123' } } }) as const;
