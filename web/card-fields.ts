/**
 * The card form's own checks, before anything is sent: the same rule functions the server applies
 * (lib/card, on Braintree's card-validator), so that a shopper reads "incomplete" at once instead of
 * after a round trip. The server still validates everything. Problems carry the server's field paths
 * (`card.number`…), so a page shows ours and the server's in the same places.
 */
import { cardNumberHint, checkCardNumber, cvcProblem, expiryProblem } from '../lib/card';

export interface CardFields {
  number: string;
  exp_month: string;
  exp_year: string;
  cvc: string;
  holder_name: string;
}

export interface FieldProblem {
  path: string;
  code: string;
  message: string;
}

const digitsOf = (text: string) => text.replace(/\D/g, '');

/** The number as a shopper should see it while typing: the brand's grouping, no more digits than it has. */
export function formatCardNumber(typed: string): string {
  const hint = cardNumberHint(digitsOf(typed));
  const digits = digitsOf(typed).slice(0, hint.maxLength);
  let formatted = '';
  for (let i = 0; i < digits.length; i++) formatted += (hint.gaps.includes(i) ? ' ' : '') + digits[i];
  return formatted;
}

export function checkCardFields(fields: CardFields): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const problem = (path: string, code: string, message: string) => problems.push({ path: `card.${path}`, code, message });

  const digits = digitsOf(fields.number);
  const check = checkCardNumber(digits);
  if (digits.length === 0) problem('number', 'required', 'Enter the card number.');
  else if (/[^\d -]/.test(fields.number)) problem('number', 'card_number_invalid', 'A card number has digits only.');
  else if (!check.valid && check.code === 'card_number_length_invalid' && digits.length < cardNumberHint(digits).maxLength) problem('number', 'card_number_incomplete', 'The card number is incomplete.');
  else if (!check.valid) problem('number', check.code, check.code === 'card_number_checksum_invalid' ? 'The card number is not valid: check it.' : check.code === 'card_number_length_invalid' ? 'The card number has too many digits.' : 'This is not a card number we accept.');

  const month = Number(fields.exp_month);
  const year = Number(fields.exp_year);
  if (!/^\d{1,2}$/.test(fields.exp_month) || month < 1 || month > 12) problem('exp_month', 'card_expiry_invalid', 'Enter the month as 1–12.');
  else if (!/^(\d{2}|\d{4})$/.test(fields.exp_year)) problem('exp_year', 'card_expiry_invalid', 'Enter the year as YY or YYYY.');
  else {
    const expiry = expiryProblem(month, year);
    if (expiry) problem('exp_year', expiry.code, expiry.code === 'card_expired' ? 'The card has expired.' : 'Check the expiry year.');
  }

  if (!/^\d+$/.test(fields.cvc)) problem('cvc', 'required', 'Enter the security code.');
  else if (check.valid && cvcProblem(fields.cvc, check)) problem('cvc', 'cvc_length_invalid', `The security code is ${check.cvcLengths.join(' or ')} digits for ${check.brand === 'AmericanExpress' ? 'American Express' : check.brand}.`);

  if (fields.holder_name.trim() === '') problem('holder_name', 'required', 'Enter the name on the card.');
  return problems;
}
