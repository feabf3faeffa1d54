/**
 * The checkout page: a card form over the browser client. The card lives in the form's inputs until
 * the one `POST /checkouts`; the form is cleared as soon as the checkout is accepted, and nothing of
 * the card is logged, stored or put in a URL.
 */
import { formatCardNumber, checkCardFields, type FieldProblem } from './card-fields';
import { CheckoutError, createCheckout, newAttemptKey, type AcceptedCheckout, type Job } from './client';
import { cardNumberHint } from '../lib/card';

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
const checkout = createCheckout({ apiBase: meta('s2s-vault-api'), publishableKey: meta('s2s-vault-publishable-key') });

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = element<HTMLFormElement>('checkout');
const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
const progress = element<HTMLParagraphElement>('progress');
const submitButton = element<HTMLButtonElement>('submit');

const BRAND_NAMES: Record<string, string> = { AmericanExpress: 'American Express', DinersClub: 'Diners Club' };
const brandName = (brand: string) => BRAND_NAMES[brand] ?? brand;

/** One Idempotency-Key per attempt: kept while an attempt may have reached the server without an answer. */
let attemptKey: string | undefined;

function showProblems(problems: Array<Pick<FieldProblem, 'path' | 'message'>>): void {
  for (const slot of document.querySelectorAll<HTMLElement>('.field-error')) {
    slot.textContent = '';
    const field = slot.id.replace(/-error$/, '');
    document.getElementById(field)?.removeAttribute('aria-invalid');
  }
  const known = new Set([...document.querySelectorAll<HTMLElement>('.field-error')].map((slot) => slot.dataset.for));
  for (const { path, message } of problems) {
    const slot = document.querySelector<HTMLElement>(`.field-error[data-for="${known.has(path) ? path : ''}"]`)!;
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    document.getElementById(slot.id.replace(/-error$/, ''))?.setAttribute('aria-invalid', 'true');
  }
  const first = document.querySelector<HTMLElement>('[aria-invalid="true"]');
  first?.focus();
}

function showResult(job: Job, paid: boolean): void {
  form.hidden = true;
  progress.textContent = '';
  const result = element<HTMLElement>('result');
  const details = element<HTMLDListElement>('result-details');
  details.replaceChildren();
  const add = (term: string, value: string | undefined) => {
    if (!value) return;
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    details.append(dt, dd);
  };
  if (job.status === 'succeeded') {
    element('result-title').textContent = paid ? 'Paid, and the card is saved' : 'Card saved';
  } else {
    element('result-title').textContent = 'Not completed';
    add('Reason', job.error?.decline_message ?? job.error?.message);
    add('Code', job.error?.code);
  }
  if (job.card) add('Card', `${brandName(job.card.brand)} •••• ${job.card.last4}, expires ${String(job.card.exp_month).padStart(2, '0')}/${job.card.exp_year}`);
  add('Customer', job.steps?.customer?.customer_id);
  add('Payment method', job.steps?.payment_method?.payment_method_id);
  add('Payment', job.steps?.payment?.payment_id);
  add('Job', job.job_id);
  result.hidden = false;
  element('result-title').focus();
}

const STATUS_TEXT: Record<string, string> = {
  queued: 'Sent. Waiting for the payment service…',
  processing: 'Saving the card…',
  requires_action: 'Your bank wants to confirm it is you…',
};

async function follow(accepted: Pick<AcceptedCheckout, 'job_id' | 'client_secret'>, paid: boolean): Promise<void> {
  const job = await checkout.waitForJob(accepted, { onUpdate: (update) => (progress.textContent = STATUS_TEXT[update.status] ?? '') });
  if (job.status === 'requires_action') return checkout.handleNextAction(job, accepted);
  showResult(job, paid);
}

function checkoutRequest(paid: boolean) {
  const holderName = input('holder_name').value.trim();
  return {
    customer: { name: holderName, email: input('email').value.trim() },
    card: {
      number: input('number').value.replace(/\s/g, ''),
      exp_month: Number(input('exp_month').value),
      exp_year: Number(input('exp_year').value),
      cvc: input('cvc').value,
      holder_name: holderName,
    },
    // Paying now sets the card up for later charges; saving only verifies it with a zero-amount payment.
    ...(paid ? { charge: { amount: 1999, currency: 'EUR', return_url: `${location.origin}/return` } } : { verify: true }),
  };
}

async function onSubmit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const problems = checkCardFields({
    number: input('number').value,
    exp_month: input('exp_month').value,
    exp_year: input('exp_year').value,
    cvc: input('cvc').value,
    holder_name: input('holder_name').value,
  });
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input('email').value.trim())) problems.push({ path: 'customer.email', code: 'invalid_format', message: 'Enter an email address.' });
  showProblems(problems);
  if (problems.length > 0) return;

  const paid = (form.elements.namedItem('intent') as RadioNodeList).value === 'pay';
  submitButton.disabled = true;
  progress.textContent = 'Sending…';
  attemptKey ??= newAttemptKey();
  try {
    const accepted = await checkout.submit(checkoutRequest(paid), { idempotencyKey: attemptKey });
    attemptKey = undefined;
    form.reset();
    element('brand').textContent = '';
    await follow(accepted, paid);
  } catch (error) {
    progress.textContent = '';
    if (!(error instanceof CheckoutError)) throw error;
    // An answer ends the attempt; no answer (network_error) keeps its key for the retry.
    if (error.status !== undefined) attemptKey = undefined;
    showProblems(error.fields.length > 0 ? error.fields : [{ path: '', message: error.message }]);
  } finally {
    submitButton.disabled = false;
  }
}

function onNumberInput(): void {
  const field = input('number');
  const formatted = formatCardNumber(field.value);
  if (formatted !== field.value) field.value = formatted;
  const hint = cardNumberHint(formatted.replace(/\s/g, ''));
  element('brand').textContent = hint.brand && hint.brand !== 'Unknown' ? brandName(hint.brand) : '';
  input('cvc').maxLength = hint.cvcLength;
}

form.addEventListener('submit', (event) => void onSubmit(event));
input('number').addEventListener('input', onNumberInput);
element('again').addEventListener('click', () => {
  element('result').hidden = true;
  form.hidden = false;
  input('email').focus();
});

const pending = checkout.resumeAfterAction();
if (pending) {
  form.hidden = true;
  progress.textContent = 'Checking with your bank…';
  void follow(pending, true).catch((error: unknown) => {
    form.hidden = false;
    progress.textContent = '';
    showProblems([{ path: '', message: error instanceof CheckoutError ? error.message : 'Something went wrong.' }]);
  });
}
