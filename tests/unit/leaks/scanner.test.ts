import { scan } from '../../leaks/scanner';

describe('the leak scanner', () => {
  it('finds card numbers, CVCs next to their names and secret values, and says where without repeating them', () => {
    const { findings, counts } = scan(
      {
        logs: ['{"msg":"card 4242 4242 4242 4242"}', 'plain=4111111111111111&x', '{"card_cvc":"737"}', 'cvv=123', 'key sk_test_abcdef'],
        records: ['{"amount":6540,"ts":1795521600000,"id":"12345_pm_0123456789abcdef0123456789abcdef"}'],
      },
      ['sk_test_abcdef'],
    );
    expect(findings.map((f) => [f.source, f.kind])).toEqual([
      ['logs', 'card_number'],
      ['logs', 'card_number'],
      ['logs', 'cvc'],
      ['logs', 'cvc'],
      ['logs', 'secret'],
    ]);
    expect(JSON.stringify(findings)).not.toMatch(/4242 4242|4111111111111111|737|sk_test_abcdef/);
    expect(counts).toEqual({ logs: { items: 5, bytes: expect.any(Number) }, records: { items: 1, bytes: expect.any(Number) } });
  });

  it('leaves masked cards, ids, amounts and timestamps alone', () => {
    // The payment method id holds a Luhn-valid 16-digit run inside a longer token.
    const { findings } = scan({ logs: ['[card ****4242]', 'last4 4242', 'brand Visa, card_isin 424242', 'job_3f1c9a6e2b7d4c8e9a0b1c2d3e4f5a6b', '12345_pm_ab4242424242424242cdef0123456789', '1795521600000', 'cvc_status: 200'] }, []);
    expect(findings).toEqual([]);
  });
});
