/**
 * `npm start`: the product running on one machine. Starts the embedded environment (AWS
 * stand-ins + the Mimecast simulator, or real Mimecast with user-supplied credentials), points
 * the standard AWS_ENDPOINT_URL_* variables at it, and runs the real collector Lambda handler
 * on a schedule. `--once` runs until caught up and prints a per-day summary. Ctrl-C stops
 * cleanly (the current run finishes its window; a second Ctrl-C exits at once).
 */
import { relative } from 'node:path';
import { DynamoCompactionLeases } from '#core/columnar/lease.js';
import { queryEnvSchema } from '#core/config/env.js';
import { systemClock } from '#core/ports.js';
import { type RunSummary, SyncRunError } from '#core/sync/index.js';
import { localArchiveCatalog } from './archive-engine/catalog.js';
import { DuckDbArchive } from './archive-engine/duckdb-archive.js';
import { LocalArchiveEngine } from './archive-engine/local-engine.js';
import { type LocalQueryApi, printExampleCurlCommands, startLocalQueryApi } from './query-adapter.js';
import { summariseArchive } from './runtime/archive-summary.js';
import { parseStartArgs, type StartOptions, StartUsageError, USAGE } from './runtime/args.js';
import { compactLocally, formatCompaction } from './runtime/compaction.js';
import { describeRunFailure, localiseSecretAdvice } from './runtime/credentials.js';
import { takeoverNotice } from './runtime/data-dir-lock.js';
import { LOCAL_DATA_PREFIX, type LocalEnvironment, startLocalEnvironment } from './runtime/environment.js';
import { LocalStartError } from './runtime/errors.js';
import { formatDays, formatDuration, formatHiddenWarnings, formatRun } from './runtime/format.js';
import { enableConcurrentInvocations, runInvocation, withInvocationScope } from './runtime/invocation.js';
import { installLogRouter, type LogRecord, type LogRouter, type LogStream } from './runtime/log-router.js';
import { ProgressReporter, RunProgress } from './runtime/progress.js';
import { type CollectorHandler, type RunOutcome, runSchedule } from './runtime/scheduler.js';

export {
  type LocalEnvironment,
  type LocalEnvironmentOptions,
  startLocalEnvironment,
} from './runtime/environment.js';

// The SDK warns once per process that future versions will need Node 22; `npm start` supports
// Node 20 on purpose (package.json engines), and the warning would only clutter the progress.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Service names of the two handlers, as in the deployed stack (each function has its own). */
const COLLECTOR_SERVICE = 'mimecast-audit-collector';
const QUERY_SERVICE = 'mimecast-audit-query';
/** The collector's default SETTLE_SECONDS (npm start does not change it): the backfill's horizon. */
const SETTLE_SECONDS = 300;
/** A day closes for compaction once the settle time and the largest default rescan age (1 day) have passed. */
const CLOSE_AFTER_SECONDS = SETTLE_SECONDS + 86_400;

const time = () => new Date().toISOString().slice(11, 19);

/**
 * Imports a handler module with `POWERTOOLS_SERVICE_NAME` set to its own service: both handlers
 * read the variable once, when imported, and share one process.env here.
 */
async function importAs<T>(service: string, load: () => Promise<T>): Promise<T> {
  const previous = process.env.POWERTOOLS_SERVICE_NAME;
  process.env.POWERTOOLS_SERVICE_NAME = service;
  try {
    // Inside a scope: Powertools' Logger and Metrics touch per-invocation state when constructed.
    return await withInvocationScope(load);
  } finally {
    if (previous === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
    else process.env.POWERTOOLS_SERVICE_NAME = previous;
  }
}

/** Imports the real handler after the environment is in place (it reads process.env once, on first use). */
async function loadCollectorHandler(env: Record<string, string>): Promise<CollectorHandler> {
  Object.assign(process.env, env);
  const module = await importAs(COLLECTOR_SERVICE, () => import('../functions/collector/handler.js'));
  return (event, context) =>
    runInvocation(context.awsRequestId, () => module.handler(event, context) as Promise<RunSummary>);
}

/**
 * Serves the real query handler on loopback (imported after the environment is in place, like
 * the collector), with archive queries answered by DuckDB over the local archive files: the
 * same SQL the deployed API sends to Athena.
 */
async function startQueryApi(
  port: number,
  environment: LocalEnvironment,
): Promise<{ api: LocalQueryApi; archive: DuckDbArchive }> {
  const module = await importAs(QUERY_SERVICE, () => import('../functions/query/handler.js'));
  const origin = environment.credentialOrigin;
  const settings = queryEnvSchema.parse({ ...environment.env, MIMECAST_SECRET_ID: environment.secretId });
  const archive = await DuckDbArchive.create(
    localArchiveCatalog({
      s3Directory: environment.s3Directory,
      bucket: environment.standins.bucket,
      dataPrefix: LOCAL_DATA_PREFIX,
      database: settings.ARCHIVE_DATABASE,
      view: settings.ARCHIVE_TABLE,
      boundaries: () =>
        new DynamoCompactionLeases(environment.dynamodb, environment.standins.table).boundaries([
          environment.env.SOURCE_ID ?? 'default',
        ]),
    }),
  );
  const archiveEngine = new LocalArchiveEngine({
    archive,
    clock: systemClock,
    database: settings.ARCHIVE_DATABASE,
  });
  try {
    const api = await startLocalQueryApi({
      handler: module.createQueryHandler({ archiveEngine }),
      port,
      problemDetail: origin
        ? (detail) => localiseSecretAdvice(detail, origin, environment.secretId)
        : undefined,
    });
    return { api, archive };
  } catch (err: unknown) {
    await archive.close();
    throw err;
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

/** Powertools' own keys: left out when a log entry is restated in one line. */
const STANDARD_KEYS: ReadonlySet<string> = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

/** `Events unreadable: … (rangeStart 2026-…, reason empty_pages)`: an error entry for the terminal. */
function formatLogEntry(record: LogRecord): string {
  const fields = Object.entries(record)
    .filter(([key, value]) => !STANDARD_KEYS.has(key) && value !== null && typeof value !== 'object')
    .slice(0, 6)
    .map(([key, value]) => `${key} ${String(value)}`);
  return fields.length > 0 ? `${record.message} (${fields.join(', ')})` : record.message;
}

/** The retry waits the Mimecast client reports (RetryWait.kind), as the progress line says them. */
const WAIT_REASONS: Readonly<Record<string, string>> = {
  rate_limited: 'Mimecast rate limit',
  retryable: 'Mimecast request failed',
  authentication: 'Mimecast refused the access token',
};

/** Messages the failure line of a run already says (the engine and handler log them on every failure). */
const RESTATED_BY_FAILURE_LINE: ReadonlySet<string> = new Set([
  'Collector run failed',
  'Collector run summary',
  'Collector configuration is invalid',
]);

/**
 * What becomes of the handlers' log lines: progress, counted warnings, errors restated in one
 * line; with --verbose the lines themselves as well.
 */
class LogLines {
  progress: RunProgress | undefined;
  readonly warnings = new Map<string, number>();

  constructor(
    private readonly reporter: ProgressReporter,
    private readonly router: () => LogRouter | undefined,
    private readonly verbose: boolean,
  ) {}

  take(record: LogRecord, line: string, stream: LogStream): void {
    const collector = record.service === COLLECTOR_SERVICE;
    if (collector && record.message === 'Window committed') {
      this.progress?.windowCommitted({
        windowStart: String(record.windowStart),
        windowEnd: String(record.windowEnd),
        events: typeof record.events === 'number' ? record.events : 0,
      });
      this.reporter.refresh();
    } else if (collector && record.message === 'Waiting before retrying Mimecast') {
      const waitMs = typeof record.waitMs === 'number' ? record.waitMs : 0;
      const why = WAIT_REASONS[String(record.kind)] ?? 'Mimecast request failed';
      // Sub-second waits are routine under the rate limit; only waits one would notice are shown.
      if (waitMs >= 1_000) {
        this.progress?.setStatus(`${why}: waiting ${formatDuration(waitMs / 1000)} to retry`, waitMs);
        this.reporter.refresh();
      }
    }
    if (this.verbose) {
      const router = this.router();
      if (stream === 'stderr' && router) router.write('stderr', `${line}\n`);
      else this.reporter.raw(`${line}\n`);
      return;
    }
    if (record.level === 'WARN') {
      this.warnings.set(record.message, (this.warnings.get(record.message) ?? 0) + 1);
    } else if (record.level === 'ERROR' || record.level === 'CRITICAL') {
      if (collector && RESTATED_BY_FAILURE_LINE.has(record.message)) return;
      const who = collector ? 'collector' : record.service === QUERY_SERVICE ? 'query API' : record.service;
      const request = typeof record.requestId === 'string' ? ` [request ${record.requestId}]` : '';
      this.reporter.line(`${who} error: ${formatLogEntry(record)}${request}`);
    }
  }
}

/** Runs `npm start` with parsed options; resolves with the process exit code. */
export async function start(options: StartOptions): Promise<number> {
  const environment: LocalEnvironment = await startLocalEnvironment({
    dataDir: options.dataDir,
    secretFile: options.secretFile,
    lookbackDays: options.lookbackDays,
    eventsPerDay: options.eventsPerDay,
    seed: options.seed,
    // INFO always: "Window committed" (info) drives the progress; what is shown is decided here.
    logLevel: 'INFO',
    once: options.once,
  });
  let router: LogRouter | undefined;
  const reporter = new ProgressReporter({
    output: {
      isTTY: process.stdout.isTTY === true,
      columns: process.stdout.columns,
      write: (text) => (router ? router.write('stdout', text) : process.stdout.write(text)),
    },
    stamp: () => `${time()}  `,
  });
  const say = (line: string) => reporter.line(line);
  const logLines = new LogLines(reporter, () => router, options.verbose);
  router = installLogRouter((record, line, stream) => logLines.take(record, line, stream));

  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) {
      reporter.stop();
      console.log('\nStopping now.');
      process.exit(130);
    }
    say('Stopping after the current window (Ctrl-C again to quit at once)…');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  let api: LocalQueryApi | undefined;
  let archive: DuckDbArchive | undefined;
  try {
    const notice = takeoverNotice(environment.lock);
    if (notice) say(notice);
    const where = relative(process.cwd(), environment.s3Directory) || '.';
    say(`Mimecast: ${environment.mimecast.description}`);
    say(
      `S3 data: ${where}/${environment.standins.bucket}/${environment.sourcePrefix} (s3rver layout; metadata in side files)`,
    );
    say(
      `Cursor: DynamoDB stand-in, saved to ${relative(process.cwd(), environment.dataDir) || '.'}/cursor.json after each run`,
    );
    say(
      options.once
        ? 'Running until caught up…'
        : `Running every ${options.intervalSeconds} s; Ctrl-C to stop.`,
    );

    // Before either handler is imported: each invocation gets its own Powertools state.
    enableConcurrentInvocations();
    const handler = await loadCollectorHandler(environment.env);
    if (!options.once) {
      // The query API is for a running system; `--once` is a batch job and exits when caught up.
      ({ api, archive } = await startQueryApi(options.apiPort, environment));
      printExampleCurlCommands(api.url, say);
    }
    const result = await runSchedule({
      handler,
      once: options.once,
      intervalMs: options.intervalSeconds * 1000,
      signal: stop.signal,
      beforeRun: async (run: number) => {
        const cursor = await environment.readCursor();
        logLines.warnings.clear();
        logLines.progress = new RunProgress({
          run,
          backfillFrom: cursor?.backfillFrom,
          watermark: cursor?.watermark,
          settleSeconds: SETTLE_SECONDS,
        });
        reporter.start(logLines.progress);
      },
      afterRun: async (outcome: RunOutcome) => {
        reporter.stop();
        logLines.progress = undefined;
        await environment.saveCursor();
        if (outcome.ok) say(formatRun(outcome.run, outcome.summary, outcome.elapsedMs));
        else {
          const message = describeRunFailure(
            outcome.error instanceof SyncRunError ? outcome.error.kind : undefined,
            describeError(outcome.error),
            environment.credentialOrigin,
            environment.secretId,
          );
          say(`run ${outcome.run} failed: ${message}`);
        }
        const hidden = formatHiddenWarnings(logLines.warnings);
        if (hidden) say(`  ${hidden}`);
        // Closed days get their Parquet copy right away, as the deployed compactor would.
        if (!stop.signal.aborted) {
          try {
            const compacted = formatCompaction(await compactLocally(environment, CLOSE_AFTER_SECONDS));
            if (compacted) say(`  ${compacted}`);
          } catch (err: unknown) {
            say(`  compaction failed: ${describeError(err)} (queries read the NDJSON meanwhile)`);
          }
        }
      },
    });
    if (options.once) {
      if (!result.caughtUp) {
        say(stop.signal.aborted ? 'Stopped before catching up.' : 'Did not catch up (see the error above).');
        return 1;
      }
      const days = await summariseArchive(
        environment.s3,
        environment.standins.bucket,
        environment.sourcePrefix,
      );
      console.log(
        `\nPer-day summary (UTC dates) of s3://${environment.standins.bucket}/${environment.sourcePrefix}\n`,
      );
      console.log(formatDays(days));
      console.log(`\nData on disk: ${where}/${environment.standins.bucket}/${environment.sourcePrefix}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    reporter.stop();
    try {
      await api?.close();
      await archive?.close();
      await environment.close();
    } finally {
      router.uninstall();
    }
  }
}

/** CLI entry: parse, run, exit with the right code. */
export async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseStartArgs>;
  try {
    command = parseStartArgs(argv);
  } catch (err: unknown) {
    if (err instanceof StartUsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (command.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  try {
    return await start(command.options);
  } catch (err: unknown) {
    // A refusal the user can act on: its message says what to do; a stack trace would bury it.
    if (err instanceof LocalStartError) console.error(`npm start: ${err.message}`);
    else console.error(`npm start failed: ${describeError(err)}`);
    return 1;
  }
}

// Run only when executed directly (tsx local/start.ts), not when imported.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('local/start.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
