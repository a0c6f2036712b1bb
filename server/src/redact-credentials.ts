/**
 * Anything shaped like a Keyledger key (`<prefix>_` and 49 base62 characters) or an access token
 * (`kls_` and 43 base64url characters).
 */
const CREDENTIAL =
  /[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{49}(?![0-9A-Za-z])|kls_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

/**
 * Replaces credentials in text with `[redacted]`. Error messages and request logs pass through here, so a
 * key a client sent in the wrong place (a URL path, a query parameter's name) is neither echoed back nor
 * written to a log.
 */
export const redactCredentials = (text: string): string => text.replace(CREDENTIAL, '[redacted]');
