/** The Mimecast client's public API: build a client from the parsed secret and handle its typed errors. */
export {
  AUDIT_EVENTS_PATH,
  CATEGORIES_PATH,
  createMimecastClient,
  type MimecastClientOptions,
} from './client.js';
export * from './errors.js';
export { formatMcDate, signRequest } from './hmac.js';
export {
  DEFAULT_OAUTH_BASE_URL,
  isUnfilledSecretText,
  parseMimecastSecret,
  SecretNotConfiguredError,
} from './secret.js';
export type * from './types.js';
