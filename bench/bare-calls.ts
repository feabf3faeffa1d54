/**
 * The Hyperswitch calls the bench makes without our worker (the calls alone, the naive loop, the
 * design's floor): a test card as a job's card create sends it, and a POST sent through the same
 * HTTP client as our transport's (lib/hyperswitch/http) with nothing of ours around it, so that a
 * baseline's calls cost what ours cost on the wire.
 */
import { nodeHttpSend } from '../lib/hyperswitch/http';

export const cardOf = (customerId: string) =>
  ({ payment_method_type: 'card', customer_id: customerId, storage_type: 'persistent', payment_method_data: { card: { card_number: '4242424242424242', card_exp_month: '12', card_exp_year: '2030', card_holder_name: 'Jane Doe', card_issuing_country: 'US', card_cvc: '123' } } }) as const;

/** POSTs a JSON body to the simulator; the created object's id. */
export function simulatorPost(baseUrl: string, headers: Record<string, string>): (path: string, body: unknown) => Promise<{ id: string }> {
  return async (path, body) => {
    const answer = await nodeHttpSend(new URL(path, baseUrl), { method: 'POST', headers, body: JSON.stringify(body) }, () => undefined);
    if (answer.status < 200 || answer.status > 299) throw new Error(`the simulator answered ${path} with ${answer.status}`);
    return JSON.parse(answer.body) as { id: string };
  };
}
