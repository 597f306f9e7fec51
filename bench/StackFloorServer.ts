import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { MenuConfig } from '../src/config/schema.js';
import { validateCreateCall } from '../src/api/validation/createCallRequest.js';

const MENUS: MenuConfig[] = [{ id: 9, name: 'Bench', type: 'web', state: 'open', languages: ['en'] }];

/**
 * The least a `POST /calls` can cost on the product's stack: fastify parses the JSON body, the product's own
 * validation checks it (zod, libphonenumber), one raw BullMQ delayed job is added, and the answer is 201 with the
 * id and time. No auth, store, duplicate guard, log, metrics or call object: none of the product's own work.
 */
export class StackFloorServer {
  private readonly app: FastifyInstance = Fastify();
  private created = 0;

  constructor(addJob: (dueAt: Date) => Promise<void>) {
    this.app.post('/apps/api/v1/calls', async (request, reply) => {
      const now = new Date();
      const call = await validateCreateCall(request.body, {
        menus: MENUS,
        defaultRegion: 'US',
        isValidTicketId: () => true,
        recordKey: (id) => id,
        parentMenuId: () => Promise.resolve(null),
        now,
      });
      await addJob(new Date(call.scheduled_at));
      return reply.code(201).send({ id: (this.created += 1), scheduled_at: call.scheduled_at });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.app.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    await this.app.listen({ host: '127.0.0.1', port: 0 });
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}
