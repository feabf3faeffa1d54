import { maskCard, type MaskedCard } from '../card';
import { encryptJson, type DataKeys } from '../crypto';
import { ValidationError } from '../errors';
import { VAULT_JOB_SCHEMA, type CardInput, type CardJobMessage, type SealedCard, type VaultRequest } from './schemas';

/**
 * Hyperswitch's published spec requires `card_issuing_country` (its server does not): we send what the
 * shopper gave, else the merchant's configured default, and refuse the card when there is neither.
 */
function issuingCountry(card: CardInput, fallback: string | undefined): SealedCard['issuing_country'] {
  const country = card.issuing_country ?? fallback;
  if (!country) {
    throw new ValidationError('The request body is invalid', [
      { path: 'card.issuing_country', code: 'issuing_country_required', message: 'is required (no DEFAULT_CARD_ISSUING_COUNTRY is configured)' },
    ]);
  }
  return country as SealedCard['issuing_country'];
}

/**
 * Builds the `vault-job/v1` message for a validated request: the card sealed for this job id
 * (AES-256-GCM, AAD = job id) and its mask for the job record. The plain card goes nowhere else.
 */
export function sealVaultJob(
  jobId: string,
  request: VaultRequest,
  keys: DataKeys,
  defaultIssuingCountry?: string,
): { message: CardJobMessage; card: MaskedCard } {
  const { card } = request;
  const sealed: SealedCard = {
    number: card.number,
    exp_month: card.exp_month,
    exp_year: card.exp_year < 100 ? 2000 + card.exp_year : card.exp_year,
    cvc: card.cvc,
    holder_name: card.holder_name,
    issuing_country: issuingCountry(card, defaultIssuingCountry),
    ...(card.nick_name ? { nick_name: card.nick_name } : {}),
  };
  return {
    message: {
      schema: VAULT_JOB_SCHEMA,
      job_id: jobId,
      customer: request.customer,
      card: encryptJson(keys, sealed, jobId),
      tokenization: request.tokenization,
      verify: request.verify,
      ...(request.charge ? { charge: request.charge } : {}),
      ...(request.metadata ? { metadata: request.metadata } : {}),
    },
    card: maskCard(sealed.number, sealed.exp_month, sealed.exp_year, card.brand),
  };
}
