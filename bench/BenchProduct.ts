import type { RunningApp } from '../src/App.js';
import { InMemoryCrm } from '../test/support/InMemoryCrm.js';
import { StopwatchDialer } from './StopwatchDialer.js';
import { ApiClient, createBody, startProduct, type BenchRedisConfig } from './support.js';

const ZENDESK = { provider: 'zendesk', zendesk: { url: 'http://127.0.0.1:1/api/v2', email: 'a@example.com', token: 'unused' } };

/**
 * One product process under measurement: API and worker on `redis`, a Zendesk stand-in (every fired callback
 * looks its record up; by default it answers at once), the stopwatch dialer, and a keep-alive API client.
 */
export class BenchProduct {
  private constructor(
    private readonly app: RunningApp,
    readonly client: ApiClient,
    readonly crm: InMemoryCrm,
    readonly dialer: StopwatchDialer,
  ) {}

  static async start(redis: BenchRedisConfig, inFlight: number, crm = new InMemoryCrm('zendesk')): Promise<BenchProduct> {
    const dialer = new StopwatchDialer();
    const app = await startProduct(redis, { api: true, worker: true, crmAdapter: crm, dialer }, { crm: ZENDESK });
    return new BenchProduct(app, new ApiClient(app.url!, inFlight), crm, dialer);
  }

  /** POST /calls of a callback due at `dueAt` on ticket `${tag}${n}`, an open record in the CRM. */
  readonly schedule = (n: number, dueAt: Date, tag: string): Promise<void> => {
    this.crm.records.set(`${tag}${n}`, { closed: false, status: 'open' });
    return this.client.create(createBody(n, dueAt, tag));
  };

  /** CRM read requests that asked for a ticket of `tag` (the phase that scheduled them). */
  crmReadsFor(tag: string): number {
    return this.crm.readBatches.filter((batch) => batch.some((id) => id.startsWith(tag) && /^\d+$/.test(id.slice(tag.length)))).length;
  }

  async close(): Promise<void> {
    this.client.close();
    await this.app.close();
  }
}
