/**
 * Merchant authentication. Keys live in Secrets Manager only as HMAC-SHA-256 hashes (under a key of
 * the same secret); a presented key is hashed and compared in constant time against every hash of
 * its kind, so several keys can be valid at once while one is rotated out.
 *
 * - server keys, `Authorization: Bearer sk_…`: every route;
 * - publishable keys, `Bearer pk_…`: `POST /checkouts` only (they ship in web pages);
 * - a job's client secret, `X-Client-Secret`: that job's status only.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretKey } from '../crypto';
import * as z from 'zod';
import { HttpError } from '../http/errors';

const base64Key = z.string().refine((value) => Buffer.from(value, 'base64').length >= 32, 'must be at least 32 bytes, base64-encoded');
const keyHash = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be an HMAC-SHA-256, base64url');

/** The merchant-API-keys secret. */
export const merchantKeysSchema = z.object({
  hmac_key: base64Key,
  server_key_hashes: z.array(keyHash).min(1),
  publishable_key_hashes: z.array(keyHash).default([]),
});
export type MerchantKeys = z.infer<typeof merchantKeysSchema>;

export type Scope = 'server' | 'publishable' | 'client_secret';
export type Principal = { kind: 'server' } | { kind: 'publishable' } | { kind: 'client_secret'; secret: string };

const SERVER_KEY = /^sk_[A-Za-z0-9_]{16,128}$/;
const PUBLISHABLE_KEY = /^pk_[A-Za-z0-9_]{16,128}$/;

export function hashApiKey(hmacKey: string, apiKey: string): string {
  return createHmac('sha256', secretKey(hmacKey)).update(apiKey, 'utf8').digest('base64url');
}

/**
 * Keys found valid, per list of hashes (the same object until the secret changes): a merchant's
 * frontend presents the same publishable key on every request. Only matches are kept, so a wrong
 * key is hashed and compared every time, and the memo is bounded.
 */
const recognised = new WeakMap<string[], Set<string>>();
const RECOGNISED_MAX = 100;

function matchesAny(keys: MerchantKeys, apiKey: string, hashes: string[]): boolean {
  if (recognised.get(hashes)?.has(apiKey)) return true;
  const found = compareWithAll(keys, apiKey, hashes);
  if (found) {
    const known = recognised.get(hashes) ?? new Set<string>();
    if (known.size >= RECOGNISED_MAX) known.clear();
    recognised.set(hashes, known.add(apiKey));
  }
  return found;
}

function compareWithAll(keys: MerchantKeys, apiKey: string, hashes: string[]): boolean {
  const presented = Buffer.from(hashApiKey(keys.hmac_key, apiKey));
  // Compare with every hash, without stopping at a match, so timing says nothing about which key it was.
  let found = false;
  for (const hash of hashes) {
    const stored = Buffer.from(hash);
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = true;
  }
  return found;
}

export interface Credentials {
  authorization?: string;
  clientSecret?: string;
}

/**
 * Who is calling, for a route that accepts `scopes`. Missing or invalid credentials are 401; valid
 * credentials of a kind the route does not accept are 403.
 */
export function authenticate(keys: MerchantKeys, credentials: Credentials, scopes: readonly Scope[]): Principal {
  const bearer = /^Bearer\s+(\S+)$/i.exec(credentials.authorization?.trim() ?? '')?.[1];
  if (bearer) {
    let principal: Principal;
    if (SERVER_KEY.test(bearer) && matchesAny(keys, bearer, keys.server_key_hashes)) principal = { kind: 'server' };
    else if (PUBLISHABLE_KEY.test(bearer) && matchesAny(keys, bearer, keys.publishable_key_hashes)) principal = { kind: 'publishable' };
    else throw new HttpError(401, 'invalid_api_key', 'The API key is not valid');
    if (!scopes.includes(principal.kind)) throw new HttpError(403, 'forbidden', `A ${principal.kind} key cannot call this route`);
    return principal;
  }
  if (credentials.authorization) throw new HttpError(401, 'invalid_api_key', 'Send the API key as "Authorization: Bearer <key>"');
  if (credentials.clientSecret && scopes.includes('client_secret')) return { kind: 'client_secret', secret: credentials.clientSecret };
  throw new HttpError(401, 'authentication_required', 'Authenticate with "Authorization: Bearer <key>"');
}
