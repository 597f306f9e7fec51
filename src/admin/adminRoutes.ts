import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../AppServices.js';
import { basicAuthHook } from '../api/auth.js';
import { HttpError } from '../api/HttpError.js';
import { registerAdminPage } from './adminPage.js';
import { registerExplainRoutes } from './explainRoutes.js';
import { registerQueuesDashboard } from './queuesDashboard.js';
import { registerSettingsRoutes } from './settingsRoutes.js';

/**
 * Everything under /admin (SPEC 3.3): HTTP Basic from auth.adminUsers; API users get 403, anyone else 401 with
 * WWW-Authenticate. Covers the settings API, its audit history, the dry run, the admin page and the queues
 * dashboard.
 */
export async function adminRoutes(app: FastifyInstance, s: AppServices): Promise<void> {
  const check = basicAuthHook(s.config.auth.adminUsers, 'callback-orchestrator admin', s.config.auth.apiUsers);
  // Answers the refusal itself instead of throwing: plugins mounted here (bull-board) install error handlers
  // of their own that would turn an auth error into a 500.
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await check(request, reply);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return reply.code(err.status).headers(err.headers).send({ message: err.message });
    }
  };

  await app.register(async (admin) => {
    admin.addHook('onRequest', guard);
    registerSettingsRoutes(admin, s);
    registerExplainRoutes(admin, s);
    registerAdminPage(admin, s);
    await registerQueuesDashboard(admin, s);
  });
}
