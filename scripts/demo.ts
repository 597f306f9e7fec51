/**
 * `npm run demo`: the whole flow on this machine, with no CRM account. It starts loopback stand-ins for
 * Salesforce, Zendesk and ServiceNow (the same ones the tests use) with a few seeded records, runs the
 * orchestrator against each, schedules callbacks a few seconds out and shows what happened to each one and
 * which comment landed on the record.
 */
import { startApp, type RunningApp } from '../src/App.js';
import type { CallView } from '../src/calls/callView.js';
import { parseConfig } from '../src/config/loadConfig.js';
import type { Dialer } from '../src/dialer/Dialer.js';
import { createLogger, maskPhone } from '../src/observability/logger.js';
import type { FakeCrmServer } from '../test/fakes/FakeCrmServer.js';
import { SalesforceFakeServer } from '../test/fakes/SalesforceFakeServer.js';
import { ServiceNowFakeServer } from '../test/fakes/ServiceNowFakeServer.js';
import { ZendeskFakeServer } from '../test/fakes/ZendeskFakeServer.js';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API = { username: 'demo', password: 'demo-api-secret' };
const DUE_IN_MS = 3000;

interface Scenario {
  label: string;
  ticketId: string;
  /** Runs just before the callback is due (e.g. take the CRM down). */
  beforeDue?: () => Promise<void>;
}

interface Run {
  crm: string;
  fake: FakeCrmServer;
  app: RunningApp;
  prefix: string;
  scenarios: Array<Scenario & { callId: number }>;
}

const dialed: string[] = [];
const printingDialer: Dialer = {
  async offer(call: CallView) {
    dialed.push(`  dialer ← call ${call.id} to ${maskPhone(call.end_user_number)} (ticket ${call.out_ticket_id ?? '-'})`);
  },
};

async function startRun(crm: string, fake: FakeCrmServer, crmSection: Record<string, unknown>, scenarios: Scenario[]): Promise<Run> {
  const prefix = `cbo-demo-${crm.toLowerCase()}-${process.pid}`;
  const config = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      redis: { url: REDIS_URL, prefix },
      auth: { apiUsers: [API] },
      menus: [{ id: 9, name: 'Lock Star', type: 'web', languages: ['en'] }],
      crm: { ...crmSection, lookup: { timeoutMs: 1000, attempts: 2, budgetMs: 2500 } },
      logLevel: 'silent',
    },
    {},
  );
  const app = await startApp(config, { api: true, worker: true, dialer: printingDialer, logger: createLogger('silent') });
  const scheduled = [];
  for (const s of scenarios) {
    const res = await fetch(`${app.url}/apps/api/v1/calls`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${API.username}:${API.password}`).toString('base64')}`,
      },
      body: JSON.stringify({
        call_type: 'Voice Scheduled (API)',
        menu_id: 9,
        end_user_number: '+1 859-657-9625',
        ticket_id: s.ticketId,
        scheduled_at: new Date(Date.now() + DUE_IN_MS).toISOString(),
      }),
    });
    const body = (await res.json()) as { id: number; message?: string };
    if (res.status !== 201) throw new Error(`scheduling failed: ${res.status} ${body.message}`);
    scheduled.push({ ...s, callId: body.id });
  }
  return { crm, fake, app, prefix, scenarios: scheduled };
}

async function main() {
  console.log(`Callback orchestrator demo — Redis at ${REDIS_URL}\n`);
  const sf = new SalesforceFakeServer();
  const zd = new ZendeskFakeServer();
  const sn = new ServiceNowFakeServer();
  await Promise.all([sf.start(), zd.start(), sn.start()]);

  const sfOpen = sf.addRecord({ id: '', closed: false });
  const sfClosed = sf.addRecord({ id: '', closed: true });
  const zdOpen = zd.addRecord({ id: '', closed: false });
  const zdSolved = zd.addRecord({ id: '', closed: true, status: 'solved' });
  const zdClosed = zd.addRecord({ id: '', closed: true, status: 'closed' });
  const snOpen = sn.addRecord({ id: '', closed: false });
  const snResolved = sn.addRecord({ id: '', closed: true, status: '6' });

  const runs = await Promise.all([
    startRun('Salesforce', sf, sf.crmConfig({ closedRecordPolicy: 'reopen' }), [
      { label: 'open case', ticketId: sfOpen },
      { label: 'closed case, policy reopen', ticketId: sfClosed },
    ]),
    startRun('Zendesk', zd, zd.crmConfig(), [
      { label: 'open ticket', ticketId: zdOpen },
      { label: 'solved ticket', ticketId: zdSolved },
      { label: 'closed ticket (cannot take comments)', ticketId: zdClosed },
      { label: 'unknown ticket', ticketId: '999999' },
    ]),
    startRun('ServiceNow', sn, sn.crmConfig(), [
      { label: 'open incident', ticketId: snOpen },
      { label: 'resolved incident (state 6)', ticketId: snResolved },
    ]),
  ]);
  console.log(`Scheduled ${runs.reduce((n, r) => n + r.scenarios.length, 0)} callbacks, due in ${DUE_IN_MS / 1000} s …`);
  await new Promise((r) => setTimeout(r, DUE_IN_MS + 3000));

  console.log('\nDialer:');
  console.log(dialed.join('\n') || '  (nothing dialed)');
  for (const run of runs) {
    console.log(`\n${run.crm}`);
    for (const s of run.scenarios) {
      const call = await run.app.services.calls.get(s.callId);
      const events = await run.app.services.calls.events(s.callId);
      const outcome = call!.status === 'queued' ? 'dialed (queued)' : `${call!.status} (${call!.fail_reason})`;
      const comments = run.fake.commentsOn(s.ticketId);
      const undeliverable = events.find((e) => e.type === 'comment_undeliverable');
      console.log(`  call ${s.callId} · ${s.label} → ${outcome}`);
      console.log(`      record status now: ${run.fake.recordStatus(s.ticketId) ?? 'not found'}`);
      if (comments.length) for (const c of comments) console.log(`      comment written: "${c}"`);
      else if (undeliverable) console.log(`      comment undeliverable: ${undeliverable.detail}`);
      else console.log('      no comment');
    }
  }

  for (const run of runs) {
    await run.app.close();
    await run.fake.stop();
    await deletePrefix(run.prefix);
  }
  console.log('\nDone. Run `npm start` for the real daemon (see README).');
}

async function deletePrefix(prefix: string) {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

main().catch((err) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
