import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import underPressure from '@fastify/under-pressure';
import type { AppServices } from '../AppServices.js';
import { basicAuthHook } from './auth.js';
import { HttpError } from './HttpError.js';
import { BODY_LIMIT_BYTES, SERVER_MESSAGES } from './serverMessages.js';
import { installJsonBodyParser } from './jsonBodyParser.js';
import { LingeringClose, type LingeringCloseBounds } from './LingeringClose.js';
import { registerApiReference } from './openapi/registerApiReference.js';
import { registerCallCancelRoutes } from './routes/callCancelRoutes.js';
import { registerCallRescheduleRoutes } from './routes/callRescheduleRoutes.js';
import { registerCallRoutes } from './routes/callRoutes.js';
import { registerCallUpdateRoutes } from './routes/callUpdateRoutes.js';
import { registerHealthRoutes } from './routes/healthRoutes.js';
import { registerSkillCallbackRoutes } from './routes/skillCallbackRoutes.js';

const UNCAPPED = new Set(['/healthz', '/readyz', '/metrics']);

/** Extra routes mounted by other modules (the admin API), registered after the core ones. */
export type RouteModule = (app: FastifyInstance, s: AppServices) => void | Promise<void>;

export interface ServerOptions {
  /** How much of a body refused with 413 is still read before closing (SPEC 8 defaults; tests inject small ones). */
  lingeringClose?: LingeringCloseBounds;
}

/**
 * The HTTP server: every error is `{"message": ...}`; bad input is a 4xx, never a 500; Redis trouble is a
 * 503 with Retry-After; overload is shed with 503 + Retry-After instead of timeouts.
 */
export async function buildServer(s: AppServices, extraRoutes: RouteModule[] = [], options: ServerOptions = {}): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = s.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger,
    // Not two lines per request at info (fastify's default): at thousands of callbacks a second they would cost
    // more than the request. Each call's own line ("call scheduled", "callback handed to the dialer", ...) stays,
    // and errors are logged by the error handler below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  installJsonBodyParser(app);
  const lingeringClose = new LingeringClose(options.lingeringClose);

  await app.register(underPressure, {
    maxEventLoopDelay: s.config.server.maxEventLoopDelayMs,
    retryAfter: 5,
    exposeStatusRoute: false,
    pressureHandler: (_req, reply) => {
      void reply.code(503).header('Retry-After', '5').send({ message: SERVER_MESSAGES.overloaded });
    },
  });

  // A cap on requests in flight: past it, answer at once rather than queueing until clients time out.
  // Probes and metrics are exempt, so that an overloaded instance can still be seen and is not restarted.
  let inFlight = 0;
  app.addHook('onRequest', async (req, reply) => {
    if (UNCAPPED.has(req.url)) return;
    if (inFlight >= s.config.server.maxConcurrentRequests) {
      return reply.code(503).header('Retry-After', '1').send({ message: SERVER_MESSAGES.tooManyInFlight });
    }
    inFlight += 1;
    s.metrics.httpInFlight.inc();
    reply.raw.once('close', () => {
      inFlight -= 1;
      s.metrics.httpInFlight.dec();
    });
  });

  // `Content-Type: application/json` with an empty body (curl -X PATCH -H ... on a cancel) is no body, not a
  // parse error: endpoints that need a body still answer 400 "Request body must be a JSON object".
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers['content-length'] === '0' && request.headers['transfer-encoding'] === undefined) {
      delete request.headers['content-type'];
    }
    done();
  });

  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.status).headers(err.headers).send({ message: err.message });
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe.statusCode === 400 && err instanceof SyntaxError)) {
      return reply.code(400).send({ message: SERVER_MESSAGES.malformedJson });
    }
    if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return reply.code(400).send({ message: 'Request body must be a JSON object' });
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // The client may still be sending: answer now, and read the rest before closing (see LingeringClose).
      reply.hijack();
      lingeringClose.answer(request.raw, reply.raw, 413, { message: SERVER_MESSAGES.bodyTooLarge });
      return;
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ message: SERVER_MESSAGES.notJson });
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ message: err.message || 'Bad request' });
    }
    if (isRedisUnavailable(err)) {
      request.log.warn({ err: err.message }, 'storage unavailable');
      return reply.code(503).header('Retry-After', '5').send({ message: SERVER_MESSAGES.storageDown });
    }
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ message: 'Internal server error' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  registerHealthRoutes(app, s);
  registerSkillCallbackRoutes(app, s);
  await registerApiReference(app);

  const { apiUsers } = s.config.auth;
  await app.register((api, _options, done) => {
    api.addHook('onRequest', basicAuthHook(apiUsers, 'callback-orchestrator API'));
    registerCallRoutes(api, s);
    registerCallCancelRoutes(api, s);
    registerCallRescheduleRoutes(api, s);
    registerCallUpdateRoutes(api, s);
    done();
  });
  for (const mount of extraRoutes) await mount(app, s);
  return app;
}

/** ioredis / BullMQ errors that mean "Redis is not there right now" (on a cluster: a master is down). */
export function isRedisUnavailable(err: Error): boolean {
  const m = `${err.name} ${err.message}`;
  return /enableOfflineQueue|Connection is closed|ECONNREFUSED|ETIMEDOUT|ECONNRESET|MaxRetriesPerRequest|Stream isn't writeable|LOADING|READONLY|CLUSTERDOWN|Too many Cluster redirections/i.test(
    m,
  );
}
