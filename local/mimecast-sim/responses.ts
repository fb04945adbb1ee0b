/** Request/response plumbing: reading bodies, and answers in Mimecast's envelope shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRequestBody } from '../http-body.js';
import type { SimRequestRecord } from './api.js';
import type { FailError } from './request-validation.js';

/** One request in flight: what came in, where the answer goes, and its log record. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: SimRequestRecord;
  /** The simulator's now (clock + offset), for the `Date` header. */
  now: () => number;
}

/** A fail[] item as API 1.0 and most 2.0 endpoints write it. */
export interface FailItem {
  key?: Record<string, unknown>;
  errors: FailError[];
}

/** A fail[] item as the API 2.0 gateway writes it (code/message directly on the item). */
export interface GatewayFailItem {
  code: string;
  message: string;
}

/** `{"meta":{"status":…},"data":[…],"fail":[…]}` */
export function envelope(
  status: number,
  data: unknown[],
  fail: (FailItem | GatewayFailItem)[],
  pagination?: Record<string, unknown>,
): Record<string, unknown> {
  return { meta: pagination ? { status, pagination } : { status }, data, fail };
}

/** A fail[] item with a single error. */
export function failItem(
  code: string,
  message: string,
  retryable: boolean,
  key?: Record<string, unknown>,
): FailItem {
  return key ? { key, errors: [{ code, message, retryable }] } : { errors: [{ code, message, retryable }] };
}

/** Sends a raw body (already serialised) and records the status. */
export function sendRaw(
  exchange: Exchange,
  status: number,
  body: string,
  headers: Record<string, string | number> = {},
): void {
  exchange.record.status = status;
  const { res } = exchange;
  if (res.destroyed || res.writableEnded) return;
  // Encode once: pages are large, and measuring then re-encoding a string doubles the work.
  const bytes = Buffer.from(body, 'utf8');
  // Node would stamp real wall time; the simulator's Date must follow its own (test) clock.
  res.sendDate = false;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': bytes.length,
    date: new Date(exchange.now()).toUTCString(),
    ...headers,
  });
  res.end(bytes);
}

/** Sends a JSON body and records the status. */
export function sendJson(
  exchange: Exchange,
  status: number,
  payload: unknown,
  headers: Record<string, string | number> = {},
): void {
  sendRaw(exchange, status, JSON.stringify(payload), headers);
}

/** Destroys the connection without answering (status 0 in the log). */
export function dropConnection(exchange: Exchange): void {
  exchange.record.status = 0;
  exchange.req.socket.destroy();
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The request body exceeded MAX_BODY_BYTES. */
export class BodyTooLargeError extends Error {}

/** Reads a request body as UTF-8 text, refusing bodies over 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const body = await readRequestBody(req, MAX_BODY_BYTES);
  if (body === 'too_large') throw new BodyTooLargeError();
  return body.toString('utf8');
}

/** Parses JSON without throwing on bad input. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err: unknown) {
    if (err instanceof SyntaxError) return { ok: false };
    throw err;
  }
}

/** The first value of a request header, or `''`. */
export function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}
