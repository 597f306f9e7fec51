import { pathToFileURL } from 'node:url';
import { adminRoutes } from './admin/adminRoutes.js';
import { startApp } from './App.js';
import { ConfigError, loadConfig } from './config/loadConfig.js';
import { createLogger } from './observability/logger.js';

/**
 * `npm start`: API and worker in one process; ROLE=api or ROLE=worker splits them.
 * SIGTERM / SIGINT: stop taking work, finish what is in flight, exit 0 (within 30 s: see shutdown()).
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`callback-orchestrator: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const role = env.ROLE ?? 'all';
  if (!['all', 'api', 'worker'].includes(role)) {
    process.stderr.write(`callback-orchestrator: ROLE must be api, worker or unset (got "${role}")\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  const short = [
    ...config.auth.apiUsers.filter((u) => u.password.length < 12).map((u) => `auth.apiUsers password of "${u.username}"`),
    ...config.auth.adminUsers.filter((u) => u.password.length < 12).map((u) => `auth.adminUsers password of "${u.username}"`),
    ...(config.dialer.kind === 'webhook' && config.dialer.secret.length < 16 ? ['dialer.secret'] : []),
  ];
  if (short.length) logger.warn({ fields: short }, 'short secrets in the config: use long random values in production');
  const app = await startApp(config, {
    api: role !== 'worker',
    worker: role !== 'api',
    logger,
    routes: [adminRoutes],
    stalledIntervalMs: env.STALLED_INTERVAL_MS ? Number(env.STALLED_INTERVAL_MS) : undefined,
  });
  logger.info({ role, url: app.url, crm: config.crm.provider, dialer: config.dialer.kind }, 'callback-orchestrator started');

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing jobs in flight');
    // SPEC: exit within 30 s. A job still running then is left to BullMQ's stalled-job recovery by another
    // worker (its side effects stay exactly once), so this is still an orderly stop.
    const force = setTimeout(() => {
      logger.warn('jobs still running after 28 s; leaving them to stalled-job recovery and exiting');
      process.exit(0);
    }, 28_000);
    force.unref();
    app.close().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`callback-orchestrator: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
