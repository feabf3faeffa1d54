/**
 * The browser client of s2s-vault: what a merchant's checkout page needs, and nothing else.
 *
 *   const checkout = createCheckout({ apiBase, publishableKey });
 *   const accepted = await checkout.submit(request, { idempotencyKey: newAttemptKey() });
 *   const job = await checkout.waitForJob(accepted, { onUpdate: (job) => showProgress(job.status) });
 *   if (job.status === 'requires_action') checkout.handleNextAction(job, accepted);
 *
 * The card goes in exactly one request, `POST /checkouts`; after that the page holds only the job id
 * and its client secret. Errors are `CheckoutError`s with our error code and field paths.
 */
export interface CheckoutOptions {
  /** Where the API is, e.g. https://api.example.com (no trailing slash needed). */
  apiBase: string;
  /** The publishable key (`pk_…`): it can start checkouts and nothing else. */
  publishableKey: string;
  fetch?: typeof fetch;
}

/** What `POST /checkouts` answers: the job to watch and the secret that reads it. */
export interface AcceptedCheckout {
  job_id: string;
  client_secret: string;
  status_url: string;
}

export type JobStatus = 'queued' | 'processing' | 'requires_action' | 'succeeded' | 'failed';

/** The job as `GET /jobs/{id}` shows it to a client secret: ids, statuses and the masked card. */
export interface Job {
  job_id: string;
  status: JobStatus;
  card?: { brand: string; last4: string; exp_month: number; exp_year: number };
  steps?: {
    customer?: { customer_id?: string };
    payment_method?: { payment_method_id?: string };
    payment?: { status?: string; payment_id?: string };
  };
  next_action?: { type: 'redirect_to_url'; url: string };
  error?: { code: string; message: string; decline_message?: string };
}

export interface FieldError {
  path: string;
  code?: string;
  message: string;
}

/** An answer other than success, or no answer: `code` is ours (`network_error` when nothing came back). */
export class CheckoutError extends Error {
  override readonly name = 'CheckoutError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | undefined,
    readonly fields: FieldError[] = [],
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** A fresh Idempotency-Key: one per attempt, reused only to retry that same attempt. */
export const newAttemptKey = (): string => crypto.randomUUID();

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'requires_action']);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

export function createCheckout(options: CheckoutOptions) {
  const base = options.apiBase.replace(/\/+$/, '');
  const send = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));

  async function request<T>(path: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await send(`${base}${path}`, { ...init, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
    } catch (cause) {
      // CORS refusals, DNS, offline: the browser says no more than this, on purpose.
      if (init.signal?.aborted) throw cause;
      throw new CheckoutError('network_error', 'The payment service could not be reached. Check your connection and try again.', undefined, [], true);
    }
    const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string; fields?: FieldError[]; retryable?: boolean } } | undefined;
    if (response.ok) return body as T;
    const error = body?.error;
    throw new CheckoutError(error?.code ?? `http_${response.status}`, error?.message ?? `The payment service answered ${response.status}`, response.status, error?.fields ?? [], error?.retryable ?? response.status >= 500);
  }

  return {
    /**
     * Starts a checkout. A network failure is retried twice with the same Idempotency-Key, so a
     * request that did arrive is not made into a second job.
     */
    async submit(checkout: unknown, { idempotencyKey }: { idempotencyKey: string }): Promise<AcceptedCheckout> {
      const init: RequestInit = {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.publishableKey}`, 'Idempotency-Key': idempotencyKey },
        body: JSON.stringify(checkout),
      };
      for (let attempt = 0; ; attempt++) {
        try {
          return await request<AcceptedCheckout>('/checkouts', init);
        } catch (error) {
          if (!(error instanceof CheckoutError && error.code === 'network_error') || attempt === 2) throw error;
          await sleep(300 * 2 ** attempt);
        }
      }
    },

    /**
     * Polls the job (backing off from 0.5 s to 3 s) until it succeeds, fails or needs the shopper
     * (`requires_action`: then call `handleNextAction`). `onUpdate` sees every status change.
     */
    async waitForJob(job: Pick<AcceptedCheckout, 'job_id' | 'client_secret'>, { onUpdate, signal }: { onUpdate?: (job: Job) => void; signal?: AbortSignal } = {}): Promise<Job> {
      let delay = 500;
      let last: JobStatus | undefined;
      for (;;) {
        signal?.throwIfAborted();
        const current = await request<Job>(`/jobs/${encodeURIComponent(job.job_id)}`, { headers: { 'X-Client-Secret': job.client_secret }, signal });
        if (current.status !== last) onUpdate?.(current);
        last = current.status;
        if (TERMINAL.has(current.status)) return current;
        await sleep(delay, signal);
        delay = Math.min(3000, delay * 1.5);
      }
    },

    /**
     * Sends the shopper to authenticate (3-D Secure). They come back to the charge's `return_url`,
     * where `resumeAfterAction()` finds the job again. Only the job id and its client secret are
     * kept meanwhile (in sessionStorage, for this tab): never card data.
     */
    handleNextAction(job: Job, accepted: Pick<AcceptedCheckout, 'job_id' | 'client_secret'>, navigate: (url: string) => void = (url) => (globalThis as unknown as { location: Location }).location.assign(url)): void {
      if (job.status !== 'requires_action' || !job.next_action) throw new CheckoutError('no_action', 'This job does not wait for the shopper', undefined);
      sessionStorage.setItem(PENDING, JSON.stringify({ job_id: accepted.job_id, client_secret: accepted.client_secret }));
      navigate(job.next_action.url);
    },

    /** After the shopper returns from authenticating: the job to keep waiting for, if one is pending. */
    resumeAfterAction(): Pick<AcceptedCheckout, 'job_id' | 'client_secret'> | undefined {
      const pending = sessionStorage.getItem(PENDING);
      sessionStorage.removeItem(PENDING);
      return pending ? (JSON.parse(pending) as Pick<AcceptedCheckout, 'job_id' | 'client_secret'>) : undefined;
    },
  };
}

const PENDING = 's2s-vault:pending-job';

/** The part of the browser's `location` the client uses (this module is also compiled without the DOM's types). */
interface Location {
  assign(url: string): void;
}

export type Checkout = ReturnType<typeof createCheckout>;
