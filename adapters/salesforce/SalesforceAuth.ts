import jsforce from 'jsforce';
import type { Connection, OAuth2 } from 'jsforce';
import type { Logger } from 'pino';
import type { SalesforceConfig } from '../../src/config/schema.js';
import { CrmAuthError, CrmTransientError } from '../../src/crm/errors.js';
import { classifySalesforceError } from './classifySalesforceError.js';
import { callScope, type SingleAttemptTransport } from './singleAttemptTransport.js';

type Grant = { kind: 'client_credentials' } | { kind: 'password'; username: string; password: string };

/**
 * Gets access tokens for the connection: a configured static token is used as is; OAuth client credentials or
 * the OAuth username-password flow (both need the connected app's clientId and clientSecret) give a token on
 * first use and a fresh one when Salesforce answers INVALID_SESSION_ID.
 *
 * jsforce's own session refresh is not used: it retries a request for as long as refreshes succeed, so an API
 * that keeps refusing a fresh token would loop. Here the adapter refreshes at most once per call.
 */
export class SalesforceAuth {
  private readonly oauth2: OAuth2 | undefined;
  private readonly grant: Grant | undefined;
  /** One token request at a time, shared by the calls that found the session expired together. */
  private pending: Promise<void> | undefined;

  constructor(
    private readonly conn: Connection,
    config: SalesforceConfig,
    transport: SingleAttemptTransport,
    private readonly logger: Logger,
  ) {
    const hasClient = Boolean(config.clientId && config.clientSecret);
    if (hasClient && config.username && config.password) {
      this.grant = { kind: 'password', username: config.username, password: config.password };
    } else if (hasClient) {
      this.grant = { kind: 'client_credentials' };
    }
    if (!this.grant && !config.accessToken) {
      throw new Error(
        'crm.salesforce needs accessToken, or clientId + clientSecret (client credentials), or username + password + clientId + clientSecret (OAuth username-password flow)',
      );
    }
    if (!this.grant && (config.username || config.password)) {
      this.logger.warn(
        { provider: 'salesforce' },
        'crm.salesforce username/password ignored: the OAuth username-password flow also needs clientId and clientSecret',
      );
    }
    if (this.grant) {
      this.oauth2 = new jsforce.OAuth2({
        // My Domain URLs accept both flows (login.salesforce.com does not accept client credentials).
        loginUrl: config.loginUrl ?? config.instanceUrl,
        clientId: config.clientId!,
        clientSecret: config.clientSecret!,
      });
      this.oauth2._transport = transport; // same no-retry, deadline-bounded transport as the REST calls
    }
  }

  get canRefresh(): boolean {
    return this.grant !== undefined;
  }

  /** Makes sure the connection has a token before the first request. */
  async ensureToken(): Promise<void> {
    if (!this.conn.accessToken) await this.refresh(undefined);
  }

  /** Gets a new token unless another call already replaced `staleToken` in the meantime. */
  async refresh(staleToken: string | null | undefined): Promise<void> {
    if (!this.grant) throw new CrmAuthError('Salesforce session is invalid and no OAuth credentials are configured to renew it');
    if (this.conn.accessToken && this.conn.accessToken !== staleToken) return;
    this.pending ??= this.requestToken().finally(() => {
      this.pending = undefined;
    });
    await this.pending;
  }

  private async requestToken(): Promise<void> {
    const grant = this.grant!;
    const oauth2 = this.oauth2!;
    let accessToken: unknown;
    try {
      const res =
        grant.kind === 'password'
          ? await oauth2.authenticate(grant.username, grant.password)
          : await oauth2.requestToken({ grant_type: 'client_credentials' });
      accessToken = res.access_token;
    } catch (err) {
      const scope = callScope.getStore();
      const status = scope?.lastResponse?.statusCode;
      // The token endpoint answers 400 invalid_grant / invalid_client for bad credentials; its 5xx, 429 and
      // network failures are classified like any other request.
      if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 420) {
        throw new CrmAuthError(`Salesforce token request (${grant.kind}) refused: ${describe(err)}`, { cause: err });
      }
      throw classifySalesforceError(err, scope);
    }
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new CrmTransientError('Salesforce token endpoint answered without an access_token');
    }
    this.conn.accessToken = accessToken;
    this.logger.info({ provider: 'salesforce', grant: grant.kind }, 'Salesforce access token obtained');
  }
}

/** The OAuth error name (invalid_grant, ...) and description, never the request (it holds the secret). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  return [err.name, err.message].filter((s) => typeof s === 'string' && s !== '' && s !== 'Error').join(': ') || 'unknown error';
}
