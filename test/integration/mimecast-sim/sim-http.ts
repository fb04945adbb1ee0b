/**
 * Raw-HTTP helpers for the simulator's own tests. Deliberately independent of the project's
 * Mimecast client (and of the simulator's code): signatures are computed here with node:crypto.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { MimecastSimulator } from '#local/mimecast-sim/index.js';

export const AUDIT_PATH = '/api/audit/get-audit-events';
export const CATEGORIES_PATH = '/api/audit/get-categories';

/** `Tue, 24 Nov 2015 12:50:11 UTC` */
export function mcDate(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', 'UTC');
}

/** `2015-11-24T12:50:11+0000` */
export function mcIso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+0000`;
}

/** Headers of an API 1.0 request, signed as docs/development.md describes. */
export function hmacHeaders(
  secret: MimecastSimulator['secrets']['hmac'],
  path: string,
  dateMs: number,
  overrides: { requestId?: string; appKeyForSignature?: string; date?: string } = {},
): Record<string, string> {
  const date = overrides.date ?? mcDate(dateMs);
  const requestId = overrides.requestId ?? randomUUID();
  const signature = createHmac('sha1', Buffer.from(secret.secretKey, 'base64'))
    .update(`${date}:${requestId}:${path}:${overrides.appKeyForSignature ?? secret.appKey}`)
    .digest('base64');
  return {
    'x-mc-date': date,
    'x-mc-req-id': requestId,
    'x-mc-app-id': secret.appId,
    authorization: `MC ${secret.accessKey}:${signature}`,
    'content-type': 'application/json',
  };
}

/** Requests an OAuth token with raw form encoding. */
export async function requestToken(
  sim: MimecastSimulator,
  clientId = sim.secrets.oauth2.clientId,
  clientSecret = sim.secrets.oauth2.clientSecret,
): Promise<Response> {
  return fetch(`${sim.baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'client_credentials',
    }),
  });
}

/** A fresh OAuth access token. */
export async function accessToken(sim: MimecastSimulator): Promise<string> {
  const response = await requestToken(sim);
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || typeof body.access_token !== 'string') throw new Error('no token issued');
  return body.access_token;
}

/** Bearer headers for API 2.0 calls. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/** A get-audit-events body. */
export function auditBody(
  startMs: number,
  endMs: number,
  extra: { pageSize?: number; pageToken?: string; categories?: string[]; query?: string } = {},
): Record<string, unknown> {
  const item: Record<string, unknown> = { startDateTime: mcIso(startMs), endDateTime: mcIso(endMs) };
  if (extra.categories) item.categories = extra.categories;
  if (extra.query !== undefined) item.query = extra.query;
  const pagination: Record<string, unknown> = { pageSize: extra.pageSize ?? 500 };
  if (extra.pageToken !== undefined) pagination.pageToken = extra.pageToken;
  return { meta: { pagination }, data: [item] };
}

/** The parts of a Mimecast response the tests look at. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  body: {
    meta?: { status?: number; pagination?: { pageSize?: number; next?: string } };
    data?: Record<string, unknown>[];
    fail?: {
      code?: string;
      message?: string;
      errors?: { code: string; message: string; retryable: boolean }[];
    }[];
  };
}

/** POSTs a JSON body with the given headers. */
export async function post(
  sim: MimecastSimulator,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  signal?: AbortSignal,
): Promise<ApiResponse> {
  const response = await fetch(`${sim.baseUrl}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as ApiResponse['body'],
  };
}

/** All error codes inside a response's fail[] (either shape). */
export function failCodes(response: ApiResponse): string[] {
  return (response.body.fail ?? []).flatMap((item) =>
    item.errors ? item.errors.map((error) => error.code) : item.code ? [item.code] : [],
  );
}

/** Follows `next` until it is absent; returns every page's events in order. */
export async function drain(
  sim: MimecastSimulator,
  headers: () => Record<string, string>,
  startMs: number,
  endMs: number,
  extra: { pageSize?: number; categories?: string[]; query?: string } = {},
): Promise<{ events: Record<string, unknown>[]; pages: number }> {
  const events: Record<string, unknown>[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const response = await post(
      sim,
      AUDIT_PATH,
      headers(),
      auditBody(startMs, endMs, { ...extra, pageToken }),
    );
    if (response.status !== 200 || (response.body.fail ?? []).length > 0) {
      throw new Error(`page ${pages} failed: ${response.status} ${failCodes(response).join(',')}`);
    }
    events.push(...(response.body.data ?? []));
    pageToken = response.body.meta?.pagination?.next;
    pages += 1;
  } while (pageToken !== undefined);
  return { events, pages };
}
