import { DECLINE_CODES, declineCode, declineError } from '../../../../lib/jobs/declines';

const failed = (error: { code: string; message: string; reason?: string | null; unified_code?: string | null }) => ({ error: { unified_message: null, reason: null, unified_code: null, ...error } });

describe('declines', () => {
  it.each([
    [{ code: 'card_declined', message: 'x', reason: 'insufficient_funds' }, 'insufficient_funds'],
    [{ code: 'card_declined', message: 'x', reason: 'do_not_honor' }, 'do_not_honor'],
    [{ code: 'card_declined', message: 'x', reason: 'stolen_card' }, 'lost_or_stolen_card'],
    [{ code: 'card_declined', message: 'x', reason: 'generic_decline' }, 'card_declined'],
    [{ code: 'expired_card', message: 'x' }, 'expired_card'],
    [{ code: 'INCORRECT_CVC', message: 'x' }, 'incorrect_cvc'],
    [{ code: 'processing_error', message: 'x' }, 'processing_error'],
    [{ code: 'authentication_required', message: 'x' }, 'authentication_required'],
    [{ code: 'CE_00', message: 'x', unified_code: 'authentication_failed' }, 'authentication_failed'],
    [{ code: 'something_new', message: 'x', reason: 'unheard_of' }, 'card_declined'],
  ])('maps %o to %s', (error, code) => {
    expect(declineCode(failed(error).error)).toBe(code);
  });

  it('gives every decline class a message for the shopper, never the connector text', () => {
    const messages = Object.fromEntries(DECLINE_CODES.map((code) => [code, declineError(failed({ code, message: `connector says ${code} for 4242 4242 4242 4242` }), 'The charge').decline_message]));
    for (const message of Object.values(messages)) expect(message).toMatch(/^[A-Z].{10,}\.$/);
    for (const message of Object.values(messages)) expect(message).not.toMatch(/connector|4242/);
    // A card reported lost or stolen is declined like any other: the shopper is not told why.
    expect(messages.lost_or_stolen_card).toBe(messages.card_declined);
    expect(new Set(Object.values(messages)).size).toBe(DECLINE_CODES.length - 1);
  });

  it('keeps the connector text for the merchant, masked and cut short', () => {
    const error = declineError(failed({ code: 'card_declined', message: `declined card 4242 4242 4242 4242 ${'x'.repeat(400)}` }), 'The charge');
    expect(error.message).toContain('[card ****4242]');
    expect(error.message).not.toContain('4242 4242 4242 4242');
    expect(error.message.length).toBeLessThan(260);
    expect(error).toMatchObject({ code: 'card_declined', retryable: false });
  });
});
