/**
 * API 1.0 request signing (docs/development.md, Authentication): HMAC-SHA1 over
 * `{x-mc-date}:{x-mc-req-id}:{path}:{appKey}` with the base64-decoded secret key.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { decodeSecretKey } from './secret.js';
import type { HmacSecret } from './types.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `Tue, 24 Nov 2015 12:50:11 UTC`: the x-mc-date form Mimecast documents (RFC 1123 with `UTC`). */
export function formatMcDate(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]}, ${pad2(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:` +
    `${pad2(date.getUTCSeconds())} UTC`
  );
}

/** The four headers an API 1.0 call carries. */
export interface HmacHeaders {
  'x-mc-date': string;
  'x-mc-req-id': string;
  'x-mc-app-id': string;
  authorization: string;
}

/** What one signature needs: the secret's fields plus the request's path, time and id. */
export interface SignRequestInput {
  appId: string;
  appKey: string;
  accessKey: string;
  /** base64, as stored in the secret. */
  secretKey: string;
  /** URI path only, e.g. `/api/audit/get-audit-events` (host, query and body are not signed). */
  path: string;
  date: Date;
  requestId: string;
}

function sign(key: Buffer, input: Omit<SignRequestInput, 'secretKey'>): HmacHeaders {
  const date = formatMcDate(input.date);
  const signature = createHmac('sha1', key)
    .update(`${date}:${input.requestId}:${input.path}:${input.appKey}`, 'utf8')
    .digest('base64');
  return {
    'x-mc-date': date,
    'x-mc-req-id': input.requestId,
    'x-mc-app-id': input.appId,
    authorization: `MC ${input.accessKey}:${signature}`,
  };
}

/** Pure signing (fixed date and request id), for tests and tools. Throws ConfigurationError on a bad key. */
export function signRequest(input: SignRequestInput): HmacHeaders {
  return sign(decodeSecretKey(input.secretKey), input);
}

/** Signs requests for one secret: the key is decoded once, each call gets a fresh request id. */
export type HmacSigner = (path: string, date: Date) => HmacHeaders;

/** Builds a signer; throws ConfigurationError when the secret key is not valid base64. */
export function createHmacSigner(
  secret: Pick<HmacSecret, 'appId' | 'appKey' | 'accessKey' | 'secretKey'>,
): HmacSigner {
  const key = decodeSecretKey(secret.secretKey);
  const { appId, appKey, accessKey } = secret;
  return (path, date) => sign(key, { appId, appKey, accessKey, path, date, requestId: randomUUID() });
}
