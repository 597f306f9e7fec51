import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { safeEqual } from '../auth.js';
import { HttpError, badRequest } from '../HttpError.js';
import { SKILL_CALLBACK_ERRORS as E, skillCallbackBodySchema } from '../schemas/skillCallbackSchemas.js';
import { parseRequestPart } from '../validation/parseRequestPart.js';
import { toE164 } from '../validation/phoneNumber.js';

/**
 * Xima-style skill callback (SPEC 3.2): a callback due now for a configured skill, through the same worker
 * and policies as scheduled calls. Bearer tokens are scoped to skills.
 */
export function registerSkillCallbackRoutes(app: FastifyInstance, s: AppServices): void {
  const tokens = s.config.auth.bearerTokens;

  // Authentication runs before the body is parsed: a caller without a valid token learns nothing more.
  const authenticate = (request: FastifyRequest): Promise<void> => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    let owner: (typeof tokens)[number] | undefined;
    if (match) for (const t of tokens) if (safeEqual(match[1]!, t.token) && !owner) owner = t;
    if (!owner) return Promise.reject(new HttpError(401, E.badToken, { 'WWW-Authenticate': 'Bearer realm="callback-orchestrator"' }));
    request.principal = `token:${tokens.indexOf(owner)}`;
    (request as FastifyRequest & { allowedSkills?: string[] }).allowedSkills = owner.skills;
    return Promise.resolve();
  };

  app.post('/rest/api/v1/callback', { onRequest: authenticate }, async (request, reply) => {
    const body = parseRequestPart(skillCallbackBodySchema, request.body);
    const skill = s.config.skills.find((k) => k.name === body.skill);
    if (!skill) throw badRequest(E.unknownSkill(body.skill));
    const allowed = (request as FastifyRequest & { allowedSkills?: string[] }).allowedSkills ?? [];
    if (!allowed.includes(skill.name)) throw new HttpError(403, E.skillNotAllowed(skill.name));
    const number = toE164(body.callbackNumber, s.config.defaultRegion);
    if (!number) throw badRequest(E.numberMalformed);

    const menu = s.config.menus.find((m) => m.id === skill.menuId)!;
    const now = new Date();
    // Due now; outside the calling window or business hours it is moved to the next allowed time (SPEC 9.3).
    await s.scheduler.schedule(
      {
        parent_id: null,
        lang: menu.languages.includes('en') ? 'en' : menu.languages[0]!,
        call_type: 'Voice Scheduled (API)',
        created_at: now.toISOString(),
        scheduled_at: now.toISOString(),
        menu_id: menu.id,
        end_user_number: number,
        ticket_id: null,
        record_key: null,
        recording_permission: 'not_asked',
        source: 'skill',
        skill: skill.name,
        requestedTimezone: null,
      },
      now,
      'defer',
    );
    return reply.code(204).send();
  });
}
