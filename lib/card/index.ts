/** Card-number helpers. Nothing here logs or keeps a number; masking shows BIN and last four at most. */

export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Card networks, named as Hyperswitch's `CardNetwork` enum names them. */
export type CardBrand = 'Visa' | 'Mastercard' | 'AmericanExpress' | 'Discover' | 'JCB' | 'DinersClub' | 'UnionPay';

// IIN ranges from the networks' published tables, first match wins (Discover's 65 before UnionPay's 62).
const BRAND_RANGES: ReadonlyArray<readonly [CardBrand, RegExp]> = [
  ['AmericanExpress', /^3[47]/],
  ['DinersClub', /^3(?:0[0-5]|[689])/],
  ['JCB', /^35(?:2[89]|[3-8])/],
  ['Visa', /^4/],
  ['Mastercard', /^(?:5[1-5]|2(?:2[2-9][1-9]|2[3-9]|[3-6]|7[01]|720))/],
  ['Discover', /^(?:6011|64[4-9]|65)/],
  ['UnionPay', /^62/],
];

export function cardBrand(digits: string): CardBrand | undefined {
  return BRAND_RANGES.find(([, pattern]) => pattern.test(digits))?.[0];
}

// 13–19 digits, optionally grouped by single spaces or dashes, standing alone: a digit run inside a
// longer token — a hex id such as a job id or Hyperswitch's `12345_pm_…` can hold 13+ digits in a
// row by chance, Luhn-valid one time in ten — is not a card number.
const PAN_CANDIDATE = /(?<![0-9A-Za-z_])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z_])/g;

/** The card numbers in free text: standalone, Luhn-valid 13–19 digit runs (separators stripped). */
export function cardNumbersIn(text: string): string[] {
  return [...text.matchAll(PAN_CANDIDATE)].map(([match]) => match.replace(/[ -]/g, '')).filter(luhnValid);
}

/** Replaces every card number in free text with its mask (last four only). */
export function redactPans(text: string): string {
  return text.replace(PAN_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '');
    return luhnValid(digits) ? `[card ****${digits.slice(-4)}]` : match;
  });
}

/** Card digits as typed by a person: single spaces or dashes between groups are allowed and stripped. */
export function normalizePan(input: string): string | undefined {
  if (!/^\d(?:[ -]?\d)*$/.test(input)) return undefined;
  return input.replace(/[ -]/g, '');
}

/** The four-digit year of a card expiry given as 2 or 4 digits. */
export function fullExpiryYear(year: number): number {
  return year < 100 ? 2000 + year : year;
}

/** A card is valid through the last day of its expiry month (UTC, as networks compare it). */
export function isExpired(month: number, year: number, now: Date = new Date()): boolean {
  const full = fullExpiryYear(year);
  const currentYear = now.getUTCFullYear();
  return full < currentYear || (full === currentYear && month < now.getUTCMonth() + 1);
}

/** What we show and keep of a card: brand, last four and expiry. Never the BIN, never the number. */
export interface MaskedCard {
  brand: CardBrand | 'Unknown';
  last4: string;
  exp_month: number;
  exp_year: number;
}

export function maskCard(pan: string, expMonth: number, expYear: number): MaskedCard {
  return { brand: cardBrand(pan) ?? 'Unknown', last4: pan.slice(-4), exp_month: expMonth, exp_year: fullExpiryYear(expYear) };
}
