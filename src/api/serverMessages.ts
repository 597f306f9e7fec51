/**
 * Messages the server as a whole answers with (auth, body parsing, load shedding, storage): one copy, used by the
 * code that answers and by the API reference that documents them.
 */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export const SERVER_MESSAGES = {
  authMissing: 'Authentication required',
  authInvalid: 'Invalid credentials',
  authWrongKind: 'These credentials are not allowed here',
  malformedJson: 'Malformed JSON request body',
  bodyTooLarge: `Request body is larger than ${BODY_LIMIT_BYTES} bytes`,
  notJson: 'Content-Type must be application/json',
  storageDown: 'Service unavailable: storage is not reachable, retry later',
  overloaded: 'Server is overloaded, retry later',
  tooManyInFlight: 'Too many requests in flight, retry later',
} as const;
