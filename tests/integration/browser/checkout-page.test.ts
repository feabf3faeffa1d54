/**
 * The checkout page in a real browser (headless Chromium 153 with CORS and site isolation on) against
 * the whole local stack: what a shopper sees, what the browser enforces, and what it keeps. After every
 * test: no test card number or CVC in storage, cookies, the URLs visited, the console, or any request
 * but the one `POST /checkouts`. A screenshot of each final state goes to reports/browser/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cardNumbersIn } from '../../../lib/card';
import { startCheckoutPage, type CheckoutPage } from '../../../local/checkout-page';
import { LOCAL_API_KEYS } from '../../../local/stack';
import { startStackProcess, type StackProcess } from '../../../local/stack-process';
import { launchChromium } from '../../helpers/browser';

jest.setTimeout(120_000);

const SCREENSHOTS = join(__dirname, '../../../reports/browser');
const nextYear = String(new Date().getUTCFullYear() + 1);

let stack: StackProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // One after the other: if the browser cannot start, the stack is there for afterAll to stop.
  stack = await startStackProcess();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface Recorded {
  requests: Array<{ method: string; url: string; body: string; headers: string }>;
  failed: string[];
  console: string[];
  urls: string[];
}

let context: BrowserContext;
let page: Page;
let recorded: Recorded;
/** The card and CVC the current test typed: what must not be found anywhere but the checkout POST. */
let typed: { number?: string; cvc?: string };

beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  recorded = { requests: [], failed: [], console: [], urls: [] };
  typed = {};
  page.on('request', (request) => recorded.requests.push({ method: request.method(), url: request.url(), body: request.postData() ?? '', headers: JSON.stringify(request.headers()) }));
  page.on('requestfailed', (request) => recorded.failed.push(`${request.method()} ${request.url()} ${request.failure()?.errorText}`));
  page.on('console', (message) => recorded.console.push(message.text()));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) recorded.urls.push(frame.url());
  });
});

afterEach(async () => {
  if (!page) return;
  const name = expect.getState().currentTestName!.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  try {
    await expectNothingKept();
  } finally {
    await context.close();
  }
});

const checkoutPosts = () => recorded.requests.filter((request) => request.method === 'POST' && request.url === `${stack.api}/checkouts`);

async function expectNothingKept(): Promise<void> {
  // Expressions evaluated in the page (as strings: this file is compiled without the DOM's types).
  const storage = await page.evaluate<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })');
  const cookies = JSON.stringify(await context.cookies());
  const otherRequests = recorded.requests.filter((request) => !checkoutPosts().includes(request)).map((request) => `${request.method} ${request.url} ${request.headers} ${request.body}`);
  const places = { storage, cookies, urls: recorded.urls.join('\n'), history: await page.evaluate<string>('`${history.length} ${location.href}`'), console: recorded.console.join('\n'), otherRequests: otherRequests.join('\n') };
  for (const [place, text] of Object.entries(places)) {
    expect({ place, cards: cardNumbersIn(text) }).toEqual({ place, cards: [] });
    if (typed.number) expect({ place, found: text.includes(typed.number.replace(/\s/g, '')) }).toEqual({ place, found: false });
    if (typed.cvc) expect({ place, found: new RegExp(`(?<![\\w-])${typed.cvc}(?![\\w-])`).test(text) }).toEqual({ place, found: false });
  }
}

interface Entry {
  email?: string;
  name?: string;
  number?: string;
  month?: string;
  year?: string;
  cvc?: string;
  intent?: 'save' | 'pay';
}

/** Types into the form as a shopper does, key by key (so the page formats as it goes). */
async function fill(on: Page, entry: Entry): Promise<void> {
  typed = { number: entry.number, cvc: entry.cvc };
  const fields: Array<[string, string | undefined]> = [['email', entry.email ?? 'jane@example.com'], ['holder_name', entry.name ?? 'Jane Doe'], ['number', entry.number], ['exp_month', entry.month ?? '12'], ['exp_year', entry.year ?? nextYear], ['cvc', entry.cvc]];
  for (const [field, value] of fields) {
    await on.locator(`#${field}`).fill('');
    if (value) await on.locator(`#${field}`).pressSequentially(value);
  }
  await on.locator(`input[name="intent"][value="${entry.intent ?? 'save'}"]`).check();
}

const result = () => page.locator('#result');
const focused = () => page.evaluate<string | undefined>('document.activeElement?.id');
const details = async () => (await page.locator('#result-details').innerText()).replace(/\s+/g, ' ');

describe('the checkout page', () => {
  it('saves a card: the brand shows as typed, the form is cleared, the masked card and ids are shown', async () => {
    const served = await page.goto(stack.web);
    // The page works under a strict policy: no inline script, requests to the API alone, no form submission.
    expect(served!.headers()['content-security-policy']).toBe(`default-src 'none'; script-src 'self'; style-src 'self'; connect-src ${stack.api}; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`);
    for (const [field, token] of Object.entries({ holder_name: 'cc-name', number: 'cc-number', exp_month: 'cc-exp-month', exp_year: 'cc-exp-year', cvc: 'cc-csc' })) {
      expect(await page.locator(`#${field}`).getAttribute('autocomplete')).toBe(token);
    }
    await fill(page, { number: '4242424242424242', cvc: '739' });
    expect(await page.locator('#number').inputValue()).toBe('4242 4242 4242 4242');
    expect(await page.locator('#brand').innerText()).toBe('Visa');
    await page.locator('#submit').click();

    await result().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#result-title').innerText()).toBe('Card saved');
    expect(await details()).toMatch(new RegExp(`Card Visa •••• 4242, expires 12/${nextYear} Customer \\S+_cus_\\S+ Payment method \\S+_pm_\\S+`));
    for (const field of ['number', 'cvc', 'holder_name', 'exp_month', 'exp_year']) expect(await page.locator(`#${field}`).inputValue()).toBe('');
    expect(checkoutPosts()).toHaveLength(1);
    // The one request that carries the card did carry it: the scan after this test looks at real traffic.
    expect(checkoutPosts()[0]!.body).toContain('4242424242424242');
    expect(JSON.parse(checkoutPosts()[0]!.headers)['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('pays now, with the keyboard alone', async () => {
    await page.goto(stack.web);
    typed = { number: '5555555555554444', cvc: '739' };
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('email');
    for (const value of ['jane@example.com', 'Jane Doe', '5555555555554444', '12', nextYear, '739']) {
      await page.keyboard.type(value);
      await page.keyboard.press('Tab');
    }
    // The choice is one stop: the arrow keys move within it.
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('input[value="pay"]').isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('submit');
    await page.keyboard.press('Enter');

    await result().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#result-title').innerText()).toBe('Paid, and the card is saved');
    expect(await details()).toMatch(/Card Mastercard •••• 4444, .* Payment \S+_pay_\S+/);
    expect(JSON.parse(checkoutPosts()[0]!.body)).toMatchObject({ charge: { amount: 1999, currency: 'EUR', return_url: `${stack.web}/return` } });
  });

  it('shows field errors for an invalid number, an expired card, a wrong-length CVC and an incomplete number, sending nothing', async () => {
    await page.goto(stack.web);
    const errorOf = (field: string) => page.locator(`#${field}-error`).innerText();

    await fill(page, { number: '4242424242424241', cvc: '739', month: '01', year: String(Number(nextYear) - 2) });
    await page.locator('#submit').click();
    expect(await errorOf('number')).toBe('The card number is not valid: check it.');
    expect(await errorOf('exp_year')).toBe('The card has expired.');
    expect(await page.locator('#number').getAttribute('aria-invalid')).toBe('true');
    expect(await focused()).toBe('number');

    await fill(page, { number: '378282246310005', cvc: '739' });
    expect(await page.locator('#number').inputValue()).toBe('3782 822463 10005');
    await page.locator('#submit').click();
    expect(await errorOf('cvc')).toBe('The security code is 4 digits for American Express.');
    expect(await errorOf('number')).toBe('');

    await fill(page, { number: '42424242', cvc: '739' });
    await page.locator('#submit').click();
    expect(await errorOf('number')).toBe('The card number is incomplete.');

    expect(recorded.requests.filter((request) => request.url.startsWith(stack.api))).toEqual([]);
  });

  it("shows the server's validation error next to its field", async () => {
    await page.goto(stack.web);
    // Our form does not check names for card numbers; the server refuses one.
    await fill(page, { name: 'Jane 4111 1111 1111 1111', number: '4242424242424242', cvc: '739' });
    await page.locator('#submit').click();
    await page.locator('#holder_name-error:not(:empty)').waitFor();
    expect(await page.locator('#holder_name-error').innerText()).toContain('must not contain a card number');
    expect(await page.locator('#holder_name').getAttribute('aria-invalid')).toBe('true');
    expect(checkoutPosts()).toHaveLength(1);
    expect(await result().isVisible()).toBe(false);
    typed = { number: '4111111111111111', cvc: '739' };
    // What stays in the form is the shopper's to correct; the scan covers everything the browser kept or sent.
  });

  it('goes through 3-D Secure on the issuer page and back to the page, which shows the payment', async () => {
    await page.goto(stack.web);
    await fill(page, { number: '4000002760003184', cvc: '739', intent: 'pay' });
    await page.locator('#submit').click();
    await page.waitForURL(/\/__sim\/3ds\//, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${stack.web}/return`);
    await result().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#result-title').innerText()).toBe('Paid, and the card is saved');
    expect(await details()).toMatch(/Card Visa •••• 3184, .* Payment \S+_pay_\S+/);
  });
});

describe('CORS, enforced by the browser', () => {
  let elsewhere: CheckoutPage;
  beforeAll(async () => {
    // The same page on an origin the API does not allow.
    elsewhere = await startCheckoutPage({ port: 0, apiBase: stack.api, publishableKey: LOCAL_API_KEYS.publishable });
  });
  afterAll(() => new Promise<void>((resolve) => elsewhere.server.close(() => resolve())));

  it('blocks a page on an origin that is not allowed from reading the API, though the API answered', async () => {
    const jobsBefore = (await stack.jobs()).length;
    await page.goto(elsewhere.url);
    await fill(page, { number: '4242424242424242', cvc: '739' });
    await page.locator('#submit').click();
    await page.locator('#form-error:not(:empty)').waitFor({ timeout: 30_000 });
    expect(await page.locator('#form-error').innerText()).toContain('could not be reached');
    expect(recorded.failed.filter((failure) => failure.includes('/checkouts')).length).toBeGreaterThan(0);

    // Our API did answer the browser's preflight — without allowing the origin: the browser refused.
    const preflight = await fetch(`${stack.api}/checkouts`, { method: 'OPTIONS', headers: { Origin: new URL(elsewhere.url).origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await fetch(`${stack.api}/checkouts`, { method: 'OPTIONS', headers: { Origin: stack.web, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(stack.web);
    expect((await stack.jobs()).length).toBe(jobsBefore);
  });
});
