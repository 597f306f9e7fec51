/**
 * A small client of the admin API (SPEC 3.3) for the command-line tool (its `request` also carries the Call API
 * client's requests). Uses Node's global fetch. Every failure is an AdminClientError whose message is one line
 * saying what failed, for the user to act on.
 */

export interface Connection {
  /** Base URL of a running instance, e.g. http://127.0.0.1:8080. */
  url: string;
  user?: string;
  password?: string;
  timeoutMs?: number;
  /** Where the user gives these credentials, for the 401 message (the admin user's by default). */
  credentialSource?: CredentialSource;
}

/** The flags and environment variables that carry one kind of credentials. */
export interface CredentialSource {
  flags: readonly [user: string, password: string];
  env: readonly [user: string, password: string];
}

export const ADMIN_CREDENTIALS: CredentialSource = { flags: ['--user', '--password'], env: ['CBO_ADMIN_USER', 'CBO_ADMIN_PASSWORD'] };

export interface CrmSettings {
  salesforce: { closedRecordPolicy: string };
}

export interface PolicyChange {
  at: string;
  user: string;
  old: string;
  new: string;
}

export interface Explanation {
  decision: 'dial' | 'skip' | 'cancel';
  reopen: boolean;
  comment: string | null;
  fail_reason: string | null;
  crm_status: string | null;
  /** The calling window and business hours for the record's scheduled call now; null when there is none. */
  calling?: { allowed: boolean; deferred_until: string | null; reason: string | null; timezone: string | null } | null;
}

export class AdminClientError extends Error {
  override readonly name = 'AdminClientError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class AdminClient {
  private readonly base: URL;
  private readonly user: string | undefined;
  private readonly password: string | undefined;
  private readonly timeoutMs: number;
  private readonly credentialSource: CredentialSource;

  constructor(conn: Connection) {
    let base: URL;
    try {
      base = new URL(conn.url);
    } catch {
      throw new AdminClientError(`invalid URL "${conn.url}": give --url or CBO_URL like http://127.0.0.1:8080`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new AdminClientError(`invalid URL "${conn.url}": only http:// and https:// are supported`);
    }
    // Credentials in the URL (http://user:pass@host) are used unless flags or env give others; never sent in the URL.
    this.user = conn.user ?? (base.username ? decodeURIComponent(base.username) : undefined);
    this.password = conn.password ?? (base.password ? decodeURIComponent(base.password) : undefined);
    base.username = '';
    base.password = '';
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.timeoutMs = conn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.credentialSource = conn.credentialSource ?? ADMIN_CREDENTIALS;
  }

  /** The base URL as shown in messages (without credentials). */
  get displayUrl(): string {
    return this.base.href.replace(/\/$/, '');
  }

  getSettings(): Promise<CrmSettings> {
    return this.request('GET', 'admin/v1/settings/crm');
  }

  setPolicy(value: string): Promise<CrmSettings> {
    return this.request('PUT', 'admin/v1/settings/crm', { salesforce: { closedRecordPolicy: value } });
  }

  history(limit?: number): Promise<PolicyChange[]> {
    return this.request('GET', `admin/v1/settings/crm/history${limit ? `?limit=${limit}` : ''}`);
  }

  explain(target: { ticket_id: string } | { call_id: number }): Promise<Explanation> {
    return this.request('POST', 'admin/v1/explain', target);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.user !== undefined || this.password !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${this.user ?? ''}:${this.password ?? ''}`, 'utf8').toString('base64')}`;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      throw new AdminClientError(this.networkMessage(err));
    }
    const text = await res.text().catch(() => '');
    let data: unknown = undefined;
    const isJson = (res.headers.get('content-type') ?? '').includes('json');
    if (isJson && text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
    }
    if (res.ok && data !== undefined) return data as T;
    if (res.ok) {
      throw new AdminClientError(
        `unexpected answer from ${this.displayUrl} (${method} /${path.split('?')[0]}: HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'}): is this a callback-orchestrator?`,
        res.status,
      );
    }
    const serverMessage = oneLine(
      data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string'
        ? (data as { message: string }).message
        : text.slice(0, 200) || res.statusText,
    );
    const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.status === 401) {
      const { flags, env } = this.credentialSource;
      const hint =
        this.user === undefined
          ? `no credentials given (set ${flags[0]} and ${flags[1]}, or ${env[0]} and ${env[1]})`
          : `bad credentials for user "${this.user}" (check ${flags[0]}/${flags[1]} or ${env[0]}/${env[1]})`;
      throw new AdminClientError(`${status} from ${this.displayUrl}: ${hint}`, 401);
    }
    if (res.status === 403) {
      throw new AdminClientError(
        `${status} from ${this.displayUrl}: user "${this.user ?? ''}" is not an admin user (${serverMessage})`,
        403,
      );
    }
    throw new AdminClientError(`${status}: ${serverMessage}`, res.status);
  }

  private networkMessage(err: unknown): string {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return `no answer from ${this.displayUrl} within ${Math.round(this.timeoutMs / 1000)} s`;
    }
    const code = e.cause?.code;
    const reasons: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'host not found',
      EAI_AGAIN: 'host name lookup failed',
      ECONNRESET: 'connection reset',
      ETIMEDOUT: 'connection timed out',
      EHOSTUNREACH: 'host unreachable',
    };
    const reason = code ? `${reasons[code] ?? 'network error'} (${code})` : oneLine(e.cause?.message ?? e.message ?? 'network error');
    return `cannot reach ${this.displayUrl}: ${reason}`;
  }
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
