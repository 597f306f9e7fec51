import { randomUUID } from 'node:crypto';
import { storeKeyPrefix, type RedisClient } from './storeKeys.js';

export type BulkCancelResult = { call_id: number; result: 'canceled' | 'not_found' | 'not_scheduled' };

export interface BulkCancelOperation {
  id: string;
  status: 'in_progress' | 'completed';
  call_ids: number[];
  results: BulkCancelResult[];
}

const TTL_SECONDS = 7 * 24 * 60 * 60;

/** Background bulk-cancel operations, kept a week so a client can read the outcome later. */
export class BulkCancelStore {
  private readonly p: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.p = storeKeyPrefix(prefix);
  }

  private key(id: string) {
    return `${this.p}bulk-cancel:${id}`;
  }

  async create(callIds: number[]): Promise<BulkCancelOperation> {
    const op: BulkCancelOperation = { id: randomUUID(), status: 'in_progress', call_ids: callIds, results: [] };
    await this.redis.set(this.key(op.id), JSON.stringify(op), 'EX', TTL_SECONDS);
    return op;
  }

  async get(id: string): Promise<BulkCancelOperation | null> {
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as BulkCancelOperation) : null;
  }

  async save(op: BulkCancelOperation): Promise<void> {
    await this.redis.set(this.key(op.id), JSON.stringify(op), 'EX', TTL_SECONDS);
  }
}
