import fc from 'fast-check';
import { cardNumbersIn, checkCardNumber, cvcProblem, expiryProblem, hyperswitchCardNetwork, isCardNumber, redactPans } from '../../../lib/card';

// Full card numbers here are the documented test cards listed in the README. Other numbers are
// either no card by the networks' rules (the point of the test) or generated at run time.
const TEST_CARDS: Array<[string, string, number]> = [
  ['4242424242424242', 'Visa', 3],
  ['4111111111111111', 'Visa', 3],
  ['5555555555554444', 'Mastercard', 3],
  ['2223003122003222', 'Mastercard', 3],
  ['378282246310005', 'AmericanExpress', 4],
  ['6011111111111117', 'Discover', 3],
  ['4000002760003184', 'Visa', 3],
  ['4000002500003155', 'Visa', 3],
  ['4000000000000002', 'Visa', 3],
  ['4000000000009995', 'Visa', 3],
  ['4000000000000069', 'Visa', 3],
  ['4000000000000127', 'Visa', 3],
  ['4000000000000119', 'Visa', 3],
];

/** The check digit that makes `payload` Luhn-valid (the test's own, independent of the library). */
function withCheckDigit(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let digit = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return payload + String((10 - (sum % 10)) % 10);
}
const spoilCheckDigit = (number: string) => number.slice(0, -1) + String((Number(number.at(-1)) + 1) % 10);

describe('checkCardNumber', () => {
  it.each(TEST_CARDS)('accepts the test card %s as %s with a %i-digit CVC', (number, brand, cvcLength) => {
    expect(checkCardNumber(number)).toEqual({ valid: true, brand, network: brand, cvcLengths: [cvcLength] });
    expect(hyperswitchCardNetwork(number)).toBe(brand);
  });

  it.each([
    ['sixteen zeros (Luhn-valid, major industry identifier 0)', '0000000000000000'],
    ['a 13-digit millisecond timestamp', '1764022317671'],
    ['a 19-digit nanosecond timestamp', '1764022317679123457'],
    ['a Luhn-valid 16-digit number starting with 9', withCheckDigit('999999999999999')],
    ['letters', 'abcd'],
  ])('refuses %s as no card of a known network', (_, number) => {
    expect(checkCardNumber(number)).toMatchObject({ valid: false, code: 'card_number_invalid' });
  });

  it.each([
    ['16 digits with an American Express prefix', withCheckDigit('378282246310000')],
    ['15 digits with a Mastercard prefix', withCheckDigit('55555555555544')],
    ['17 digits with a Visa prefix', withCheckDigit('4242424242424242')],
    ['12 digits with a Visa prefix', withCheckDigit('42424242424')],
  ])('refuses %s: the wrong length for that network', (_, number) => {
    const check = checkCardNumber(number);
    expect(check).toMatchObject({ valid: false, code: 'card_number_length_invalid' });
    expect(JSON.stringify(check)).not.toContain(number);
  });

  it('refuses a known network number that fails the check digit', () => {
    expect(checkCardNumber(spoilCheckDigit('4242424242424242'))).toMatchObject({ valid: false, code: 'card_number_checksum_invalid' });
  });

  it('accepts UnionPay numbers that do not pass Luhn (the network does not require it)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 19 }), fc.stringMatching(/^\d{17}$/), (length, digits) => {
        const number = `622${digits}`.slice(0, length);
        expect(checkCardNumber(number)).toMatchObject({ valid: true, brand: 'UnionPay', network: 'UnionPay' });
      }),
      { seed: 11 },
    );
  });

  describe('numbers of no known network (private label)', () => {
    const privateLabel = withCheckDigit('999999999999999');
    it('are refused by default and accepted when configured, with either CVC length', () => {
      expect(checkCardNumber(privateLabel).valid).toBe(false);
      const check = checkCardNumber(privateLabel, { acceptUnrecognizedNetworks: true });
      expect(check).toEqual({ valid: true, brand: 'Unknown', cvcLengths: [3, 4] });
    });
    it('still need a non-zero first digit, 12-19 digits and a valid check digit', () => {
      const rules = { acceptUnrecognizedNetworks: true };
      expect(checkCardNumber('0000000000000000', rules).valid).toBe(false);
      expect(checkCardNumber(spoilCheckDigit(privateLabel), rules).valid).toBe(false);
      expect(checkCardNumber(withCheckDigit('99999999999999999999'), rules).valid).toBe(false);
    });
  });
});

describe('cvcProblem', () => {
  const card = (number: string) => {
    const check = checkCardNumber(number);
    if (!check.valid) throw new Error('not a card');
    return check;
  };
  it('wants 4 digits for American Express and 3 for the others', () => {
    expect(cvcProblem('1234', card('378282246310005'))).toBeUndefined();
    expect(cvcProblem('123', card('378282246310005'))).toBe('must be 4 digits for AmericanExpress');
    expect(cvcProblem('123', card('4242424242424242'))).toBeUndefined();
    expect(cvcProblem('1234', card('5555555555554444'))).toBe('must be 3 digits for Mastercard');
  });
});

describe('expiryProblem', () => {
  const year = new Date().getUTCFullYear();
  it('accepts this month and the years a card is issued for', () => {
    expect(expiryProblem(new Date().getUTCMonth() + 1, year)).toBeUndefined();
    expect(expiryProblem(12, year + 10)).toBeUndefined();
    expect(expiryProblem(12, (year + 1) % 100)).toBeUndefined();
  });
  it('refuses a past month as expired and a far future as invalid', () => {
    expect(expiryProblem(12, year - 1)).toMatchObject({ code: 'card_expired' });
    expect(expiryProblem(1, year + 25)).toMatchObject({ code: 'card_expiry_invalid' });
  });
});

describe('the card-number detector (free text, logs, leak scans)', () => {
  it.each(TEST_CARDS.map(([number]) => number))('masks the test card %s, plain, grouped and inside JSON', (number) => {
    const grouped = number.replace(/(\d{4})(?=\d)/g, '$1 ');
    const dashed = number.replace(/(\d{4})(?=\d)/g, '$1-');
    const text = `card ${number}, again ${grouped}, once more ${dashed}; {"pan":"${number}"}.`;
    const masked = redactPans(text);
    expect(masked).not.toMatch(new RegExp(number.slice(0, 8)));
    expect(masked.match(/\[card \*{4}\d{4}\]/g)).toHaveLength(4);
    expect(cardNumbersIn(text)).toEqual([number, number, number, number]);
  });

  it('finds a card number followed by its CVC', () => {
    expect(redactPans('pay with 4242 4242 4242 4242 123 please')).toBe('pay with [card ****4242] 123 please');
  });

  it('finds a card number given as a whole text or at the end of a sentence', () => {
    expect(cardNumbersIn('4111111111111111')).toEqual(['4111111111111111']);
    expect(cardNumbersIn('My card is 4111111111111111.')).toEqual(['4111111111111111']);
  });

  // The regression cases of the issue: digit runs that pass Luhn by chance, in places that are not cards.
  it.each([
    ['a +-tagged email with a nanosecond timestamp', 'jane+1764022317679123457@example.com'],
    ['a numeric mailbox name', '1764022317671@example.com'],
    ['a millisecond order id', '1764022317671'],
    ['an id whose hex holds a test card', 'job_27bea4242424242424242ecb5133a55'],
    ['a Hyperswitch id', '12345_pm_0123456789abcdef0123456789abcdef'],
    ['a test card joined into a reference', 'ord-4242424242424242'],
    ['a test card joined by dots', 'v.4242424242424242.x'],
    ['a longer digit run', '42424242424242420000000'],
    ['a phone number', '+44 20 7946 0958'],
  ])('leaves %s alone', (_, text) => {
    expect(cardNumbersIn(text)).toEqual([]);
    expect(redactPans(text)).toBe(text);
  });

  const digitRun = fc.integer({ min: 10, max: 24 }).chain((length) => fc.stringMatching(new RegExp(`^\\d{${length}}$`)));
  const word = fc.stringMatching(/^[a-z]{1,8}$/);

  it('never takes a digit run inside a longer token for a card (ids, emails, references)', () => {
    fc.assert(
      fc.property(digitRun, word, word, fc.constantFrom('+', '.', '-', '_', ''), (digits, before, after, joiner) => {
        const tokens = [`${before}${joiner}${digits}@${after}.com`, `${before}${joiner}${digits}`, `${digits}${joiner}${after}`, `${digits}@${after}.com`];
        for (const token of tokens) expect(cardNumbersIn(`id ${token} end`)).toEqual([]);
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('takes a standalone digit run for a card exactly when the networks say it is one', () => {
    fc.assert(
      fc.property(digitRun, (digits) => {
        expect(cardNumbersIn(`order ${digits} shipped`)).toEqual(isCardNumber(digits) ? [digits] : []);
      }),
      { numRuns: 1000, seed: 5 },
    );
  });
});
