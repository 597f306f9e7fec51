import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

/** The three credentials of SPEC 8: none of them opens another's endpoints. */
export const SECURITY = {
  apiUser: [{ apiUser: [] }],
  adminUser: [{ adminUser: [] }],
  skillToken: [{ skillToken: [] }],
  none: [],
} as const satisfies Record<string, Array<Record<string, string[]>>>;

export function registerSecuritySchemes(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'apiUser', {
    type: 'http',
    scheme: 'basic',
    description: 'HTTP Basic with a user of `auth.apiUsers` in the configuration: the Call API under /apps/api/v1.',
  });
  registry.registerComponent('securitySchemes', 'adminUser', {
    type: 'http',
    scheme: 'basic',
    description:
      'HTTP Basic with a user of `auth.adminUsers`, a separate list from the API users: everything under /admin. API users get 403.',
  });
  registry.registerComponent('securitySchemes', 'skillToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token of `auth.bearerTokens`, allowed for the skills listed with it: the skill callback.',
  });
}
