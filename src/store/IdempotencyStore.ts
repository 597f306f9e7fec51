import { createHash } from 'node:crypto';
import { storeKeyPrefix, type RedisClient } from './storeKeys.js';

const TTL_SECONDS = 24 * 60 * 60;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Reservation =
  | { kind: 'new' } // first time: run the request, then `complete` or `release`
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' } // same key, different body
  | { kind: 'in_progress' }; // the first request with this key is still running

/**
 * `Idempotency-Key` for POST /calls: the first response is kept 24 hours and replayed for a retry with the same
 * key and body. Keys are scoped per API user so two clients cannot collide.
 */
export class IdempotencyStore {
  private readonly p: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.p = storeKeyPrefix(prefix);
  }

  /** Hash of the body with object keys sorted: a retry that orders its fields differently is the same request. */
  static fingerprint(body: unknown): string {
    return createHash('sha256')
      .update(JSON.stringify(canonical(body ?? null)))
      .digest('hex');
  }

  private key(scope: string, idempotencyKey: string) {
    return `${this.p}idem:${scope}:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
  }

  async reserve(scope: string, idempotencyKey: string, fingerprint: string, waitMs = 5000): Promise<Reservation> {
    const key = this.key(scope, idempotencyKey);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const placed = await this.redis.set(key, JSON.stringify({ fingerprint, state: 'pending' }), 'EX', TTL_SECONDS, 'NX');
      if (placed === 'OK') return { kind: 'new' };
      const raw = await this.redis.get(key);
      if (!raw) continue; // expired or released in between: try to take it again
      const entry = JSON.parse(raw) as { fingerprint: string; state: 'pending' | 'done'; response?: StoredResponse };
      if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (entry.state === 'done' && entry.response) return { kind: 'replay', response: entry.response };
      if (Date.now() >= deadline) return { kind: 'in_progress' };
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async complete(scope: string, idempotencyKey: string, fingerprint: string, response: StoredResponse): Promise<void> {
    await this.redis.set(this.key(scope, idempotencyKey), JSON.stringify({ fingerprint, state: 'done', response }), 'KEEPTTL');
  }

  /** Frees the key after a failure that did not reach a response worth replaying (e.g. Redis trouble). */
  async release(scope: string, idempotencyKey: string): Promise<void> {
    await this.redis.del(this.key(scope, idempotencyKey));
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
