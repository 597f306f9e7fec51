import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../AppServices.js';

export const QUEUES_DASHBOARD_PATH = '/admin/queues';

/**
 * The BullMQ dashboard (bull-board) over the three queues, at /admin/queues. Mounted inside the admin auth
 * scope, so its page, static files and API all need an admin user.
 */
export async function registerQueuesDashboard(app: FastifyInstance, s: AppServices): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_DASHBOARD_PATH);
  createBullBoard({
    queues: s.queues.all().map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Callback queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUES_DASHBOARD_PATH });
}
