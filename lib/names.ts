/**
 * Names shared by several constructs: Powertools service names, and the S3 prefixes and cursor
 * keys of the contract.
 */
import { fileURLToPath } from 'node:url';

/** Directory holding the Lambda handlers (bundled by path). */
export const FUNCTIONS_DIR = fileURLToPath(new URL('../functions', import.meta.url));

/** POWERTOOLS_SERVICE_NAME of the collectors (log field `service`; their metrics carry only `Source`). */
export const COLLECTOR_SERVICE_NAME = 'mimecast-audit-collector';

/** POWERTOOLS_SERVICE_NAME of the query API function. */
export const QUERY_SERVICE_NAME = 'mimecast-audit-query';

/** Powertools service name of the compactor. */
export const COMPACTOR_SERVICE_NAME = 'mimecast-audit-compactor';

/** Powertools service name of the dispatcher (fleet mode). */
export const DISPATCHER_SERVICE_NAME = 'mimecast-audit-dispatcher';

/** Powertools service name of the registry seed (fleet mode). */
export const SEED_SERVICE_NAME = 'mimecast-audit-seed';

/** Key prefix of one source's archive objects (docs/athena.md, "The data in S3"). */
export function sourcePrefix(dataPrefix: string, sourceId: string): string {
  return `${dataPrefix}/source=${sourceId}`;
}

/** Key prefix where the collector quarantines one source's malformed events, outside the Glue table. */
export function malformedPrefix(dataPrefix: string, sourceId: string): string {
  return `${dataPrefix}-malformed/source=${sourceId}`;
}

/** Partition key of a source's cursor item (the contract: `source#<id>`). */
export function cursorKey(sourceId: string): string {
  return `source#${sourceId}`;
}
