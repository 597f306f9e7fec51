import { z } from 'zod';

/** Liveness and readiness (SPEC 8); no credentials needed. */

export const livenessSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' });

export const readinessSchema = z.object({ status: z.literal('ok'), redis: z.literal('up') }).meta({ id: 'Readiness' });

export const notReadySchema = z
  .object({ message: z.string().min(1), status: z.literal('unavailable'), redis: z.literal('down') })
  .meta({ id: 'NotReady' });

export const REDIS_NOT_REACHABLE = 'Redis is not reachable';
