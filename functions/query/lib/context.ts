/** What route code gets from the app for one request. */
import type { SourceConfig } from '#core/config/env.js';
import type { MimecastClient, RequestOptions } from '#core/mimecast/types.js';
import type { Clock } from '#core/ports.js';

/** Structured logging (Powertools Logger fits). Attributes must never hold secret values. */
export interface QueryLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** Per-request facilities handed to routes. */
export interface RouteContext {
  requestId: string;
  clock: Clock;
  logger: QueryLogger;
  /**
   * Calls Mimecast for `source` under the request's deadline. Failures come back as HttpProblem
   * (429/502/503/504, already mapped); time spent is counted as upstream latency.
   */
  upstream<T>(
    source: SourceConfig,
    call: (client: MimecastClient, options: RequestOptions) => Promise<T>,
  ): Promise<T>;
}
