import { AdminClient, type Connection, type CredentialSource } from './adminClient.js';

/** SPEC 7: the call commands use an API user's credentials, not an admin's. */
export const API_CREDENTIALS: CredentialSource = { flags: ['--api-user', '--api-password'], env: ['CBO_API_USER', 'CBO_API_PASSWORD'] };

/** The call object as the Call API answers it; the tool reads these fields, --json prints all of them. */
export interface CallObject {
  id: number;
  status: string;
  scheduled_at: string;
  [field: string]: unknown;
}

/**
 * A client of the Call API (SPEC 3.1, 9.1) for the command-line tool, with an API user's Basic credentials.
 * The same transport as the admin client: every failure is an AdminClientError with a one-line message.
 */
export class CallApiClient {
  private readonly http: AdminClient;

  constructor(conn: Omit<Connection, 'credentialSource'>) {
    this.http = new AdminClient({ ...conn, credentialSource: API_CREDENTIALS });
  }

  reschedule(callId: number, scheduledAt: string): Promise<CallObject> {
    return this.http.request('PATCH', `apps/api/v1/calls/scheduled/${callId}`, { scheduled_at: scheduledAt });
  }
}
