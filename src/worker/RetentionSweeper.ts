import type { Logger } from 'pino';
import type { CallStore } from '../store/CallStore.js';

const PAGE = 200;
/** At most this many pages a shard and pass, so that one pass stays short; the next pass goes on. */
const MAX_PAGES = 50;

/**
 * Deletes final calls (finished, failed, canceled) with their events and index entries `retentionMs` after
 * they ended (SPEC 10), reading only the calls that are due (CallStore's `ended` index), a page at a time.
 */
export class RetentionSweeper {
  constructor(
    private readonly calls: CallStore,
    private readonly retentionMs: number,
    private readonly logger: Logger,
  ) {}

  async runOnce(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const shard of this.calls.shards.all()) {
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const ids = await this.calls.dueIn('ended', shard, now - this.retentionMs, PAGE);
        for (const id of ids) if (await this.calls.purge(id)) deleted += 1;
        if (ids.length < PAGE) break;
      }
    }
    if (deleted) this.logger.info({ deleted }, 'deleted final calls past their retention');
    return deleted;
  }
}
