import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RouteModule } from './api/buildServer.js';
import type { AppServices } from './AppServices.js';
import { buildServices } from './composition/buildServices.js';
import type { StartedRole } from './composition/Role.js';
import { startApiRole, startHealthServer } from './composition/startApiRole.js';
import { startWorkerRole } from './composition/startWorkerRole.js';
import type { AppConfig } from './config/schema.js';
import type { CrmAdapter } from './crm/CrmAdapter.js';
import type { Dialer } from './dialer/Dialer.js';
import { createLogger } from './observability/logger.js';

export interface AppOptions {
  api: boolean;
  worker: boolean;
  logger?: Logger;
  /** Replaces the dialer from config (the demo passes one that prints). */
  dialer?: Dialer;
  /** Stalled-job check interval (the job lock follows it, see lockDurationMs); short in tests that kill a worker mid-job. */
  stalledIntervalMs?: number;
  /** Replaces the CRM adapter built from config (tests plug in an in-memory CRM port implementation). */
  crmAdapter?: CrmAdapter;
  /** Extra HTTP routes (the admin API). */
  routes?: RouteModule[];
}

export interface RunningApp {
  services: AppServices;
  /** Base URL of the HTTP server when the API role runs (or the worker's health server). */
  url: string | null;
  server: FastifyInstance | null;
  /** Stops taking requests and jobs, finishes the ones in flight, closes connections. */
  close(): Promise<void>;
}

/**
 * Composition root: the shared services, then each role this process runs.
 *
 * | role          | runs                                                              |
 * | ------------- | ----------------------------------------------------------------- |
 * | worker        | fire and CRM side-effect workers, housekeeping                    |
 * | api           | the HTTP server, the bulk-cancel worker                           |
 * | health server | /healthz, /readyz, /metrics of a worker-only process (healthPort) |
 */
export async function startApp(config: AppConfig, options: AppOptions): Promise<RunningApp> {
  const services = buildServices(config, options.logger ?? createLogger(config.logLevel), options.crmAdapter);
  const stalledIntervalMs = options.stalledIntervalMs ?? 30_000;
  const healthPort = config.worker.healthPort;

  const roles: StartedRole[] = [];
  if (options.worker) roles.push(await startWorkerRole(services, { dialer: options.dialer, stalledIntervalMs }));
  if (options.api) roles.push(await startApiRole(services, { routes: options.routes ?? [], stalledIntervalMs }));
  else if (options.worker && healthPort !== undefined) roles.push(await startHealthServer(services, healthPort));

  const listening = roles.find((role) => role.server);
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // The API (started last) stops taking requests before the workers finish their jobs in flight.
      for (const role of [...roles].reverse()) await role.stop();
      await services.queues.close();
      services.redis.disconnect();
    })());

  return { services, url: listening?.url ?? null, server: listening?.server ?? null, close };
}
