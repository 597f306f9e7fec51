import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceNowAdapter } from '../../../adapters/servicenow/ServiceNowAdapter.js';
import type { ServiceNowConfig } from '../../../src/config/schema.js';
import { ResilientCrm } from '../../../src/crm/ResilientCrm.js';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { capturingLogger } from '../../support/captureLogs.js';
import { ctx, silentLogger, TEST_BUDGET } from '../adapterTestKit.js';
import {
  CrmAuthError,
  CrmRejectedError,
  CrmTransientError,
  CrmUnreachableError,
  InvalidRecordIdError,
  RecordNotFoundError,
} from '../../../src/crm/errors.js';
import { ServiceNowFakeServer } from '../../fakes/ServiceNowFakeServer.js';

const BUDGET = TEST_BUDGET;
const silent = silentLogger;
const CLOSED_COMMENT = CRM_COMMENTS.record_closed_not_created;
const UNREACHABLE_COMMENT = CRM_COMMENTS.crm_unreachable;

let seq = 0;
/** A fresh 32-hex sys_id. */
function sysId(): string {
  seq += 1;
  return `a1b2c3d4e5f6${String(seq).padStart(20, '0')}`;
}

function configOf(fake: ServiceNowFakeServer, overrides: Partial<ServiceNowConfig> = {}): ServiceNowConfig {
  return { ...(fake.crmConfig().servicenow as ServiceNowConfig), ...overrides };
}

function crmFor(fake: ServiceNowFakeServer, overrides: Partial<ServiceNowConfig> = {}) {
  const adapter = new ServiceNowAdapter(configOf(fake, overrides), { logger: silent });
  return { adapter, crm: new ResilientCrm(adapter, BUDGET, silent) };
}

/** sysparm_* values of a logged request, decoded. */
function paramsOf(path: string): URLSearchParams {
  return new URL(path, 'http://x').searchParams;
}

describe('ServiceNowAdapter against the Table API fake', () => {
  let fake: ServiceNowFakeServer;

  beforeEach(async () => {
    fake = new ServiceNowFakeServer();
    await fake.start();
  });

  afterEach(async () => {
    await fake.stop();
  });

  describe('reading records', () => {
    it('reads an open incident by sys_id with one GET on the record, asking only for the needed fields', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false, status: '2' });
      const { crm } = crmFor(fake);

      expect(await crm.readRecord(id)).toEqual({ id, state: 'open', rawStatus: '2' });

      expect(fake.requests).toHaveLength(1);
      const req = fake.requests[0]!;
      expect(req.method).toBe('GET');
      expect(req.path.split('?')[0]).toBe(`/api/now/table/incident/${id}`);
      expect(paramsOf(req.path).get('sysparm_fields')).toBe('sys_id,number,state,active');
      expect(req.headers.accept).toContain('application/json');
      expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`svc:${fake.password}`).toString('base64')}`);
    });

    it('reports a resolved incident (state 6, still active) as closed with its raw state', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false, status: '6' });
      const { crm } = crmFor(fake);
      expect(await crm.readRecord(id)).toEqual({ id, state: 'closed', rawStatus: '6' });
    });

    it('reports a closed incident (state 7, inactive) as closed', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true });
      const { crm } = crmFor(fake);
      expect(await crm.readRecord(id)).toEqual({ id, state: 'closed', rawStatus: '7' });
    });

    it('reports an inactive record as closed even when its state is not in closedStates', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true, status: '2' });
      const { crm } = crmFor(fake);
      expect(await crm.readRecord(id)).toEqual({ id, state: 'closed', rawStatus: '2' });
    });

    it('uses the configured closedStates', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false, status: '6' });
      const { crm } = crmFor(fake, { closedStates: ['7'] });
      expect(await crm.readRecord(id)).toEqual({ id, state: 'open', rawStatus: '6' });
    });

    it('returns not_found for an unknown sys_id (404) and an unknown number', async () => {
      const { crm } = crmFor(fake);
      const unknownSysId = sysId();
      expect(await crm.readRecord(unknownSysId)).toEqual({ id: unknownSysId, state: 'not_found', rawStatus: null });
      expect(await crm.readRecord('INC0099999')).toEqual({ id: 'INC0099999', state: 'not_found', rawStatus: null });
      expect(fake.requests).toHaveLength(2);
    });

    it('looks a record up by number, normalising case but keying the result by the id as asked', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false, status: '1' });
      const number = fake.numberOf(id)!;
      expect(number).toMatch(/^INC\d{7}$/);
      const asked = number.toLowerCase();
      const { crm } = crmFor(fake);

      const found = await crm.readRecords([asked]);
      expect([...found.entries()]).toEqual([[asked, { id: asked, state: 'open', rawStatus: '1' }]]);

      expect(fake.requests).toHaveLength(1);
      const req = fake.requests[0]!;
      expect(req.path.split('?')[0]).toBe('/api/now/table/incident');
      expect(paramsOf(req.path).get('sysparm_query')).toBe(`number=${number}`);
      expect(paramsOf(req.path).get('sysparm_fields')).toBe('sys_id,number,state,active');
      // The query is sent encoded, never as raw '=' / '^' in the URL.
      expect(req.path).toContain('sysparm_query=number%3D');
    });

    it('reads 150 ids with a few unknown ones in 2 requests (maxBatchSize 100), unknown ones as not_found', async () => {
      const known = Array.from({ length: 145 }, (_, i) => fake.addRecord({ id: sysId(), closed: i % 5 === 0 }));
      const unknown = Array.from({ length: 5 }, () => sysId());
      const ids = [...known.slice(0, 70), ...unknown, ...known.slice(70)];
      const { crm, adapter } = crmFor(fake);
      expect(adapter.maxBatchSize).toBe(100);

      const found = await crm.readRecords(ids);

      expect(found.size).toBe(150);
      for (const id of unknown) expect(found.get(id)).toEqual({ id, state: 'not_found', rawStatus: null });
      known.forEach((id, i) => {
        expect(found.get(id)).toEqual({ id, state: i % 5 === 0 ? 'closed' : 'open', rawStatus: i % 5 === 0 ? '7' : '1' });
      });
      expect(fake.requests).toHaveLength(2);
      const queried = fake.requests.map((r) => paramsOf(r.path));
      expect(queried.map((p) => p.get('sysparm_limit'))).toEqual(['100', '50']);
      for (const p of queried) {
        expect(p.get('sysparm_query')).toMatch(/^sys_idIN[0-9a-f,]+$/);
        expect(p.get('sysparm_fields')).toBe('sys_id,number,state,active');
      }
    });

    it('reads a mixed batch of sys_ids and numbers in one request, keyed as asked', async () => {
      const a = fake.addRecord({ id: sysId(), closed: false });
      const b = fake.addRecord({ id: sysId(), closed: true });
      const c = fake.addRecord({ id: sysId(), closed: false, status: '6' });
      const cNumber = fake.numberOf(c)!;
      const { crm } = crmFor(fake);

      const found = await crm.readRecords([a, b.toUpperCase(), cNumber, 'INC0088888']);

      expect(found.get(a)?.state).toBe('open');
      expect(found.get(b.toUpperCase())).toEqual({ id: b.toUpperCase(), state: 'closed', rawStatus: '7' });
      expect(found.get(cNumber)).toEqual({ id: cNumber, state: 'closed', rawStatus: '6' });
      expect(found.get('INC0088888')?.state).toBe('not_found');
      expect(fake.requests).toHaveLength(1);
      expect(paramsOf(fake.requests[0]!.path).get('sysparm_query')).toBe(`sys_idIN${a},${b}^ORnumberIN${cNumber},INC0088888`);
    });

    it('counts a 404 that is not the Table API (wrong instanceUrl path) as unreachable, never as not_found', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      const { crm } = crmFor(fake, { instanceUrl: `${fake.origin}/typo` });

      await expect(crm.readRecord(id)).rejects.toBeInstanceOf(CrmUnreachableError);
      await expect(crm.readRecords([id, 'INC0010001'])).rejects.toBeInstanceOf(CrmUnreachableError);
      await expect(crm.addComment(id, CLOSED_COMMENT)).rejects.toBeInstanceOf(CrmUnreachableError);
      expect(fake.requests.every((r) => r.path.startsWith('/typo/api/now/table/incident'))).toBe(true);
    });

    it('reads from the configured table (sn_customerservice_case)', async () => {
      await fake.stop();
      fake = new ServiceNowFakeServer({ table: 'sn_customerservice_case' });
      await fake.start();
      const id = fake.addRecord({ id: sysId(), closed: false, status: '2' });
      const number = fake.numberOf(id)!;
      expect(number).toMatch(/^CS\d{7}$/);

      const { crm } = crmFor(fake); // the fake's config names sn_customerservice_case
      expect(await crm.readRecord(number)).toEqual({ id: number, state: 'open', rawStatus: '2' });
      await crm.addComment(id, CLOSED_COMMENT);
      expect(fake.commentsOn(id)).toEqual([CLOSED_COMMENT]);
      for (const r of fake.requests) expect(r.path).toMatch(/^\/api\/now\/table\/sn_customerservice_case[/?]/);

      // The same instance read as if it were `incident`: ServiceNow refuses the table, for good.
      const wrong = crmFor(fake, { table: 'incident' }).crm;
      const err = await wrong.readRecord(number).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrmRejectedError);
      expect((err as CrmRejectedError).status).toBe(400);
    });
  });

  describe('malformed ids', () => {
    const malformed = ['abc', 'INC1 OR 1=1', '^active=true', 'a'.repeat(31), 'b'.repeat(33), 'INC0010001^ORactive=true', '', 'INC001'];

    it.each(malformed)('rejects %j before any request', async (bad) => {
      const { adapter, crm } = crmFor(fake);
      expect(adapter.isValidRecordId(bad)).toBe(false);
      await expect(adapter.readRecords([bad], ctx())).rejects.toBeInstanceOf(InvalidRecordIdError);
      await expect(adapter.addComment(bad, CLOSED_COMMENT, ctx())).rejects.toBeInstanceOf(InvalidRecordIdError);
      await expect(adapter.hasCommentSince(bad, CLOSED_COMMENT, new Date(), ctx())).rejects.toBeInstanceOf(InvalidRecordIdError);
      await expect(crm.readRecord(bad)).rejects.toBeInstanceOf(InvalidRecordIdError);
      expect(fake.requests).toEqual([]);
    });

    it('sends nothing when one id of a batch is malformed', async () => {
      const good = fake.addRecord({ id: sysId(), closed: false });
      const { adapter } = crmFor(fake);
      await expect(adapter.readRecords([good, 'INC0010001', 'x^y'], ctx())).rejects.toBeInstanceOf(InvalidRecordIdError);
      expect(fake.requests).toEqual([]);
    });

    it('accepts sys_ids in any case and numbers with other prefixes', () => {
      const { adapter } = crmFor(fake);
      expect(adapter.isValidRecordId('0123456789abcdefABCDEF0123456789')).toBe(true);
      expect(adapter.isValidRecordId('INC0010001')).toBe(true);
      expect(adapter.isValidRecordId('cs0001234')).toBe(true);
      expect(adapter.isValidRecordId('RITM00012345')).toBe(true);
    });
  });

  describe('comments', () => {
    it('writes the exact body to work_notes with one PATCH on the record', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true });
      const { crm } = crmFor(fake);

      await crm.addComment(id, CLOSED_COMMENT);

      expect(fake.journal(id).map(({ element, value }) => ({ element, value }))).toEqual([
        { element: 'work_notes', value: CLOSED_COMMENT },
      ]);
      expect(fake.requests).toHaveLength(1);
      const req = fake.requests[0]!;
      expect(req.method).toBe('PATCH');
      expect(req.path.split('?')[0]).toBe(`/api/now/table/incident/${id}`);
      expect(req.body).toEqual({ work_notes: CLOSED_COMMENT });
      expect(req.headers['content-type']).toContain('application/json');
    });

    it('writes to comments when commentField is comments', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      const { crm } = crmFor(fake, { commentField: 'comments' });

      await crm.addComment(id, UNREACHABLE_COMMENT);

      expect(fake.journal(id).map(({ element, value }) => ({ element, value }))).toEqual([
        { element: 'comments', value: UNREACHABLE_COMMENT },
      ]);
      expect(fake.requests[0]!.body).toEqual({ comments: UNREACHABLE_COMMENT });
    });

    it('resolves a number to its sys_id before the PATCH', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      const number = fake.numberOf(id)!;
      const { crm } = crmFor(fake);

      await crm.addComment(number, CLOSED_COMMENT);

      expect(fake.commentsOn(id)).toEqual([CLOSED_COMMENT]);
      expect(fake.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
        'GET /api/now/table/incident',
        `PATCH /api/now/table/incident/${id}`,
      ]);
      expect(paramsOf(fake.requests[0]!.path).get('sysparm_query')).toBe(`number=${number}`);
    });

    it('throws RecordNotFoundError for an unknown sys_id (404) and an unknown number, writing nothing', async () => {
      const { crm } = crmFor(fake);
      const missing = sysId();
      await expect(crm.addComment(missing, CLOSED_COMMENT)).rejects.toBeInstanceOf(RecordNotFoundError);
      await expect(crm.addComment('INC0077777', CLOSED_COMMENT)).rejects.toBeInstanceOf(RecordNotFoundError);
      expect(fake.requests.map((r) => r.method)).toEqual(['PATCH', 'GET']);
    });

    it('treats a write aborted by a business rule (403 Operation Failed) as a permanent refusal, not an auth failure', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true });
      fake.abortUpdatesOf(id);
      const { crm } = crmFor(fake);

      const err = await crm.addComment(id, CLOSED_COMMENT).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(CrmRejectedError);
      expect((err as CrmRejectedError).status).toBe(403);
      expect((err as Error).message).toContain('Business Rule');
      expect(fake.commentsOn(id)).toEqual([]);
    });

    it('does not support reopen', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true });
      const { crm } = crmFor(fake);
      await expect(crm.reopen(id)).rejects.toThrow(new CrmRejectedError('reopen is not supported for servicenow'));
      expect(fake.requests).toEqual([]);
      expect(fake.recordStatus(id)).toBe('7');
    });
  });

  describe('hasCommentSince', () => {
    it('finds a comment written after since, with the exact body and in the configured field only', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true });
      const { crm } = crmFor(fake);
      const since = new Date(Date.now() - 2000);
      expect(await crm.hasCommentSince(id, CLOSED_COMMENT, since)).toBe(false);

      await crm.addComment(id, CLOSED_COMMENT);

      expect(await crm.hasCommentSince(id, CLOSED_COMMENT, since)).toBe(true);
      expect(await crm.hasCommentSince(id, CLOSED_COMMENT.slice(0, -1), since)).toBe(false);
      expect(await crm.hasCommentSince(id, `${CLOSED_COMMENT} `, since)).toBe(false);
      // The same note looked up in `comments` is not there.
      expect(await crmFor(fake, { commentField: 'comments' }).crm.hasCommentSince(id, CLOSED_COMMENT, since)).toBe(false);
    });

    it('ignores the same body written before since', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true });
      fake.addJournalEntry(id, 'work_notes', CLOSED_COMMENT, new Date('2024-03-01T10:00:00Z'));
      const { crm } = crmFor(fake);

      expect(await crm.hasCommentSince(id, CLOSED_COMMENT, new Date('2024-03-01T10:00:01Z'))).toBe(false);
      expect(await crm.hasCommentSince(id, CLOSED_COMMENT, new Date('2024-03-01T10:00:00.700Z'))).toBe(true);
    });

    it('queries sys_journal_field by record, field and UTC creation time', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      const { crm } = crmFor(fake);

      await crm.hasCommentSince(id, CLOSED_COMMENT, new Date('2024-03-01T10:00:05.250Z'));

      expect(fake.requests).toHaveLength(1);
      const req = fake.requests[0]!;
      expect(req.path.split('?')[0]).toBe('/api/now/table/sys_journal_field');
      expect(paramsOf(req.path).get('sysparm_query')).toBe(`element_id=${id}^element=work_notes^sys_created_on>=2024-03-01 10:00:05`);
      expect(paramsOf(req.path).get('sysparm_fields')).toBe('value,sys_created_on');
    });

    it('resolves a number first, and reports an unknown number as RecordNotFoundError', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      const { crm } = crmFor(fake);
      const since = new Date(Date.now() - 1000);
      await crm.addComment(id, CLOSED_COMMENT);

      expect(await crm.hasCommentSince(fake.numberOf(id)!, CLOSED_COMMENT, since)).toBe(true);
      await expect(crm.hasCommentSince('INC0066666', CLOSED_COMMENT, since)).rejects.toBeInstanceOf(RecordNotFoundError);
    });
  });

  describe('auth', () => {
    it('turns 401 into CrmUnreachableError without retrying', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'unauthorized' });
      const { crm, adapter } = crmFor(fake);

      await expect(adapter.readRecords([id], ctx())).rejects.toBeInstanceOf(CrmAuthError);
      fake.requests.length = 0;
      const err = await crm.readRecord(id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect((err as Error).message).toContain('User Not Authenticated');
      expect(fake.requests).toHaveLength(1);
    });

    it('is refused by the fake with a wrong password (the fake really checks Authorization)', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      const { crm } = crmFor(fake, { password: 'wrong-password' });
      await expect(crm.readRecord(id)).rejects.toBeInstanceOf(CrmUnreachableError);
      expect(fake.requests).toHaveLength(1);
    });

    it('turns a 403 ACL refusal into CrmUnreachableError, naming the permission problem', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      fake.denyByAcl();
      const { crm } = crmFor(fake);
      const err = await crm.readRecord(id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect((err as Error).message).toMatch(/403.*ACL/);
      expect(fake.requests).toHaveLength(1);
    });

    it('sends a bearer token when oauthToken is configured', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      const { crm } = crmFor(fake, { username: undefined, password: undefined, oauthToken: fake.oauthToken });
      expect((await crm.readRecord(id)).state).toBe('open');
      expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${fake.oauthToken}`);
    });

    it('refuses to start without credentials', () => {
      expect(() => new ServiceNowAdapter(configOf(fake, { username: undefined, password: undefined }), { logger: silent })).toThrow(
        /username and password, or oauthToken/,
      );
    });

    it('never logs the password or the token, even at trace level and on failures', async () => {
      const { logger, lines } = capturingLogger();
      // What an operator's error log would hold: the error and every cause down the chain.
      const logFailure = (err: unknown) => {
        const chain: unknown[] = [];
        for (let e: unknown = err; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
        chain.forEach((e, depth) => logger.error({ err: e, depth }, 'CRM call failed'));
      };
      const id = fake.addRecord({ id: sysId(), closed: false });
      for (const cfg of [configOf(fake), configOf(fake, { username: undefined, password: undefined, oauthToken: fake.oauthToken })]) {
        const adapter = new ServiceNowAdapter(cfg, { logger });
        const crm = new ResilientCrm(adapter, { ...BUDGET, attempts: 1 }, logger);
        await crm.readRecord(id);
        await crm.addComment(id, CLOSED_COMMENT);
        await fake.setMode({ kind: 'unauthorized' });
        await crm.readRecord(id).catch(logFailure);
        await fake.setMode({ kind: 'down' });
        await crm.readRecord(id).catch(logFailure);
        await fake.setMode({ kind: 'refuse' });
        await crm.readRecord(id).catch(logFailure);
        await fake.setMode({ kind: 'slow', delayMs: 1000 });
        await crm.addComment(id, CLOSED_COMMENT).catch(logFailure);
        await fake.setMode({ kind: 'normal' });
      }
      const log = lines.join('');
      expect(log).toContain('servicenow'); // something was logged
      expect(log).not.toContain(fake.password);
      expect(log).not.toContain(fake.oauthToken);
      expect(log).not.toContain(Buffer.from(`svc:${fake.password}`).toString('base64'));
    });
  });

  describe('outages and the retry budget', () => {
    it('honours Retry-After on 429 and then succeeds', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'rate_limited', retryAfterSeconds: 1, times: 1 });
      const { crm } = crmFor(fake);

      const started = Date.now();
      expect(await crm.readRecord(id)).toEqual({ id, state: 'open', rawStatus: '1' });
      const elapsed = Date.now() - started;

      expect(fake.requests).toHaveLength(2);
      // Backoff alone would have retried after ~250 ms; Retry-After: 1 means a second.
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(2500);
    });

    it('reports 429 as CrmTransientError carrying Retry-After', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'rate_limited', retryAfterSeconds: 7 });
      const { adapter } = crmFor(fake);
      const err = await adapter.readRecords([id], ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrmTransientError);
      expect((err as CrmTransientError).status).toBe(429);
      expect((err as CrmTransientError).retryAfterMs).toBe(7000);
    });

    it('gives up with CrmUnreachableError after exactly `attempts` requests when the instance answers 503', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'down' });
      const { crm } = crmFor(fake);

      const err = await crm.readRecords([id]).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect((err as Error).message).toContain('503');
      expect(fake.requests).toHaveLength(BUDGET.attempts);
    });

    it('treats a refused connection as transient and ends unreachable', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'refuse' });
      const { crm, adapter } = crmFor(fake);

      const direct = await adapter.readRecords([id], ctx()).catch((e: unknown) => e);
      expect(direct).toBeInstanceOf(CrmTransientError);
      expect((direct as Error).message).toContain('ECONNREFUSED');
      await expect(crm.readRecord(id)).rejects.toBeInstanceOf(CrmUnreachableError);
      await expect(crm.addComment(id, CLOSED_COMMENT)).rejects.toBeInstanceOf(CrmUnreachableError);

      await fake.setMode({ kind: 'normal' });
      expect((await crm.readRecord(id)).state).toBe('open');
    });

    it('gives up on a slow instance within the budget', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'slow', delayMs: 2000 });
      const { crm, adapter } = crmFor(fake);

      const direct = await adapter.readRecords([id], ctx(200)).catch((e: unknown) => e);
      expect(direct).toBeInstanceOf(CrmTransientError);

      fake.requests.length = 0;
      const started = Date.now();
      await expect(crm.readRecord(id)).rejects.toBeInstanceOf(CrmUnreachableError);
      expect(Date.now() - started).toBeLessThan(BUDGET.budgetMs + 500);
      expect(fake.requests).toHaveLength(BUDGET.attempts);
    });

    it('stops when the caller aborts ctx.signal', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'slow', delayMs: 2000 });
      const { adapter } = crmFor(fake);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);

      const started = Date.now();
      const err = await adapter.readRecords([id], { timeoutMs: 5000, signal: controller.signal }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrmTransientError);
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });
});
