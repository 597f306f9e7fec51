import { Command, CommanderError, Option } from 'commander';
import { POLICY_WORDING } from '../admin/policyWording.js';
import { AdminClient, AdminClientError, type Explanation, type PolicyChange } from './adminClient.js';
import { CallApiClient } from './callApiClient.js';

/**
 * `callback-orchestrator <command>` (SPEC 7): talks to a running instance's admin API.
 * Connection from --url / --user / --password, or CBO_URL (default http://127.0.0.1:8080), CBO_ADMIN_USER,
 * CBO_ADMIN_PASSWORD; `calls ...` uses the Call API with an API user's --api-user / --api-password, or
 * CBO_API_USER, CBO_API_PASSWORD. Human-readable output, --json for scripts; any failure is one line on stderr
 * and a non-zero exit code.
 */

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const NAME = 'callback-orchestrator';

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

interface GlobalOptions {
  url?: string;
  user?: string;
  password?: string;
  json?: boolean;
}

interface ApiUserOptions {
  apiUser?: string;
  apiPassword?: string;
}

const CALL_ID = /^[1-9]\d{0,15}$/;

const wording = (value: string) => (POLICY_WORDING as Record<string, string | undefined>)[value];
const describePolicy = (value: string) => (wording(value) ? `${value} (${wording(value)})` : value);
const formatTime = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');

const OUTCOME: Record<string, string> = {
  dial: 'the call would be handed to the dialer',
  skip: 'the call would not be made (skipped)',
  cancel: 'the call would be canceled',
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function renderHistory(changes: PolicyChange[]): string {
  if (changes.length === 0) return 'No policy change recorded (the value in force is the one from the configuration file).\n';
  return table([['WHEN', 'USER', 'OLD', 'NEW'], ...changes.map((c) => [formatTime(c.at), c.user, c.old, c.new])]);
}

function describeCalling(calling: Explanation['calling']): string {
  if (!calling) return '(no scheduled call for the record: not evaluated)';
  if (calling.allowed) return 'allowed now (within the calling window and business hours)';
  const reason = calling.reason?.replaceAll('_', ' ') ?? 'the calling rules';
  return calling.deferred_until
    ? `would be deferred until ${calling.deferred_until} (${reason})`
    : `no allowed time within 14 days (${reason})`;
}

function renderExplanation(x: Explanation, target: string): string {
  const lines = [
    `If the callback for ${target} fired now:`,
    `  Decision:     ${x.decision}${OUTCOME[x.decision] ? ` (${x.reopen ? 'the record would be reopened, then the call handed to the dialer' : OUTCOME[x.decision]})` : ''}`,
    `  Reopen:       ${x.reopen ? 'yes' : 'no'}`,
    `  Comment:      ${x.comment ?? '(none)'}`,
    `  Fail reason:  ${x.fail_reason ?? '(none)'}`,
    `  CRM status:   ${x.crm_status ?? '(not read)'}`,
    `  Calling:      ${describeCalling(x.calling)}`,
  ];
  return lines.join('\n') + '\n';
}

export function buildProgram(io: CliIo): Command {
  const program = new Command(NAME);
  program
    .description('Administer a running callback orchestrator through its admin API.')
    .addOption(new Option('--url <url>', `base URL of the instance (env CBO_URL, default ${DEFAULT_URL})`))
    .addOption(new Option('--user <name>', 'admin user name (env CBO_ADMIN_USER)'))
    .addOption(new Option('--password <password>', 'admin password (env CBO_ADMIN_PASSWORD; prefer the env var)'))
    .option('--json', 'print the API answer as JSON (for scripts)')
    .exitOverride()
    // Usage errors are one line (SPEC 7), with the pointer to --help on that same line.
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`${s.trim().replace(/\s*\n\s*/g, ' ')} (run with --help for usage)\n`),
    })
    .addHelpText(
      'after',
      `
Examples:
  export CBO_URL=http://127.0.0.1:8080 CBO_ADMIN_USER=admin CBO_ADMIN_PASSWORD=...
  ${NAME} policy get
  ${NAME} policy set cancel
  ${NAME} policy history --json
  ${NAME} explain 500Hs00001XyZaBIAV
  ${NAME} explain --call 123
  CBO_API_USER=key CBO_API_PASSWORD=... ${NAME} calls reschedule 123 2030-01-01T10:00:00+02:00`,
    );

  const setup = (cmd: Command) => {
    const o = cmd.optsWithGlobals<GlobalOptions>();
    const client = new AdminClient({
      url: o.url ?? (io.env.CBO_URL || DEFAULT_URL),
      user: o.user ?? (io.env.CBO_ADMIN_USER || undefined),
      password: o.password ?? (io.env.CBO_ADMIN_PASSWORD || undefined),
    });
    const print = (json: unknown, human: string) => io.stdout.write(o.json ? `${JSON.stringify(json, null, 2)}\n` : human);
    return { client, print };
  };

  /** The Call API with an API user's credentials (SPEC 7), and the same output conventions. */
  const setupCallApi = (cmd: Command) => {
    const o = cmd.optsWithGlobals<GlobalOptions & ApiUserOptions>();
    const client = new CallApiClient({
      url: o.url ?? (io.env.CBO_URL || DEFAULT_URL),
      user: o.apiUser ?? (io.env.CBO_API_USER || undefined),
      password: o.apiPassword ?? (io.env.CBO_API_PASSWORD || undefined),
    });
    const print = (json: unknown, human: string) => io.stdout.write(o.json ? `${JSON.stringify(json, null, 2)}\n` : human);
    return { client, print };
  };

  const policy = program.command('policy').description('the Salesforce closed-record policy (dont_check | reopen | cancel)');

  policy
    .command('get')
    .description('show the policy in force')
    .action(async (_opts, cmd: Command) => {
      const { client, print } = setup(cmd);
      const settings = await client.getSettings();
      const value = settings.salesforce.closedRecordPolicy;
      print(settings, `Salesforce closed-record policy: ${describePolicy(value)}\n`);
    });

  policy
    .command('set')
    .description('change the policy; applies to every worker for callbacks that fire afterwards')
    .argument('<value>', 'dont_check | reopen | cancel')
    .action(async (value: string, _opts, cmd: Command) => {
      const { client, print } = setup(cmd);
      const before = (await client.getSettings()).salesforce.closedRecordPolicy;
      const after = await client.setPolicy(value);
      const now = after.salesforce.closedRecordPolicy;
      print(
        after,
        before === now
          ? `Salesforce closed-record policy unchanged: already ${describePolicy(now)}\n`
          : `Salesforce closed-record policy changed from ${before} to ${describePolicy(now)}\n`,
      );
    });

  policy
    .command('history')
    .description('the audit trail of policy changes, newest first')
    .option('--limit <n>', 'show at most n changes (1-1000)')
    .action(async (opts: { limit?: string }, cmd: Command) => {
      let limit: number | undefined;
      if (opts.limit !== undefined) {
        if (!/^[1-9]\d*$/.test(opts.limit) || Number(opts.limit) > 1000)
          throw new AdminClientError(`--limit must be a whole number from 1 to 1000, got "${opts.limit}"`);
        limit = Number(opts.limit);
      }
      const { client, print } = setup(cmd);
      const changes = await client.history(limit);
      print(changes, renderHistory(changes));
    });

  program
    .command('explain')
    .description('dry run: what would happen if the callback for this CRM record (or call) fired now; changes nothing')
    .argument('[ticket_id]', 'CRM record id (Salesforce Case id, Zendesk ticket number, ServiceNow sys_id or number)')
    .option('--call <call_id>', 'explain an existing call instead (its own id is not counted as another active call)')
    .action(async (ticketId: string | undefined, opts: { call?: string }, cmd: Command) => {
      if ((ticketId === undefined) === (opts.call === undefined)) {
        throw new AdminClientError('explain needs a ticket_id or --call <call_id> (one of them)');
      }
      let target: { ticket_id: string } | { call_id: number };
      let label: string;
      if (opts.call !== undefined) {
        if (!/^[1-9]\d{0,15}$/.test(opts.call))
          throw new AdminClientError(`--call must be a call id (a positive whole number), got "${opts.call}"`);
        target = { call_id: Number(opts.call) };
        label = `call ${opts.call}`;
      } else {
        target = { ticket_id: ticketId! };
        label = `record ${ticketId}`;
      }
      const { client, print } = setup(cmd);
      const x = await client.explain(target);
      print(x, renderExplanation(x, label));
    });

  const calls = program
    .command('calls')
    .description('scheduled calls, through the Call API (with an API user: --api-user / --api-password)');

  calls
    .command('reschedule')
    .description('move a scheduled call to another time; it fires once, at the new time')
    .argument('<id>', 'the call id')
    .argument('<time>', 'the new time, ISO 8601 with an offset, e.g. 2030-01-01T10:00:00+02:00 or 2030-01-01T08:00:00Z')
    .addOption(new Option('--api-user <name>', 'API user name (env CBO_API_USER)'))
    .addOption(new Option('--api-password <password>', 'API password (env CBO_API_PASSWORD; prefer the env var)'))
    .action(async (id: string, time: string, _opts, cmd: Command) => {
      if (!CALL_ID.test(id)) throw new AdminClientError(`the call id must be a positive whole number, got "${id}"`);
      const { client, print } = setupCallApi(cmd);
      const call = await client.reschedule(Number(id), time);
      print(call, `call ${call.id} rescheduled to ${call.scheduled_at}\n`);
    });

  return program;
}

/** Runs the tool; resolves to the exit code (0 on success). Never calls process.exit. */
export async function runCli(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed its message (or the help)
    const message = err instanceof AdminClientError ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
    io.stderr.write(`${NAME}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}
