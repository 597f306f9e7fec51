import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * The admin page's static files (script, style sheet, icon), kept as real files in src/admin/public and served
 * as they are from /admin/assets. Only the files listed here are served.
 */

export const ADMIN_ASSETS_PATH = '/admin/assets';

const ASSETS: Record<string, { type: string; cacheControl: string }> = {
  'admin.js': { type: 'application/javascript; charset=utf-8', cacheControl: 'no-cache' },
  'admin.css': { type: 'text/css; charset=utf-8', cacheControl: 'no-cache' },
  'favicon.svg': { type: 'image/svg+xml', cacheControl: 'max-age=86400' },
};

/**
 * Where the files are: next to this module when it runs from source (vitest, tsx) or from a build that copied
 * them, else src/admin/public of the package when it runs compiled from dist/src/admin (tsc copies no assets).
 */
export function findAdminPublicDir(moduleUrl: string = import.meta.url): string {
  const candidates = [new URL('./public/', moduleUrl), new URL('../../../src/admin/public/', moduleUrl)].map((u) => fileURLToPath(u));
  const dir = candidates.find((d) => Object.keys(ASSETS).every((name) => existsSync(join(d, name))));
  if (!dir) throw new Error(`The admin page's files (${Object.keys(ASSETS).join(', ')}) are in none of: ${candidates.join(', ')}`);
  return dir;
}

/** GET /admin/assets/<file> for the listed files, read once at start-up; mount inside the admin auth scope. */
export function registerAdminAssets(app: FastifyInstance, dir = findAdminPublicDir()): void {
  for (const [name, { type, cacheControl }] of Object.entries(ASSETS)) {
    const body = readFileSync(join(dir, name));
    app.get(`${ADMIN_ASSETS_PATH}/${name}`, async (_request, reply) =>
      reply.type(type).header('Cache-Control', cacheControl).header('X-Content-Type-Options', 'nosniff').send(body),
    );
  }
}
