import { z } from 'zod';
import { BODY_NOT_AN_OBJECT, errorOption } from './common.js';

/** The Xima-style skill callback (SPEC 3.2). */

export const SKILL_CALLBACK_ERRORS = {
  skillRequired: 'skill is required',
  numberRequired: 'callbackNumber is required',
  numberMalformed: 'callbackNumber is not well formed',
  unknownSkill: (skill: string) => `Unknown skill '${skill}'`,
  skillNotAllowed: (skill: string) => `This token may not request callbacks for skill '${skill}'`,
  badToken: "The authorization header wasn't valid.",
} as const;

const E = SKILL_CALLBACK_ERRORS;

export const skillCallbackBodySchema = z
  .object(
    {
      skill: z
        .string(errorOption(E.skillRequired))
        .min(1, errorOption(E.skillRequired))
        .meta({ description: 'A configured skill, spelled exactly', example: 'Online Requests' }),
      callbackNumber: z
        .preprocess(
          (v) => (v === null || v === '' ? undefined : v),
          z.union(
            [z.string(), z.number()],
            errorOption((input) => (input === undefined ? E.numberRequired : E.numberMalformed)),
          ),
        )
        .meta({
          description: "A real phone number; without a country code it is read in the config's `defaultRegion`",
          example: '3855551234',
        }),
    },
    errorOption(BODY_NOT_AN_OBJECT),
  )
  .meta({ id: 'SkillCallbackRequest' });
