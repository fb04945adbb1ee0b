/**
 * `npm run mimecast-sim -- --port 8080`: runs the simulator in the foreground and prints its
 * base URL and a working secret for each auth mode. The credentials are simulator-only (derived
 * from the seed); printing them is the point, so they can be pasted into a local secret.
 */
import type { SimulatorOptions } from './api.js';
import { CliUsageError, parseCliArgs, USAGE } from './cli-args.js';
import { startMimecastSimulator } from './server.js';
import { DEFAULT_EVENTS_PER_DAY } from './settings.js';

/** The non-default behaviours switched on, for the start-up banner ('' when none). */
function describeExtras(options: SimulatorOptions): string {
  const parts: string[] = [];
  if (options.clockOffsetMs) parts.push(`clock offset ${options.clockOffsetMs} ms`);
  const late = options.lateEvents;
  if (late !== undefined) {
    const classes = Array.isArray(late) ? late : [late];
    parts.push(`late events ${classes.map((c) => `${c.share}@${c.delaySeconds}s`).join(', ')}`);
  }
  if (options.retentionErrorCode) parts.push(`retention error code ${options.retentionErrorCode}`);
  if (options.emptyTailWithNewTokens) parts.push('endless empty tail with new tokens');
  else if (options.emptyLastPageWithNext) parts.push('terminal empty page with the same token');
  return parts.join(', ');
}

async function main(): Promise<void> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (err: unknown) {
    if (!(err instanceof CliUsageError)) throw err;
    console.error(`mimecast-sim: ${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (command.kind === 'help') {
    console.log(USAGE);
    return;
  }
  const { options } = command;
  const simulator = await startMimecastSimulator(options);
  const rate =
    options.rateLimit === false
      ? 'off'
      : `${options.rateLimit?.capacity ?? 50}/${options.rateLimit?.refillPerSecond ?? 25}`;
  console.log(`Mimecast API simulator listening on ${simulator.baseUrl}`);
  console.log(
    `seed ${options.seed ?? 1}, ${options.eventsPerDay ?? DEFAULT_EVENTS_PER_DAY} events/day, token TTL ${options.tokenTtlSeconds ?? 1799} s, page latency ${options.pageLatencyMs ?? 0} ms, rate limit ${rate}`,
  );
  const extras = describeExtras(options);
  if (extras !== '') console.log(extras);
  console.log(`API 2.0 (OAuth) secret: ${JSON.stringify(simulator.secrets.oauth2)}`);
  console.log(`API 1.0 (HMAC) secret:  ${JSON.stringify(simulator.secrets.hmac)}`);
  console.log('Press Ctrl-C to stop.');
  const stop = (signal: NodeJS.Signals): void => {
    console.log(`\nmimecast-sim: ${signal} received, stopping`);
    simulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('mimecast-sim: error while stopping', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  console.error(
    code === 'EADDRINUSE'
      ? `mimecast-sim: the port is already in use (${message}); pick another with --port`
      : `mimecast-sim: ${message}`,
  );
  process.exitCode = 1;
});
