import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceNowAdapter } from '../../../adapters/servicenow/ServiceNowAdapter.js';
import type { ServiceNowConfig } from '../../../src/config/schema.js';
import { ResilientCrm } from '../../../src/crm/ResilientCrm.js';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { capturingLogger } from '../../support/captureLogs.js';
import { logFailureChain, silentLogger, TEST_BUDGET } from '../adapterTestKit.js';
import { CrmRejectedError, CrmUnreachableError, RecordNotFoundError } from '../../../src/crm/errors.js';
import { ServiceNowFakeServer } from '../../fakes/ServiceNowFakeServer.js';
import { serviceNowConfigFor } from './serviceNowContractDriver.js';

/**
 * What only ServiceNow does: the Table API adapter (axios) against the loopback ServiceNow fake, through
 * ResilientCrm wherever retries matter. The CrmAdapter contract every vendor meets (ids, batching, not found,
 * comments, 429 / 401 / 5xx / timeouts and the budget) is in ../crmAdapterContract.test.ts.
 */

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

function crmFor(fake: ServiceNowFakeServer, overrides: Partial<ServiceNowConfig> = {}) {
  const adapter = new ServiceNowAdapter(serviceNowConfigFor(fake, overrides), { logger: silent });
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

    it('returns not_found for an unknown number, in one request', async () => {
      const { crm } = crmFor(fake);
      expect(await crm.readRecord('INC0099999')).toEqual({ id: 'INC0099999', state: 'not_found', rawStatus: null });
      expect(fake.requests).toHaveLength(1);
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

    it('reads a batch with sys_idIN, a sysparm_limit as large as the batch and only the needed fields', async () => {
      const known = Array.from({ length: 145 }, (_, i) => fake.addRecord({ id: sysId(), closed: i % 5 === 0 }));
      const unknown = Array.from({ length: 5 }, () => sysId());
      const ids = [...known.slice(0, 70), ...unknown, ...known.slice(70)];
      const { crm } = crmFor(fake);

      await crm.readRecords(ids);

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

  describe('comments', () => {
    it('writes the exact body to work_notes with one PATCH on the record (a closed one too)', async () => {
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

    it('throws RecordNotFoundError for an unknown sys_id after its PATCH, and for an unknown number after its lookup, with no PATCH', async () => {
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
  });

  describe('hasCommentSince', () => {
    it('matches the body exactly (whitespace included) and in the configured field only', async () => {
      const id = fake.addRecord({ id: sysId(), closed: true });
      const { crm } = crmFor(fake);
      const since = new Date(Date.now() - 2000);

      await crm.addComment(id, CLOSED_COMMENT);

      expect(await crm.hasCommentSince(id, CLOSED_COMMENT, since)).toBe(true);
      expect(await crm.hasCommentSince(id, `${CLOSED_COMMENT} `, since)).toBe(false);
      // The same note looked up in `comments` is not there.
      expect(await crmFor(fake, { commentField: 'comments' }).crm.hasCommentSince(id, CLOSED_COMMENT, since)).toBe(false);
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
    it("names ServiceNow's refusal (User Not Authenticated) when a 401 makes it unreachable", async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'unauthorized' });
      const err = await crmFor(fake)
        .crm.readRecord(id)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect((err as Error).message).toContain('User Not Authenticated');
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

    it('never logs the OAuth token, even at trace level and on failures', async () => {
      const { logger, lines } = capturingLogger();
      const logFailure = logFailureChain(logger);
      const id = fake.addRecord({ id: sysId(), closed: false });
      const adapter = new ServiceNowAdapter(
        serviceNowConfigFor(fake, { username: undefined, password: undefined, oauthToken: fake.oauthToken }),
        {
          logger,
        },
      );
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
      const log = lines.join('');
      expect(log).toContain('servicenow'); // something was logged
      expect(log).not.toContain(fake.oauthToken);
    });
  });

  describe('outages and the retry budget', () => {
    it('names the 503 in CrmUnreachableError once the attempts are spent', async () => {
      const id = fake.addRecord({ id: sysId(), closed: false });
      await fake.setMode({ kind: 'down' });
      const err = await crmFor(fake)
        .crm.readRecords([id])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect((err as Error).message).toContain('503');
    });
  });
});
