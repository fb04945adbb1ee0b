/**
 * `npm start`: the product running on one machine. Starts the embedded environment (AWS
 * stand-ins + the Mimecast simulator, or real Mimecast with user-supplied credentials), points
 * the standard AWS_ENDPOINT_URL_* variables at it, and runs the real collector Lambda handler
 * on a schedule. `--once` runs until caught up and prints a per-day summary. Ctrl-C stops
 * cleanly (the current run finishes its window; a second Ctrl-C exits at once).
 */
import { relative } from 'node:path';
import type { RunSummary } from '#core/sync/index.js';
import { type LocalQueryApi, printExampleCurlCommands, startLocalQueryApi } from './query-adapter.js';
import { summariseArchive } from './runtime/archive-summary.js';
import { parseStartArgs, type StartOptions, StartUsageError, USAGE } from './runtime/args.js';
import { type LocalEnvironment, startLocalEnvironment } from './runtime/environment.js';
import { formatDays, formatRun } from './runtime/format.js';
import { type CollectorHandler, type RunOutcome, runSchedule } from './runtime/scheduler.js';

export {
  type LocalEnvironment,
  type LocalEnvironmentOptions,
  startLocalEnvironment,
} from './runtime/environment.js';

// The SDK warns once per process that future versions will need Node 22; `npm start` supports
// Node 20 on purpose (package.json engines), and the warning would only clutter the progress.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const time = () => new Date().toISOString().slice(11, 19);
const say = (line: string) => console.log(`${time()}  ${line}`);

/** Imports the real handler after the environment is in place (it reads process.env once, on first use). */
async function loadCollectorHandler(env: Record<string, string>): Promise<CollectorHandler> {
  Object.assign(process.env, env);
  const module = await import('../functions/collector/handler.js');
  return (event, context) => module.handler(event, context) as Promise<RunSummary>;
}

/** Serves the real query handler on loopback (imported after the environment is in place, like the collector). */
async function startQueryApi(port: number): Promise<LocalQueryApi> {
  const module = await import('../functions/query/handler.js');
  return startLocalQueryApi({ handler: module.handler, port });
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

/** Runs `npm start` with parsed options; resolves with the process exit code. */
export async function start(options: StartOptions): Promise<number> {
  const environment: LocalEnvironment = await startLocalEnvironment({
    dataDir: options.dataDir,
    secretFile: options.secretFile,
    lookbackDays: options.lookbackDays,
    eventsPerDay: options.eventsPerDay,
    seed: options.seed,
    logLevel: options.verbose ? 'INFO' : 'WARN',
  });
  const where = relative(process.cwd(), environment.s3Directory) || '.';
  say(`Mimecast: ${environment.mimecast.description}`);
  say(
    `S3 data: ${where}/${environment.standins.bucket}/${environment.sourcePrefix} (s3rver layout; metadata in side files)`,
  );
  say(
    `Cursor: DynamoDB stand-in, saved to ${relative(process.cwd(), environment.dataDir) || '.'}/cursor.json after each run`,
  );
  say(
    options.once ? 'Running until caught up…' : `Running every ${options.intervalSeconds} s; Ctrl-C to stop.`,
  );

  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) {
      console.log('\nStopping now.');
      process.exit(130);
    }
    say('Stopping after the current window (Ctrl-C again to quit at once)…');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let api: LocalQueryApi | undefined;
  try {
    const handler = await loadCollectorHandler(environment.env);
    if (!options.once) {
      // The query API is for a running system; `--once` is a batch job and exits when caught up.
      api = await startQueryApi(options.apiPort);
      printExampleCurlCommands(api.url, (line) => say(line));
    }
    const result = await runSchedule({
      handler,
      once: options.once,
      intervalMs: options.intervalSeconds * 1000,
      signal: stop.signal,
      afterRun: async (outcome: RunOutcome) => {
        await environment.saveCursor();
        if (outcome.ok) say(formatRun(outcome.run, outcome.summary, outcome.elapsedMs));
        else say(`run ${outcome.run} failed: ${describeError(outcome.error)}`);
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
    await api?.close();
    await environment.close();
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
    console.error(`npm start failed: ${describeError(err)}`);
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
