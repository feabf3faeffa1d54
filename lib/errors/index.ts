/**
 * The one error family of s2s-vault (modelled on stripe-node's `src/Error.ts`): every error we raise
 * says what went wrong as a stable machine-readable `code`, whether trying again may help
 * (`retryable`), and keeps what caused it in `cause`. Messages never carry card data or secret values.
 */
export interface S2SVaultErrorOptions {
  code: string;
  retryable?: boolean;
  cause?: unknown;
}

export class S2SVaultError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, { code, retryable = false, cause }: S2SVaultErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }
}

/** The environment is missing or has an invalid value: the function cannot start. */
export class ConfigError extends S2SVaultError {
  constructor(message: string) {
    super(message, { code: 'config_invalid' });
  }
}

/** A secret could not be read or has the wrong shape. Never includes the secret's value. */
export class SecretError extends S2SVaultError {
  readonly secretId: string;

  constructor(message: string, secretId: string, options: { code: string; retryable?: boolean; cause?: unknown }) {
    super(message, options);
    this.secretId = secretId;
  }
}

export interface FieldProblem {
  path: string;
  /** Machine-readable: ours (e.g. `card_number_invalid`) where we name the rule, else zod's issue code. */
  code: string;
  message: string;
}

/** Input that breaks a contract; `fields` says where and why, never with the rejected value. */
export class ValidationError extends S2SVaultError {
  readonly fields: FieldProblem[];

  constructor(message: string, fields: FieldProblem[]) {
    super(message, { code: 'validation_failed' });
    this.fields = fields;
  }
}
