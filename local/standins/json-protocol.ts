/**
 * The AWS JSON 1.1 protocol as the stand-ins speak it (Secrets Manager, Athena): a POST whose
 * body is one JSON object, answered with a JSON object and a request id.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRequestBody } from '../http-body.js';

/** The protocol's content type. */
export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Bodies beyond this are refused (every real request is a few kilobytes). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** The request body as an object; an empty body is `{}`. */
export async function readJsonObject(
  req: IncomingMessage,
): Promise<Record<string, unknown> | 'too_large' | 'not_an_object'> {
  const body = await readRequestBody(req, MAX_JSON_BODY_BYTES);
  if (body === 'too_large') return 'too_large';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return 'not_an_object';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not_an_object';
  return parsed as Record<string, unknown>;
}

/** Writes one JSON answer with a fresh request id. */
export function answerJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': AWS_JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}
