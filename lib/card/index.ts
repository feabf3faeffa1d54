/**
 * Card recognition by the card networks' rules. Brands, their IIN ranges, valid lengths, the check
 * digit rule (UnionPay numbers need not pass Luhn) and CVC lengths come from Braintree's
 * `card-validator` / `credit-card-type` (MIT), the tables Braintree's own card forms use; nothing here
 * keeps an IIN table of its own. The same library can run in a browser page.
 *
 * One definition serves intake (what we refuse), the free-text guard and the queue's plain-card guard
 * (what we treat as a card where no card belongs), the log redactor (what we mask) and the leak
 * scanner (what tests hunt for). Nothing here logs or keeps a number; masking shows the last four.
 */
import cardValidator from 'card-validator';
import luhn10 from 'card-validator/dist/luhn-10';
import type { CreditCardTypeCardBrandId } from 'credit-card-type/dist/types';
import type { CardNetwork as CardNetworks } from '../hyperswitch/enums.generated';

type CardNetwork = (typeof CardNetworks)[number];

/**
 * The library's brands as we name them: Hyperswitch's `CardNetwork` name where Hyperswitch has one
 * (then it is also sent as `card_network`), the network's own name otherwise.
 */
const BRANDS = {
  visa: { brand: 'Visa', network: 'Visa' },
  mastercard: { brand: 'Mastercard', network: 'Mastercard' },
  'american-express': { brand: 'AmericanExpress', network: 'AmericanExpress' },
  'diners-club': { brand: 'DinersClub', network: 'DinersClub' },
  discover: { brand: 'Discover', network: 'Discover' },
  jcb: { brand: 'JCB', network: 'JCB' },
  unionpay: { brand: 'UnionPay', network: 'UnionPay' },
  maestro: { brand: 'Maestro', network: 'Maestro' },
  elo: { brand: 'Elo' },
  mir: { brand: 'Mir' },
  hiper: { brand: 'Hiper' },
  hipercard: { brand: 'Hipercard' },
  troy: { brand: 'Troy' },
  naranja: { brand: 'Naranja' },
  verve: { brand: 'Verve' },
} as const satisfies Record<CreditCardTypeCardBrandId, { brand: string; network?: CardNetwork }>;

/** `Unknown`: a number of no known network, accepted only where configuration allows (private label). */
export type CardBrand = (typeof BRANDS)[CreditCardTypeCardBrandId]['brand'] | 'Unknown';

export interface CardRules {
  /**
   * Accept numbers of no network the library knows (private-label and closed-loop cards): 12–19
   * digits, a non-zero first digit (ISO/IEC 7812's major industry identifier 0 is not a card
   * issuer), Luhn-valid, a CVC of 3 or 4 digits. Off by default.
   */
  acceptUnrecognizedNetworks: boolean;
}
export const DEFAULT_CARD_RULES: CardRules = { acceptUnrecognizedNetworks: false };

export type CardNumberProblemCode = 'card_number_invalid' | 'card_number_length_invalid' | 'card_number_checksum_invalid';

export type CardNumberCheck =
  | { valid: true; brand: CardBrand; network?: CardNetwork; cvcLengths: readonly number[] }
  | { valid: false; code: CardNumberProblemCode; message: string };

const UNRECOGNIZED = /^[1-9]\d{11,18}$/;

/** Whether a digit string is a card number of a known network, and if not, why — never quoting it. */
export function checkCardNumber(digits: string, rules: CardRules = DEFAULT_CARD_RULES): CardNumberCheck {
  const verification = cardValidator.number(digits);
  const type = verification.card;
  if (!type) {
    if (rules.acceptUnrecognizedNetworks && UNRECOGNIZED.test(digits) && luhn10(digits)) return { valid: true, brand: 'Unknown', cvcLengths: [3, 4] };
    return { valid: false, code: 'card_number_invalid', message: 'is not a card number of a known card network' };
  }
  const { brand, network } = BRANDS[type.type as CreditCardTypeCardBrandId] as { brand: CardBrand; network?: CardNetwork };
  if (!type.lengths.includes(digits.length)) {
    return { valid: false, code: 'card_number_length_invalid', message: `must be ${type.lengths.join(', ')} digits long for ${type.niceType}` };
  }
  if (!verification.isValid) return { valid: false, code: 'card_number_checksum_invalid', message: 'is not a valid card number (check digit)' };
  return { valid: true, brand, ...(network ? { network } : {}), cvcLengths: [type.code.size] };
}

/**
 * What a card form shows while a number is typed: the brand once the digits so far can only be one
 * network's, where that network groups its digits (positions of the spaces) and how long it can be.
 */
export interface CardNumberHint {
  brand?: CardBrand;
  gaps: readonly number[];
  maxLength: number;
  cvcLength: number;
}

export function cardNumberHint(digits: string): CardNumberHint {
  const type = cardValidator.number(digits).card;
  if (!type) return { gaps: [4, 8, 12], maxLength: 19, cvcLength: 3 };
  return { brand: BRANDS[type.type as CreditCardTypeCardBrandId].brand, gaps: type.gaps, maxLength: Math.max(...type.lengths), cvcLength: type.code.size };
}

/** Hyperswitch's `CardNetwork` name of a card number, when Hyperswitch names its network. */
export function hyperswitchCardNetwork(digits: string): CardNetwork | undefined {
  const check = checkCardNumber(digits);
  return check.valid ? check.network : undefined;
}

/** A card number by the networks' rules: a known network's prefix, a valid length for it, its check. */
export const isCardNumber = (digits: string): boolean => cardValidator.number(digits).isValid;

/** The problem with a CVC for this card, if any. */
export function cvcProblem(cvc: string, card: Extract<CardNumberCheck, { valid: true }>): string | undefined {
  if (cardValidator.cvv(cvc, [...card.cvcLengths]).isValid) return undefined;
  const brand = card.brand === 'Unknown' ? 'this card' : card.brand;
  return `must be ${card.cvcLengths.join(' or ')} digits for ${brand}`;
}

// A run of 12–19 digits, optionally grouped by single spaces or dashes, that is a token of its own:
// a run joined to letters, digits, `_`, `+`, `@`, `-`, or by a `.` to more of a token, is part of
// something longer — an id, an email's local part (`jane+1764022317679123457@…`), a reference — and
// is not a card number whatever its digits.
const CANDIDATE = /(?<![\p{L}\p{N}_+@-])(?<![\p{L}\p{N}_]\.)\d(?:[ -]?\d){11,18}(?![\p{L}\p{N}_+@-]|\.[\p{L}\p{N}_])/gu;

interface Found {
  index: number;
  /** Characters of the text the card number spans, separators included. */
  length: number;
  digits: string;
}

/**
 * Card numbers in free text. A spaced run that is not a card as a whole may still start with one
 * (`4242 4242 4242 4242 123`: a number and its CVC), so its prefixes ending at a space are tried too.
 */
function findCards(text: string): Found[] {
  const found: Found[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const run = match[0];
    const ends = [run.length, ...[...run.matchAll(/ /g)].map((space) => space.index).reverse()];
    for (const end of ends) {
      const digits = run.slice(0, end).replace(/[ -]/g, '');
      if (digits.length >= 12 && isCardNumber(digits)) {
        found.push({ index: match.index, length: end, digits });
        break;
      }
    }
  }
  return found;
}

/** The card numbers in free text (separators stripped). */
export function cardNumbersIn(text: string): string[] {
  return findCards(text).map(({ digits }) => digits);
}

/** Replaces every card number in free text with its mask (last four only). */
export function redactPans(text: string): string {
  let redacted = '';
  let from = 0;
  for (const { index, length, digits } of findCards(text)) {
    redacted += `${text.slice(from, index)}[card ****${digits.slice(-4)}]`;
    from = index + length;
  }
  return redacted + text.slice(from);
}

/** Whether a value that arrived as a JSON number is a card number. */
export const isCardNumberValue = (value: number): boolean => Number.isSafeInteger(value) && value > 0 && isCardNumber(String(value));

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

/** The problem with an expiry, if any: in the past, or further ahead than any card is issued for. */
export function expiryProblem(month: number, year: number): { code: 'card_expired' | 'card_expiry_invalid'; message: string } | undefined {
  if (isExpired(month, year)) return { code: 'card_expired', message: 'the card has expired' };
  if (!cardValidator.expirationDate({ month: String(month), year: String(fullExpiryYear(year)) }).isValid) {
    return { code: 'card_expiry_invalid', message: 'is further ahead than a card is issued for' };
  }
  return undefined;
}

/** What we show and keep of a card: brand, last four and expiry. Never the BIN, never the number. */
export interface MaskedCard {
  brand: CardBrand;
  last4: string;
  exp_month: number;
  exp_year: number;
}

/** `brand`: when the card was checked already (a validated request carries its brand), not matched again. */
export function maskCard(pan: string, expMonth: number, expYear: number, brand?: CardBrand): MaskedCard {
  const check = brand ? undefined : checkCardNumber(pan);
  return { brand: brand ?? (check?.valid ? check.brand : 'Unknown'), last4: pan.slice(-4), exp_month: expMonth, exp_year: fullExpiryYear(expYear) };
}
