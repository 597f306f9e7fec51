import type { CrmRequestContext, RecordLookup } from '../src/crm/CrmAdapter.js';
import { InMemoryCrm } from '../test/support/InMemoryCrm.js';
import { sleep } from './support.js';

/** The in-memory Zendesk stand-in with every request answered `delayMs` late (issue 9: a slow CRM). */
export class LateCrm extends InMemoryCrm {
  constructor(readonly delayMs: number) {
    super('zendesk');
  }

  override async readRecords(ids: readonly string[], ctx: CrmRequestContext): Promise<Map<string, RecordLookup>> {
    await sleep(this.delayMs);
    return super.readRecords(ids, ctx);
  }

  override async addComment(id: string, body: string): Promise<void> {
    await sleep(this.delayMs);
    return super.addComment(id, body);
  }

  override async hasCommentSince(id: string, body: string, since: Date): Promise<boolean> {
    await sleep(this.delayMs);
    return super.hasCommentSince(id, body, since);
  }

  override async reopen(id: string): Promise<void> {
    await sleep(this.delayMs);
    return super.reopen(id);
  }
}
