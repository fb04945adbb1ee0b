/** A telemetry sink that remembers what the query API logged and measured. */
import type { QueryTelemetry, RequestRecord } from '../../../../functions/query/lib/app.js';

/** One log line. */
export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
}

/** Telemetry that records into arrays. */
export function recordingTelemetry(): QueryTelemetry & { lines: LogLine[]; requests: RequestRecord[] } {
  const lines: LogLine[] = [];
  const requests: RequestRecord[] = [];
  const log =
    (level: LogLine['level']) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      lines.push({ level, message, attributes: Object.assign({}, ...attributes) });
  return {
    lines,
    requests,
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    recordRequest: (record) => requests.push(record),
  };
}
