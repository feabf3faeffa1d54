import { BaseProvider } from '@aws-lambda-powertools/parameters/base';
import * as z from 'zod';
import { awsErrorName, secretsManagerClient, type SecretsManager } from '../aws';
import { SecretError } from '../errors';

/** Where secrets come from: Secrets Manager in AWS, the embedded endpoint locally, a fake in unit tests. */
export interface SecretSource {
  /** The secret's string value, from a cache with a finite TTL. */
  get(secretId: string): Promise<string>;
  /** The next `get` fetches afresh, e.g. after the key it holds was refused (401). */
  invalidate(secretId: string): void;
}

export interface SecretsManagerSourceOptions {
  /** Cache lifetime; a rotated secret is picked up at most this late. */
  ttlSeconds?: number;
  client?: SecretsManager;
}

/**
 * Powertools' provider for Secrets Manager, on our client rather than the SDK's (lib/aws): Powertools
 * documents extending `BaseProvider` for this, and keeps the cache, `maxAge` and `forceFetch`.
 */
class SecretsManagerProvider extends BaseProvider {
  constructor(private readonly secretsManager: SecretsManager) {
    super({});
  }

  protected async _get(secretId: string): Promise<string | undefined> {
    return (await this.secretsManager.getSecretValue(secretId)).SecretString;
  }

  protected _getMultiple(): Promise<undefined> {
    throw new Error('Secrets are read one at a time');
  }
}

const NOT_FOUND = new Set(['ResourceNotFoundException']);
const PERMANENT = new Set(['AccessDeniedException', 'DecryptionFailure', 'InvalidParameterException', 'InvalidRequestException']);

/**
 * Secrets Manager through Powertools `parameters` (which owns the TTL cache), plus what it lacks:
 * concurrent misses for one secret share one `GetSecretValue` call, `invalidate` forces the next fetch,
 * and failures become `SecretError`s that name the secret, never its value.
 */
export class SecretsManagerSource implements SecretSource {
  private readonly provider: SecretsManagerProvider;
  private readonly maxAge: number;
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly invalidated = new Set<string>();

  constructor({ ttlSeconds = 300, client }: SecretsManagerSourceOptions = {}) {
    this.maxAge = ttlSeconds;
    this.provider = new SecretsManagerProvider(client ?? secretsManagerClient());
  }

  get(secretId: string): Promise<string> {
    const pending = this.inFlight.get(secretId);
    if (pending) return pending;
    const fetching = this.fetch(secretId).finally(() => this.inFlight.delete(secretId));
    this.inFlight.set(secretId, fetching);
    return fetching;
  }

  invalidate(secretId: string): void {
    this.invalidated.add(secretId);
  }

  private async fetch(secretId: string): Promise<string> {
    const forceFetch = this.invalidated.delete(secretId);
    let value: unknown;
    try {
      value = await this.provider.get(secretId, { maxAge: this.maxAge, forceFetch });
    } catch (error) {
      throw toSecretError(secretId, error);
    }
    if (typeof value !== 'string') {
      throw new SecretError(`Secret ${secretId} has no string value (binary secrets are not supported)`, secretId, {
        code: 'secret_malformed',
      });
    }
    return value;
  }
}

function toSecretError(secretId: string, error: unknown): SecretError {
  const awsError = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const name = awsErrorName(awsError) ?? 'UnknownError';
  if (NOT_FOUND.has(name)) {
    return new SecretError(`Secret ${secretId} does not exist`, secretId, { code: 'secret_not_found', cause: error });
  }
  if (PERMANENT.has(name)) {
    return new SecretError(`Secret ${secretId} cannot be read (${name})`, secretId, { code: 'secret_unreadable', cause: error });
  }
  return new SecretError(`Secret ${secretId} is unavailable (${name})`, secretId, {
    code: 'secret_unavailable',
    retryable: true,
    cause: error,
  });
}

/** A secret whose JSON value is checked against a schema — once per value fetched, not per read. */
export interface TypedSecret<T> {
  readonly secretId: string;
  get(): Promise<T>;
  invalidate(): void;
}

export function typedSecret<S extends z.ZodType>(source: SecretSource, secretId: string, schema: S): TypedSecret<z.infer<S>> {
  // The parsed value of the last raw value: the same object for every read until the secret changes,
  // so what is derived from it (key objects, auth decisions) can be cached against it.
  let last: { raw: string; parsed: z.infer<S> } | undefined;
  return {
    secretId,
    async get() {
      const raw = await source.get(secretId);
      if (last?.raw !== raw) last = { raw, parsed: parseSecret(secretId, raw, schema) };
      return last.parsed;
    },
    invalidate: () => source.invalidate(secretId),
  };
}

/**
 * Parses a secret's JSON. Neither `JSON.parse`'s message (it quotes the input) nor zod's (it can quote
 * received values) is passed on: only which fields are wrong.
 */
export function parseSecret<S extends z.ZodType>(secretId: string, raw: string, schema: S): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SecretError(`Secret ${secretId} is not valid JSON`, secretId, { code: 'secret_malformed' });
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
  throw new SecretError(`Secret ${secretId} is malformed: invalid or missing ${fields.join(', ')}`, secretId, {
    code: 'secret_malformed',
  });
}

/** Hyperswitch credentials as stored in Secrets Manager; the vault and payment secrets share this shape. */
export const hyperswitchCredentialsSchema = z.object({
  api_key: z.string().min(1),
  profile_id: z.string().min(1),
  base_url: z.url({ protocol: /^https?$/ }).optional(),
});
export type HyperswitchCredentialsSecret = z.infer<typeof hyperswitchCredentialsSchema>;
