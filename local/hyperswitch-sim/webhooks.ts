/**
 * The simulator's outgoing webhooks, as Hyperswitch sends them: an `OutgoingWebhook` (merchant_id,
 * event_id, event_type, content {type: payment_details, object: the PaymentsResponse}, timestamp) for
 * each payment state change it makes, signed with `X-Webhook-Signature-512` (hex HMAC-SHA512 of the raw
 * body, keyed with the profile's payment_response_hash_key). With faults, as a real network delivers
 * them: duplicated, delayed (so out of order), with a bad signature, or lost.
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface WebhookFaults {
  /** Probabilities, each drawn per webhook. */
  duplicate?: number;
  delay?: number;
  badSignature?: number;
  lose?: number;
  /** How long a delayed webhook waits (ms). */
  delayMs?: number;
}

export interface WebhookSettings {
  url: string;
  hashKey: string;
  merchantId: string;
  faults?: WebhookFaults;
  random?: () => number;
}

const EVENT_TYPES: Record<string, string> = {
  succeeded: 'payment_succeeded',
  failed: 'payment_failed',
  processing: 'payment_processing',
  requires_customer_action: 'action_required',
};

export const signatureOf = (body: string, hashKey: string) => createHmac('sha512', hashKey).update(body).digest('hex');

export class WebhookSender {
  readonly sent = { webhooks: 0, duplicated: 0, delayed: 0, bad_signature: 0, lost: 0, failed: 0 };
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly settings: WebhookSettings) {}

  /** A payment changed: tell the merchant's server. */
  paymentChanged(payment: Record<string, unknown>): void {
    const eventType = EVENT_TYPES[payment.status as string];
    if (!eventType) return;
    const body = JSON.stringify({
      merchant_id: this.settings.merchantId,
      event_id: `evt_${randomUUID().replace(/-/g, '')}`,
      event_type: eventType,
      content: { type: 'payment_details', object: payment },
      timestamp: new Date().toISOString(),
    });
    const faults = this.settings.faults ?? {};
    const draw = (probability = 0) => (this.settings.random ?? Math.random)() < probability;
    if (draw(faults.lose)) {
      this.sent.lost++;
      return;
    }
    const badSignature = draw(faults.badSignature);
    const delayMs = draw(faults.delay) ? (faults.delayMs ?? 1000) : 0;
    const copies = draw(faults.duplicate) ? 2 : 1;
    if (badSignature) this.sent.bad_signature++;
    if (delayMs) this.sent.delayed++;
    if (copies === 2) this.sent.duplicated++;
    for (let copy = 0; copy < copies; copy++) this.track(this.post(body, badSignature, delayMs));
  }

  /** Resolves when every webhook sent so far has been answered. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(sending: Promise<void>): void {
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
  }

  private async post(body: string, badSignature: boolean, delayMs: number): Promise<void> {
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const signature = signatureOf(body, badSignature ? `${this.settings.hashKey}-wrong` : this.settings.hashKey);
    this.sent.webhooks++;
    try {
      const response = await fetch(this.settings.url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Webhook-Signature-512': signature }, signal: AbortSignal.timeout(5000) });
      if (!response.ok && !badSignature) this.sent.failed++;
    } catch {
      this.sent.failed++;
    }
  }
}
