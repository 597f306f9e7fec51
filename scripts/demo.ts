/**
 * `npm run demo`: every outcome of SPEC 4 on this machine, with no CRM account. It starts loopback stand-ins
 * for Salesforce, Zendesk and ServiceNow (the ones the tests use, test/fakes) with a few seeded records, runs
 * an orchestrator (API + worker) against each, schedules callbacks a few seconds out through the Call API,
 * tells what happens as it happens, and ends with each call's outcome and what landed on its record.
 */
import { startApp, type RunningApp } from '../src/App.js';
import type { CallView } from '../src/calls/callView.js';
import { parseConfig } from '../src/config/loadConfig.js';
import { createLogger, maskPhone } from '../src/observability/logger.js';
import type { FakeCrmServer } from '../test/fakes/FakeCrmServer.js';
import { SalesforceFakeServer } from '../test/fakes/SalesforceFakeServer.js';
import { ServiceNowFakeServer } from '../test/fakes/ServiceNowFakeServer.js';
import { ZendeskFakeServer } from '../test/fakes/ZendeskFakeServer.js';
import { deletePrefix } from '../test/support/redis.js';
import { basic, waitFor } from '../test/support/testApp.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_USER = { username: 'demo', password: 'demo-api-secret' };
const DUE_IN_MS = 4000;
const CUSTOMER_NUMBER = '+1 859-657-9625';

/** One orchestrator against one stand-in CRM, under a Redis prefix of its own (so call ids repeat across them). */
interface Setup {
  name: string;
  fake: FakeCrmServer;
  app: RunningApp;
  prefix: string;
  calls: DemoCall[];
}

/** A callback the demo scheduled, and the situation it shows. */
interface DemoCall {
  setup: Setup;
  id: number;
  situation: string;
  ticketId: string;
}

const startedAt = Date.now();
/** Prints a line of the timeline, stamped with the seconds since the demo started. */
const say = (line: string) => console.log(`${`+${((Date.now() - startedAt) / 1000).toFixed(1)} s`.padStart(7)}  ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const tell = (call: DemoCall) => `${call.setup.name} · call ${call.id} · ${call.situation}`;

async function startSetup(name: string, fake: FakeCrmServer, crmSection: Record<string, unknown>): Promise<Setup> {
  const prefix = `cbo-demo-${name.toLowerCase().replace(/[^a-z]+/g, '-')}-${process.pid}`;
  const config = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      redis: { url: REDIS_URL, prefix },
      auth: { apiUsers: [API_USER] },
      menus: [{ id: 9, name: 'Lock Star', type: 'web', languages: ['en'] }],
      crm: { ...crmSection, lookup: { timeoutMs: 1000, attempts: 2, budgetMs: 2500 } },
      logLevel: 'silent',
    },
    {},
  );
  const calls: DemoCall[] = [];
  // Stands in for the phone system: says which call it was handed.
  const dialer = {
    offer(view: CallView) {
      const call = calls.find((c) => c.id === view.id);
      say(`dialer ← ${call ? tell(call) : `${name} · call ${view.id}`} (${maskPhone(view.end_user_number)})`);
      return Promise.resolve();
    },
  };
  const app = await startApp(config, { api: true, worker: true, dialer, logger: createLogger('silent') });
  return { name, fake, app, prefix, calls };
}

function requestCallback(setup: Setup, ticketId: string, scheduledAt: string): Promise<Response> {
  return fetch(`${setup.app.url}/apps/api/v1/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(API_USER) },
    body: JSON.stringify({
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: CUSTOMER_NUMBER,
      ticket_id: ticketId,
      scheduled_at: scheduledAt,
    }),
  });
}

async function schedule(setup: Setup, situation: string, ticketId: string, scheduledAt: string): Promise<DemoCall> {
  const res = await requestCallback(setup, ticketId, scheduledAt);
  const body = (await res.json()) as { id: number; message?: string };
  if (res.status !== 201) throw new Error(`scheduling "${situation}" failed: ${res.status} ${body.message}`);
  const call = { setup, id: body.id, situation, ticketId };
  setup.calls.push(call);
  return call;
}

async function callObject(call: DemoCall): Promise<CallView> {
  const res = await fetch(`${call.setup.app.url}/apps/api/v1/calls/${call.id}`, { headers: { authorization: basic(API_USER) } });
  return (await res.json()) as CallView;
}

/** Waits until the call has an event of one of the types (e.g. the worker's decision, a comment written). */
async function eventOn(call: DemoCall, types: string[], timeoutMs: number): Promise<CallView> {
  return waitFor(
    async () => {
      const view = await callObject(call);
      return view.events.some((e) => types.includes(e.type)) ? view : null;
    },
    timeoutMs,
    `${tell(call)}: ${types.join(' or ')}`,
  );
}

/** Waits until the setup's CRM side effects (comments, reopen) are all done: nothing waiting or retrying. */
async function sideEffectsDone(setup: Setup): Promise<void> {
  await waitFor(
    async () => {
      const counts = await setup.app.services.queues.crmEffects.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    },
    15_000,
    `${setup.name}: its CRM comments to be written`,
  );
}

async function main() {
  console.log(`Callback orchestrator demo — Redis at ${REDIS_URL}

Stand-in CRMs run on 127.0.0.1 (test/fakes). Each setup below is an orchestrator of its own (API + worker)
with its own Redis prefix, so call ids repeat between setups: every line names the setup and the situation.
`);
  const sf = new SalesforceFakeServer();
  const zd = new ZendeskFakeServer();
  const sn = new ServiceNowFakeServer();
  const snDown = new ServiceNowFakeServer();
  const fakes = [sf, zd, sn, snDown];
  await Promise.all(fakes.map((fake) => fake.start()));
  // The three Salesforce setups share one stand-in Salesforce; they differ in the closed-record policy.
  const setups = await Promise.all([
    startSetup('Salesforce, policy reopen', sf, sf.crmConfig({ closedRecordPolicy: 'reopen' })),
    startSetup('Salesforce, policy cancel', sf, sf.crmConfig({ closedRecordPolicy: 'cancel' })),
    startSetup('Salesforce, policy dont_check', sf, sf.crmConfig({ closedRecordPolicy: 'dont_check' })),
    startSetup('Zendesk', zd, zd.crmConfig()),
    startSetup('ServiceNow', sn, sn.crmConfig()),
    startSetup('ServiceNow, down when due', snDown, snDown.crmConfig()),
  ]);
  const [sfReopen, sfCancel, sfDontCheck, zendesk, servicenow, outage] = setups;
  const open = { id: '', closed: false };
  const closed = { id: '', closed: true };
  say(`started ${fakes.length} stand-in CRMs and ${setups.length} orchestrators`);

  const busyTicket = zd.addRecord(open);
  const plan: Array<[Setup, string, string]> = [
    [sfReopen, 'open case', sf.addRecord(open)],
    [sfReopen, 'closed case', sf.addRecord(closed)],
    [sfReopen, 'case id that does not exist', sf.newCaseId()],
    [sfCancel, 'closed case', sf.addRecord(closed)],
    [sfDontCheck, 'closed case', sf.addRecord(closed)],
    [zendesk, 'open ticket', zd.addRecord(open)],
    [zendesk, 'solved ticket', zd.addRecord({ id: '', closed: true, status: 'solved' })],
    [zendesk, 'closed ticket (Zendesk takes no comments on it)', zd.addRecord(closed)],
    [zendesk, 'ticket that does not exist', '999999'],
    [zendesk, 'open ticket, first callback', busyTicket],
    [servicenow, 'open incident', sn.addRecord(open)],
    [servicenow, 'resolved incident (state 6)', sn.addRecord({ id: '', closed: true, status: '6' })],
    [outage, 'open incident', snDown.addRecord(open)],
  ];
  const due = inMs(DUE_IN_MS);
  // In parallel across setups, in order within each (ids follow the list).
  await Promise.all(
    setups.map(async (setup) => {
      for (const [s, situation, ticketId] of plan) if (s === setup) await schedule(setup, situation, ticketId, due);
    }),
  );
  const firstOnBusyTicket = zendesk.calls.find((c) => c.ticketId === busyTicket)!;
  const unreachable = outage.calls[0]!;
  say(
    `scheduled ${plan.length} callbacks through POST /apps/api/v1/calls, all due at +${((Date.parse(due) - startedAt) / 1000).toFixed(1)} s`,
  );

  // The duplicate guard: a record holds one scheduled callback at a time.
  const guardedTicket = zd.addRecord(open);
  await schedule(zendesk, 'open ticket, callback due tomorrow; a second one was asked for', guardedTicket, inMs(86_400_000));
  const refused = await requestCallback(zendesk, guardedTicket, due);
  say(
    `Zendesk ticket ${guardedTicket} has a callback scheduled; asking for another → ${refused.status} ${await refused.text()} (no call is created)`,
  );

  await snDown.setMode({ kind: 'refuse' });
  say('the stand-in ServiceNow of "ServiceNow, down when due" stops answering');

  await Promise.all([
    // Active call: once the first callback for a ticket is with the dialer, a second one for it comes due.
    (async () => {
      await eventOn(firstOnBusyTicket, ['dialed'], 15_000);
      const second = await schedule(zendesk, 'open ticket whose first callback is still with the dialer', busyTicket, inMs(1500));
      say(`scheduled ${tell(second)}, due in 1.5 s`);
      const view = await eventOn(second, ['canceled'], 15_000);
      say(`${tell(second)} → ${view.status} (${view.fail_reason})`);
    })(),
    // CRM unreachable: the call is canceled when due; its comment waits until the CRM answers again.
    (async () => {
      const view = await eventOn(unreachable, ['canceled'], 15_000);
      say(`${tell(unreachable)} → ${view.status} (${view.fail_reason}); its comment is retried until the CRM answers`);
      await sleep(1500);
      await snDown.setMode({ kind: 'normal' });
      say('the stand-in ServiceNow of "ServiceNow, down when due" answers again');
      await eventOn(unreachable, ['comment_written'], 20_000);
      say(`${tell(unreachable)}: the "CRM unreachable" comment is now on the incident`);
    })(),
  ]);

  for (const setup of setups) {
    for (const call of setup.calls) {
      if (call.ticketId !== guardedTicket) await eventOn(call, ['dialed', 'canceled'], 15_000);
    }
    await sideEffectsDone(setup);
  }
  say('every callback decided, every comment written');

  console.log('\nOutcomes (the call object from GET /apps/api/v1/calls/{id}, and the record in the stand-in CRM now):');
  for (const setup of setups) {
    console.log(`\n${setup.name}`);
    for (const call of setup.calls) {
      const view = await callObject(call);
      const outcome =
        view.status === 'canceled' ? `canceled (${view.fail_reason})` : view.status === 'queued' ? 'queued: dialed' : view.status;
      const lookup = view.events.find((e) => e.type === 'crm_lookup')?.detail ?? (view.status === 'scheduled' ? 'not due yet' : 'none');
      const undeliverable = view.events.find((e) => e.type === 'comment_undeliverable');
      const comments = setup.fake.commentsOn(call.ticketId);
      console.log(`  call ${view.id} · ${call.situation} → ${outcome}`);
      console.log(`      CRM lookup when due: ${lookup}`);
      console.log(`      record ${call.ticketId} now: ${setup.fake.recordStatus(call.ticketId) ?? 'not found'}`);
      // The two callbacks of the active-call situation share a ticket: its comment shows under the second one.
      const later = setup.calls.find((c) => c.ticketId === call.ticketId && c.id > call.id);
      if (later) console.log(`      (the ticket's comments are shown under call ${later.id})`);
      else if (comments.length) for (const comment of comments) console.log(`      comment: "${comment}"`);
      else if (undeliverable) console.log(`      comment undeliverable: ${undeliverable.detail}`);
      else console.log('      no comment');
    }
  }

  for (const setup of setups) {
    await setup.app.close();
    await deletePrefix(setup.prefix);
  }
  await Promise.all(fakes.map((fake) => fake.stop()));
  console.log('\nDone. Run `npm start` for the real daemon (see README).');
}

main().catch((err) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
