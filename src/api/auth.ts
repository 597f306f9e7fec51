import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './HttpError.js';
import { SERVER_MESSAGES } from './serverMessages.js';

export interface Credential {
  username: string;
  password: string;
}

/** Constant-time comparison; hashing first makes the lengths equal, so the length leaks nothing either. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function parseBasic(header: string | undefined): Credential | null {
  if (!header) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Matches against every configured credential (no early exit, so timing does not tell which user exists). */
export function matchCredential(given: Credential, users: readonly Credential[]): Credential | null {
  // The given pair is hashed once; the configured ones once per process (digests of equal length: constant time).
  const username = digest(given.username);
  const password = digest(given.password);
  let found: Credential | null = null;
  for (const user of users) {
    const known = digestsOf(user);
    const ok = timingSafeEqual(username, known.username) && timingSafeEqual(password, known.password);
    if (ok && !found) found = user;
  }
  return found;
}

// One-shot hash: no Hash object per request (two per authenticated request).
const digest = (text: string) => hash('sha256', text, 'buffer');

const configuredDigests = new WeakMap<Credential, { username: Buffer; password: Buffer }>();

function digestsOf(user: Credential): { username: Buffer; password: Buffer } {
  let known = configuredDigests.get(user);
  if (!known) {
    known = { username: digest(user.username), password: digest(user.password) };
    configuredDigests.set(user, known);
  }
  return known;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user (Basic) or token owner; set by the auth hooks. */
    principal?: string;
  }
}

/**
 * HTTP Basic guard for a set of users. `forbiddenUsers` are valid credentials of another kind (API users on
 * the admin API): they get 403 instead of 401, which tells an operator the password is right but the role is not.
 */
export function basicAuthHook(users: readonly Credential[], realm: string, forbiddenUsers: readonly Credential[] = []) {
  const challenge = { 'WWW-Authenticate': `Basic realm="${realm}"` };
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const given = parseBasic(request.headers.authorization);
    if (!given) throw new HttpError(401, SERVER_MESSAGES.authMissing, challenge);
    const user = matchCredential(given, users);
    if (user) {
      request.principal = user.username;
      return;
    }
    if (matchCredential(given, forbiddenUsers)) throw new HttpError(403, SERVER_MESSAGES.authWrongKind);
    throw new HttpError(401, SERVER_MESSAGES.authInvalid, challenge);
  };
}
