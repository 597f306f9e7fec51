import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../AppServices.js';
import { basicAuthHook } from '../api/auth.js';

/** Admin API under /admin (HTTP Basic from auth.adminUsers; API users get 403). */
export async function adminRoutes(app: FastifyInstance, s: AppServices): Promise<void> {
  await app.register(async (admin) => {
    admin.addHook('onRequest', basicAuthHook(s.config.auth.adminUsers, 'callback-orchestrator admin', s.config.auth.apiUsers));
    admin.get('/admin/v1/settings/crm', async () => ({
      salesforce: { closedRecordPolicy: await s.settings.getClosedRecordPolicy() },
    }));
  });
}
