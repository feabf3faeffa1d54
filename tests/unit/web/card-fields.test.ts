import { checkCardFields, formatCardNumber, type CardFields } from '../../../web/card-fields';

const nextYear = String(new Date().getUTCFullYear() + 1);
const fields = (change: Partial<CardFields> = {}): CardFields => ({ number: '4242 4242 4242 4242', exp_month: '12', exp_year: nextYear, cvc: '123', holder_name: 'Jane Doe', ...change });
const codes = (change: Partial<CardFields>) => checkCardFields(fields(change)).map(({ path, code }) => `${path} ${code}`);

describe('the card form’s own checks', () => {
  it('passes a valid card of each brand, with its CVC length', () => {
    expect(checkCardFields(fields())).toEqual([]);
    expect(checkCardFields(fields({ number: '3782 822463 10005', cvc: '1234' }))).toEqual([]);
    expect(checkCardFields(fields({ number: '2223003122003222', exp_year: nextYear.slice(2) }))).toEqual([]);
  });

  it.each([
    ['an empty number', { number: '' }, 'card.number required'],
    ['letters', { number: '4242 4242 abcd 4242' }, 'card.number card_number_invalid'],
    ['an incomplete number', { number: '4242 4242 4242' }, 'card.number card_number_incomplete'],
    ['a wrong check digit', { number: '4242 4242 4242 4241' }, 'card.number card_number_checksum_invalid'],
    ['no known network', { number: '0000 0000 0000 0000' }, 'card.number card_number_invalid'],
    ['a 3-digit CVC for American Express', { number: '378282246310005', cvc: '123' }, 'card.cvc cvc_length_invalid'],
    ['a 4-digit CVC for Visa', { cvc: '1234' }, 'card.cvc cvc_length_invalid'],
    ['no CVC', { cvc: '' }, 'card.cvc required'],
    ['month 13', { exp_month: '13' }, 'card.exp_month card_expiry_invalid'],
    ['an expired card', { exp_month: '1', exp_year: String(Number(nextYear) - 2) }, 'card.exp_year card_expired'],
    ['a year too far ahead', { exp_year: String(Number(nextYear) + 30) }, 'card.exp_year card_expiry_invalid'],
    ['no name', { holder_name: '  ' }, 'card.holder_name required'],
  ])('reports %s at the field the server would name', (_, change, expected) => {
    expect(codes(change)).toEqual([expected]);
  });

  it('never quotes the number in a message', () => {
    for (const number of ['4242 4242 4242 4241', '4242 4242 4242', '0000 0000 0000 0000']) {
      for (const problem of checkCardFields(fields({ number }))) expect(problem.message).not.toMatch(/\d{4}/);
    }
  });

  it('groups digits as the brand prints them, and stops at its longest number', () => {
    expect(formatCardNumber('4242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatCardNumber('378282246310005')).toBe('3782 822463 10005');
    expect(formatCardNumber('3782822463100051234')).toBe('3782 822463 10005');
    expect(formatCardNumber('42-42 42a')).toBe('4242 42');
    expect(formatCardNumber('')).toBe('');
  });
});
