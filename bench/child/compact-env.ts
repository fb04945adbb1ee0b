/**
 * The environment of compact-child.ts: the stand-ins' endpoints plus the compactor's own
 * variables for one source. Shared by the large-day test and benchmark 9, which run the child
 * the same way.
 */
export function compactChildEnv(
  standinsEnv: Record<string, string>,
  options: { dataPrefix: string; sourceId: string },
): Record<string, string> {
  return {
    ...standinsEnv,
    DATA_PREFIX: options.dataPrefix,
    COMPACTION_SOURCE_IDS: options.sourceId,
    // No Glue here: the view update fails fast and is reported; the callers read the tables.
    AWS_ENDPOINT_URL_GLUE: 'http://127.0.0.1:9',
    AWS_MAX_ATTEMPTS: '1',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
