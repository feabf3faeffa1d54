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

// 13–19 digits, optionally grouped by single spaces or dashes, not part of a longer digit run.
const PAN_CANDIDATE = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;

/** Replaces every Luhn-valid 13–19 digit run in free text with its mask (last four only). */
export function redactPans(text: string): string {
  return text.replace(PAN_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '');
    return luhnValid(digits) ? `[card ****${digits.slice(-4)}]` : match;
  });
}
