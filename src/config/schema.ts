import { IANAZone } from 'luxon';
import { z } from 'zod';
import { closedRecordPolicySchema } from '../policy/ClosedRecordPolicy.js';
import { WEBHOOK_EVENT_FILTERS } from './webhookEventTypes.js';

/** The whole configuration file (SPEC section 5). Every field is documented in config/example.json. */

const nonEmpty = z.string().min(1);

const DEFAULT_TIMEZONE = 'America/New_York';

/** An IANA zone luxon can use (SPEC 9.3: every local time is read in one). */
const timezoneSchema = z.string().refine((name) => IANAZone.isValidZone(name), `must be an IANA time zone like "${DEFAULT_TIMEZONE}"`);

/** "HH:MM" on a 24-hour clock, 00:00 to 23:59; string comparison orders these like the times themselves. */
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
const timeOfDaySchema = z.string().regex(TIME_OF_DAY, 'must be a time of day like "08:00"');
/** The end of a business-hours range, which may also be the end of the day. */
const END_OF_DAY = '24:00';
const isRangeEnd = (time: string) => TIME_OF_DAY.test(time) || time === END_OF_DAY;
const rangeEndSchema = z.string().refine(isRangeEnd, `must be a time of day like "17:00" (or "${END_OF_DAY}" for midnight)`);
/** Ordering and overlap are judged only between well-formed ranges (a malformed one already has its message). */
const isWellFormed = ([start, end]: [string, string]) => TIME_OF_DAY.test(start) && isRangeEnd(end);

/** SPEC 9.3: every day, in the customer's zone; `end` is exclusive; start > end crosses midnight. */
const callingWindowSchema = z
  .strictObject({ start: timeOfDaySchema, end: timeOfDaySchema })
  .refine((window) => window.start !== window.end, { path: ['end'], message: 'must differ from start' });

const WHOLE_ATTEMPTS = 'must be a whole number, at least 1';
const INTERVAL_SECONDS = 'must be a whole number of seconds, at least 1';

/** SPEC 9.2: `maxAttempts` counts the first call, so 1 means no retries. */
const retriesSchema = z.strictObject({
  maxAttempts: z.number(WHOLE_ATTEMPTS).int(WHOLE_ATTEMPTS).min(1, WHOLE_ATTEMPTS),
  intervalSeconds: z.number(INTERVAL_SECONDS).int(INTERVAL_SECONDS).min(1, INTERVAL_SECONDS).default(900),
  /** The dialer's `fail_reason`s that earn a retry. */
  on: z.array(nonEmpty).min(1, 'must list at least one fail_reason').default(['no_answer', 'busy', 'voicemail']),
});

/** Weekdays in ISO order (luxon's `weekday` 1..7 is the index + 1). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The open ranges of one day: each includes its start and excludes its end. */
const dayRangesSchema = z
  .array(
    z
      .tuple([timeOfDaySchema, rangeEndSchema])
      .refine((range) => !isWellFormed(range) || range[0] < range[1], { path: [1], message: 'must be after the start' }),
  )
  .superRefine((ranges, ctx) => {
    const byStart = ranges
      .map((range, index) => ({ range, index }))
      .filter(({ range }) => isWellFormed(range) && range[0] < range[1])
      .sort((a, b) => (a.range[0] < b.range[0] ? -1 : 1));
    byStart.slice(1).forEach(({ range, index }, i) => {
      const previous = byStart[i]!.range;
      if (range[0] < previous[1]) {
        ctx.addIssue({ code: 'custom', path: [index], message: `overlaps ${previous[0]}-${previous[1]}` });
      }
    });
  });

/** SPEC 9.3: when agents are there, in the menu's zone; a missing day is closed. */
const businessHoursSchema = z.strictObject({
  timezone: timezoneSchema,
  weekly: z.strictObject({
    mon: dayRangesSchema.optional(),
    tue: dayRangesSchema.optional(),
    wed: dayRangesSchema.optional(),
    thu: dayRangesSchema.optional(),
    fri: dayRangesSchema.optional(),
    sat: dayRangesSchema.optional(),
    sun: dayRangesSchema.optional(),
  } satisfies Record<Weekday, unknown>),
});

const menuSchema = z.strictObject({
  id: z.number().int().positive(),
  name: nonEmpty,
  /** Only `web` and `mobile` menus accept scheduled calls. */
  type: z.enum(['web', 'mobile', 'ivr']),
  state: z.enum(['open', 'after_hours', 'manual_redirection']).default('open'),
  languages: z.array(z.string().length(2)).min(1).default(['en']),
  /** Overrides the global `callingWindow` for this menu's calls. */
  callingWindow: callingWindowSchema.optional(),
  /** Overrides the global `retries` for this menu's calls. */
  retries: retriesSchema.optional(),
  /** No `hours` = always open. */
  hours: businessHoursSchema.optional(),
});

/** `whsec_` then non-empty padded standard base64, as the signer decodes it (so the key has at least one byte). */
const WEBHOOK_SECRET = /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$/;

/** SPEC 9.4: a receiver of signed outcome events (Standard Webhooks). */
const webhookSchema = z.strictObject({
  url: z.string().refine((value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol), 'must be an http(s) URL'),
  secret: z.string().regex(WEBHOOK_SECRET, 'must look like "whsec_<base64>"'),
  events: z
    .array(z.enum(WEBHOOK_EVENT_FILTERS, `must be one of ${WEBHOOK_EVENT_FILTERS.join(', ')}`))
    .min(1, 'must list at least one event type'),
  timeoutMs: z.number().int().positive().default(10000),
});

export type CallingWindowConfig = z.infer<typeof callingWindowSchema>;
export type RetriesConfig = z.infer<typeof retriesSchema>;
export type BusinessHoursConfig = z.infer<typeof businessHoursSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;

const lookupSchema = z
  .strictObject({
    timeoutMs: z.number().int().positive().default(5000),
    attempts: z.number().int().min(1).max(10).default(3),
    budgetMs: z.number().int().positive().default(15000),
  })
  .default({ timeoutMs: 5000, attempts: 3, budgetMs: 15000 });

const salesforceSchema = z.strictObject({
  instanceUrl: z.url(),
  /** Static access token; or OAuth client credentials; or username-password. */
  accessToken: z.string().optional(),
  loginUrl: z.url().optional(),
  clientId: z.string().optional(),
  clientSecret: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/, 'must look like "62.0"')
    .default('62.0'),
  closedRecordPolicy: closedRecordPolicySchema.default('reopen'),
  /** Status set on reopen; when absent the org's default open CaseStatus is read once and used. */
  reopenStatus: z.string().min(1).optional(),
});

const zendeskSchema = z.strictObject({
  url: z.url(),
  email: z.string().optional(),
  token: z.string().optional(),
  oauthToken: z.string().optional(),
  closedStatuses: z.array(nonEmpty).min(1).default(['solved', 'closed']),
});

const servicenowSchema = z.strictObject({
  instanceUrl: z.url(),
  username: z.string().optional(),
  password: z.string().optional(),
  oauthToken: z.string().optional(),
  table: z
    .string()
    .regex(/^[a-z0-9_]+$/, 'must be a table name like "incident"')
    .default('incident'),
  commentField: z.enum(['work_notes', 'comments']).default('work_notes'),
  closedStates: z.array(nonEmpty).default(['6', '7', '8']),
});

export type SalesforceConfig = z.infer<typeof salesforceSchema>;
export type ZendeskConfig = z.infer<typeof zendeskSchema>;
export type ServiceNowConfig = z.infer<typeof servicenowSchema>;
export type CrmLookupConfig = z.infer<typeof lookupSchema>;

const crmSchema = z
  .strictObject({
    provider: z.enum(['salesforce', 'zendesk', 'servicenow', 'none']).default('none'),
    lookup: lookupSchema,
    salesforce: salesforceSchema.optional(),
    zendesk: zendeskSchema.optional(),
    servicenow: servicenowSchema.optional(),
  })
  .superRefine((crm, ctx) => {
    if (crm.provider !== 'none' && !crm[crm.provider]) {
      ctx.addIssue({ code: 'custom', path: [crm.provider], message: `required when crm.provider is "${crm.provider}"` });
    }
  });

const dialerSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('log') }),
  z.strictObject({
    kind: z.literal('webhook'),
    url: z.url(),
    secret: z.string().min(1, 'must not be empty'),
    timeoutMs: z.number().int().positive().default(5000),
  }),
]);

/** A cluster seed node: `redis://host:port` (`rediss://` for TLS, credentials allowed; a cluster has no databases). */
const clusterNodeSchema = z.string().superRefine((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !['redis:', 'rediss:'].includes(url.protocol) || !url.hostname) {
    ctx.addIssue({ code: 'custom', message: 'must be a node URL like "redis://10.0.0.1:6379" (or rediss://)' });
  } else if (url.pathname.length > 1 || url.search) {
    ctx.addIssue({ code: 'custom', message: 'a cluster node URL has no database or options: "redis://host:port"' });
  }
});

const SHARDS_RANGE = 'must be a whole number from 1 to 64';

const redisSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .default('redis://127.0.0.1:6379'),
    /** Seed nodes of a Redis Cluster, used instead of `url`. */
    cluster: z
      .array(clusterNodeSchema)
      .min(1, 'must list at least one node')
      .refine(
        (nodes) => new Set(nodes.map((n) => n.split(':')[0])).size === 1,
        'every node must use the same scheme (redis:// or rediss://)',
      )
      .optional(),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('cbo'),
    /** Hash-tagged shards the store and the queues are split into (a cluster spreads them over its masters). */
    shards: z.number(SHARDS_RANGE).int(SHARDS_RANGE).min(1, SHARDS_RANGE).max(64, SHARDS_RANGE).default(1),
  })
  .default({ url: 'redis://127.0.0.1:6379', prefix: 'cbo', shards: 1 });

/** 30 days (SPEC 10). */
const DEFAULT_FINAL_CALL_SECONDS = 30 * 24 * 60 * 60;
const WHOLE_SECONDS = 'must be a whole number of seconds, at least 1';

// No length rules beyond non-empty: the operator owns secret policy (start-up warns about short ones).
const credentialSchema = z.strictObject({ username: nonEmpty, password: z.string().min(1, 'must not be empty') });

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Requests in flight above which the API answers 503 with Retry-After. */
        maxConcurrentRequests: z.number().int().positive().default(1000),
        /** Event-loop delay above which the API answers 503 with Retry-After; 0 turns this check off. */
        maxEventLoopDelayMs: z.number().int().min(0).default(1000),
      })
      .default({ host: '127.0.0.1', port: 8080, maxConcurrentRequests: 1000, maxEventLoopDelayMs: 1000 }),
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code like "US"')
      .default('US'),
    redis: redisSchema,
    auth: z.strictObject({
      apiUsers: z.array(credentialSchema).default([]),
      bearerTokens: z.array(z.strictObject({ token: z.string().min(1, 'must not be empty'), skills: z.array(nonEmpty) })).default([]),
      adminUsers: z.array(credentialSchema).default([]),
    }),
    menus: z.array(menuSchema).default([]),
    skills: z.array(z.strictObject({ name: nonEmpty, menuId: z.number().int().positive() })).default([]),
    crm: crmSchema.default({ provider: 'none', lookup: { timeoutMs: 5000, attempts: 3, budgetMs: 15000 } }),
    dialer: dialerSchema.default({ kind: 'log' }),
    worker: z
      .strictObject({
        /**
         * Due callbacks processed at once; their CRM reads are batched together. Most of a callback's time is spent
         * waiting (CRM, Redis, dialer), so many run at once: with a CRM answering in 50 ms, 200 allow about 3,000 a second.
         */
        concurrency: z.number().int().min(1).max(1000).default(200),
        /** How long the batcher waits to gather CRM reads of callbacks due together. */
        batchWindowMs: z.number().int().min(0).max(1000).default(25),
        /** A call handed to the dialer with no final status after this long is failed (`dialer_timeout`). */
        activeCallTimeoutMinutes: z.number().positive().default(240),
        /** ROLE=worker only: a port for /healthz, /readyz and /metrics (the API serves them otherwise). */
        healthPort: z.number().int().min(0).max(65535).optional(),
      })
      .default({ concurrency: 200, batchWindowMs: 25, activeCallTimeoutMinutes: 240 }),
    retention: z
      .strictObject({
        /** A finished, failed or canceled call is deleted, with its events and index entries, this long after it ended. */
        finalCallSeconds: z.number(WHOLE_SECONDS).int(WHOLE_SECONDS).min(1, WHOLE_SECONDS).default(DEFAULT_FINAL_CALL_SECONDS),
      })
      .default({ finalCallSeconds: DEFAULT_FINAL_CALL_SECONDS }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The customer's zone when neither the request nor the number gives one (SPEC 9.3). */
    defaultTimezone: timezoneSchema.default(DEFAULT_TIMEZONE),
    /** No `callingWindow` (here or on the menu) = no such rule. */
    callingWindow: callingWindowSchema.optional(),
    /** No `retries` (here or on the menu) = no retries. */
    retries: retriesSchema.optional(),
    webhooks: z.array(webhookSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    cfg.skills.forEach((skill, i) => {
      if (!cfg.menus.some((m) => m.id === skill.menuId)) {
        ctx.addIssue({ code: 'custom', path: ['skills', i, 'menuId'], message: `menu ${skill.menuId} is not configured` });
      }
    });
  });

export type AppConfig = z.infer<typeof configSchema>;
export type MenuConfig = AppConfig['menus'][number];
export type RedisConfig = AppConfig['redis'];
