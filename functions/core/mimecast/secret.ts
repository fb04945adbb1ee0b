/**
 * Parsing of the Mimecast credentials secret (JSON, two shapes, see docs/deploy.md). The auth mode
 * follows from which fields are present. Every error names fields and says what is wrong
 * with them, never what their value is: the raw text is a secret.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import { ConfigurationError } from './errors.js';
import type { MimecastSecret } from './types.js';

/**
 * The secret holds no credentials yet: it has no value at all (the stack creates it that way),
 * or its value is empty or `{}`. Not a failure: the collector stops cleanly (`not_configured`)
 * until the operator fills it in. A value that is present but malformed is a ConfigurationError.
 */
export class SecretNotConfiguredError extends Error {
  constructor(secretId: string) {
    super(`The Mimecast secret ${secretId} holds no credentials yet`);
    this.name = 'SecretNotConfiguredError';
  }
}

/** True for a secret value that means "nothing filled in yet": empty, whitespace, or a JSON object without fields. */
export function isUnfilledSecretText(raw: string): boolean {
  const text = raw.trim();
  if (text === '') return true;
  if (!text.startsWith('{')) return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      Object.keys(parsed).length === 0
    );
  } catch {
    return false;
  }
}

/** API 2.0's global base URL, used when an OAuth secret does not name one. */
export const DEFAULT_OAUTH_BASE_URL = 'https://api.services.mimecast.com';

const OAUTH_FIELDS = ['clientId', 'clientSecret'] as const;
const HMAC_FIELDS = ['appId', 'appKey', 'accessKey', 'secretKey'] as const;

/**
 * Checks a base URL and returns it without a trailing slash. `https://` is required, except on
 * loopback hosts (local simulators), which may use `http://`. URLs carrying credentials, a
 * query or a fragment are refused: they would leak into logs or be silently ignored.
 * Returns a short reason (no value) instead when the URL is unusable.
 */
export function checkBaseUrl(value: string): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return { ok: false, reason: 'must use https:// (http:// is allowed only for loopback hosts)' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not contain credentials' };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, reason: 'must not contain a query or fragment' };
  }
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** Normalises a base URL or throws a ConfigurationError naming the field (not its value). */
export function normaliseBaseUrl(value: string): string {
  const checked = checkBaseUrl(value.trim());
  if (!checked.ok) throw new ConfigurationError(`Invalid Mimecast secret: baseUrl ${checked.reason}`);
  return checked.url;
}

/** True for `localhost`, 127.0.0.0/8 and `::1` (URL.hostname keeps IPv6 brackets). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes the HMAC secret key. Node's base64 decoder silently skips invalid characters, which
 * would turn a mangled key into a wrong-but-working one and every call into a confusing 401;
 * so the text must be canonical standard base64 (padding included) and decode to something.
 */
export function decodeSecretKey(secretKey: string): Buffer {
  const text = secretKey.trim();
  if (text === '' || !STRICT_BASE64.test(text)) {
    throw new ConfigurationError('Invalid Mimecast secret: secretKey must be valid base64');
  }
  const key = Buffer.from(text, 'base64');
  // Non-zero bits in the final padding character are not canonical base64 either.
  if (key.length === 0 || key.toString('base64') !== text) {
    throw new ConfigurationError('Invalid Mimecast secret: secretKey must be valid base64');
  }
  return key;
}

/** A required string field; messages depend only on the kind of problem, never on the value. */
const requiredString = () =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined || issue.input === null ? 'is missing' : 'must be a string',
    })
    .trim()
    .min(1, 'must not be empty');

const baseUrlField = () =>
  requiredString().transform((value, ctx) => {
    const checked = checkBaseUrl(value);
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.reason });
      return z.NEVER;
    }
    return checked.url;
  });

const oauthSchema = z.object({
  clientId: requiredString(),
  clientSecret: requiredString(),
  baseUrl: baseUrlField().optional(),
});

const hmacSchema = z.object({
  baseUrl: baseUrlField(),
  appId: requiredString(),
  appKey: requiredString(),
  accessKey: requiredString(),
  secretKey: requiredString().refine(
    (value) => {
      try {
        decodeSecretKey(value);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be valid base64' },
  ),
});

/** `field is missing; other must be …`: paths are schema keys, so no user text reaches the message. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || 'secret'} ${issue.message}`).join('; ');
}

const isPresent = (record: Record<string, unknown>, field: string): boolean =>
  record[field] !== undefined && record[field] !== null;

/**
 * Parses the secret's JSON text into a MimecastSecret. Throws ConfigurationError when the text
 * is not a JSON object, when it mixes or lacks both shapes' fields, or when a field is missing
 * or invalid. Unknown extra fields are ignored.
 */
export function parseMimecastSecret(raw: string): MimecastSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // JSON.parse's message quotes the offending text, which is part of the secret: drop it.
    throw new ConfigurationError('Invalid Mimecast secret: the value is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError('Invalid Mimecast secret: the value must be a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const oauthPresent = OAUTH_FIELDS.filter((field) => isPresent(record, field));
  const hmacPresent = HMAC_FIELDS.filter((field) => isPresent(record, field));

  if (oauthPresent.length > 0 && hmacPresent.length > 0) {
    throw new ConfigurationError(
      `Invalid Mimecast secret: it mixes API 2.0 fields (${oauthPresent.join(', ')}) with API 1.0 fields ` +
        `(${hmacPresent.join(', ')}); use either {clientId, clientSecret, baseUrl?} or ` +
        '{baseUrl, appId, appKey, accessKey, secretKey}',
    );
  }
  if (oauthPresent.length === 0 && hmacPresent.length === 0) {
    throw new ConfigurationError(
      'Invalid Mimecast secret: expected API 2.0 fields {clientId, clientSecret, baseUrl?} or ' +
        'API 1.0 fields {baseUrl, appId, appKey, accessKey, secretKey}',
    );
  }

  if (oauthPresent.length > 0) {
    const result = oauthSchema.safeParse(record);
    if (!result.success) {
      throw new ConfigurationError(
        `Invalid Mimecast secret (API 2.0): ${describeIssues(result.error.issues)}`,
      );
    }
    const { clientId, clientSecret, baseUrl } = result.data;
    return { mode: 'oauth2', baseUrl: baseUrl ?? DEFAULT_OAUTH_BASE_URL, clientId, clientSecret };
  }

  const result = hmacSchema.safeParse(record);
  if (!result.success) {
    throw new ConfigurationError(`Invalid Mimecast secret (API 1.0): ${describeIssues(result.error.issues)}`);
  }
  return { mode: 'hmac', ...result.data };
}
