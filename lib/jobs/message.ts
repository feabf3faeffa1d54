import { cardNumbersIn, isCardNumberValue } from '../card';
import { JOB_ID_PATTERN, VAULT_JOB_SCHEMA, vaultJobMessageSchema, type JobError, type VaultJobMessage } from './schemas';

export type ParsedMessage =
  | { valid: true; message: VaultJobMessage }
  | { valid: false; jobId?: string; plainCard: boolean; error: JobError };

/** Whether anything in a message that is not ours holds a card number in the clear (a producer's mistake). */
function holdsPlainCard(value: unknown, depth = 0): boolean {
  if (depth > 8) return false;
  if (typeof value === 'string') return cardNumbersIn(value).length > 0;
  if (typeof value === 'number') return isCardNumberValue(value);
  if (value && typeof value === 'object') return Object.values(value).some((child) => holdsPlainCard(child, depth + 1));
  return false;
}

/** Built once per charge limit (a deployment's constant): building the schema costs more than parsing a message with it. */
const messageSchemas = new Map<number, ReturnType<typeof vaultJobMessageSchema>>();
function messageSchemaFor(maxChargeAmount: number): ReturnType<typeof vaultJobMessageSchema> {
  let schema = messageSchemas.get(maxChargeAmount);
  if (!schema) messageSchemas.set(maxChargeAmount, (schema = vaultJobMessageSchema(maxChargeAmount)));
  return schema;
}

const invalid = (code: string, message: string, jobId?: string, plainCard = false): ParsedMessage => ({
  valid: false,
  jobId,
  plainCard,
  error: { code, message, retryable: false },
});

/**
 * Reads a queue message. A valid `vault-job/v1` message carries a card only inside its encrypted
 * envelope, and its free text passed the same card rules at intake, so it runs whatever its free
 * text holds. Only a message that cannot run is searched for a plain card (so it is dropped rather
 * than kept in the DLQ). It says why it cannot run, with the job id when it has a usable one (so the
 * job can end `failed`). Reasons name fields, never values.
 */
export function parseVaultJobMessage(body: string, maxChargeAmount: number): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return invalid('invalid_message', 'The message is not JSON', undefined, holdsPlainCard(body));
  }
  const object = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  const parsed = object.schema === VAULT_JOB_SCHEMA ? messageSchemaFor(maxChargeAmount).safeParse(json) : undefined;
  if (parsed?.success) return { valid: true, message: parsed.data };
  const jobId = typeof object.job_id === 'string' && JOB_ID_PATTERN.test(object.job_id) ? object.job_id : undefined;
  if (holdsPlainCard(json)) {
    return invalid('plain_card_rejected', 'The message carries card data in the clear; only an encrypted card envelope is accepted', jobId, true);
  }
  if (!parsed) {
    const named = typeof object.schema === 'string' && object.schema.length <= 40 ? ` ${JSON.stringify(object.schema)}` : '';
    return invalid('unsupported_schema', `The message schema${named} is not supported; expected ${VAULT_JOB_SCHEMA}`, jobId);
  }
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))].slice(0, 10);
  return invalid('invalid_message', `The message is not a valid ${VAULT_JOB_SCHEMA}: invalid ${fields.join(', ')}`, jobId);
}
