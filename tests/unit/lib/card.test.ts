import { cardBrand, cardNumbersIn, luhnValid, redactPans } from '../../../lib/card';

// Full card numbers here are the documented test cards listed in the README; brands are checked on BINs.
describe('luhnValid', () => {
  it.each(['4242424242424242', '4111111111111111', '5555555555554444', '378282246310005', '79927398713'])('accepts %s', (n) => {
    expect(luhnValid(n)).toBe(true);
  });
  it.each(['4242424242424241', '1234567812345678', '', '4242 4242'])('rejects %p', (n) => {
    expect(luhnValid(n)).toBe(false);
  });
});

describe('cardBrand', () => {
  it.each([
    ['424242', 'Visa'],
    ['555555', 'Mastercard'],
    ['222300', 'Mastercard'],
    ['272099', 'Mastercard'],
    ['378282', 'AmericanExpress'],
    ['601100', 'Discover'],
    ['650000', 'Discover'],
    ['356600', 'JCB'],
    ['362272', 'DinersClub'],
    ['620000', 'UnionPay'],
  ])('BIN %s is %s', (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });
  it('knows no brand for other ranges', () => {
    expect(cardBrand('999999')).toBeUndefined();
    expect(cardBrand('272100')).toBeUndefined();
  });
});

describe('redactPans', () => {
  it('masks Luhn-valid numbers, grouped or not, keeping the last four', () => {
    expect(redactPans('invalid value: "4242424242424242" here')).toBe('invalid value: "[card ****4242]" here');
    expect(redactPans('card 4111 1111 1111 1111 and 4111-1111-1111-1111')).toBe('card [card ****1111] and [card ****1111]');
  });
  it('leaves other digit runs alone', () => {
    const text = 'order 1234567812345678, amount 6540, id 12345_cus_0123456789abcdef0123456789abcdef';
    expect(redactPans(text)).toBe(text);
  });
  it('leaves an id alone whose hex holds a Luhn-valid digit run', () => {
    const jobId = 'job_27bea4242424242424242ecb5133a55';
    expect(redactPans(`job ${jobId} done`)).toBe(`job ${jobId} done`);
    expect(cardNumbersIn(`"jobId":"${jobId}","pan":"4111 1111 1111 1111"`)).toEqual(['4111111111111111']);
  });

  it('does not mask a number inside a longer digit run', () => {
    expect(redactPans('x 42424242424242420000000 y')).toBe('x 42424242424242420000000 y');
  });
});
