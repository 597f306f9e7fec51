import type { FastifyInstance } from 'fastify';

/** A started part of the process (API, worker, health server), stopped in the reverse order of starting. */
export interface StartedRole {
  /** The HTTP server this role listens with, if any. */
  server?: FastifyInstance;
  url?: string;
  stop(): Promise<void>;
}
