/** Command-line parsing for `npm start` (apart from start.ts so it can be unit tested). */
import { parseArgs } from 'node:util';
import { DEFAULT_EVENTS_PER_DAY } from '#local/mimecast-sim/settings.js';
import { EXPECTED_VARIABLES } from './credentials.js';

/** Usage text of `npm start -- --help`. */
export const USAGE = `Usage: npm start -- [options]

Runs the real collector Lambda handler locally against in-process stand-ins for S3, DynamoDB
and Secrets Manager, and against the Mimecast simulator, or real Mimecast when credentials
are given. Data is written as it would be in S3, into a directory on disk.

Options:
  --once                  run until caught up, print a per-day summary and exit
  --interval <seconds>    time between runs                               default 60
  --data-dir <dir>        where the local S3 data and cursor are kept      default .local/simulator
                          (.local/mimecast with real credentials)
  --secret-file <path>    real Mimecast credentials: a JSON file in the secret's shape,
                          {"clientId","clientSecret","baseUrl"?} (API 2.0) or
                          {"baseUrl","appId","appKey","accessKey","secretKey"} (API 1.0)
  --lookback-days <n>     first-run backfill, 1-60                         default 60
  --events-per-day <n>    simulator: average events per day                default ${DEFAULT_EVENTS_PER_DAY}
  --seed <n>              simulator: seed of events and credentials        default 1
  --api-port <port>       local query API on http://127.0.0.1:<port>       default 8787
                          (0 picks a free port; not started with --once)
  --verbose               show the handlers' own JSON log lines (info level; the collector's
                          and the query API's), instead of progress and summaries only
  --help                  show this text

Real Mimecast credentials can also come from the environment (not together with --secret-file):
${EXPECTED_VARIABLES}
They are stored only in the in-process Secrets Manager stand-in and never printed. Only one
npm start can use a data directory at a time (it holds a lock file there while it runs).`;

/** What `npm start` was asked to do. */
export interface StartOptions {
  once: boolean;
  intervalSeconds: number;
  dataDir: string | undefined;
  secretFile: string | undefined;
  lookbackDays: number;
  eventsPerDay: number;
  seed: number;
  /** Port of the local query API (0 = any free port). */
  apiPort: number;
  verbose: boolean;
}

/** The parsed command line. */
export type StartCommand = { kind: 'help' } | { kind: 'run'; options: StartOptions };

/** Raised for unusable flags; the message is meant for the terminal. */
export class StartUsageError extends Error {}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new StartUsageError(`--${flag} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

/** Parses the arguments after `npm start --`. */
export function parseStartArgs(argv: readonly string[]): StartCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        once: { type: 'boolean' },
        interval: { type: 'string' },
        'data-dir': { type: 'string' },
        'secret-file': { type: 'string' },
        'lookback-days': { type: 'string' },
        'events-per-day': { type: 'string' },
        seed: { type: 'string' },
        'api-port': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err: unknown) {
    throw new StartUsageError(err instanceof Error ? err.message : 'invalid arguments');
  }
  if (values.help === true) return { kind: 'help' };
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    kind: 'run',
    options: {
      once: values.once === true,
      intervalSeconds: integer('interval', text('interval'), 60, 1, 86_400),
      dataDir: text('data-dir'),
      secretFile: text('secret-file'),
      lookbackDays: integer('lookback-days', text('lookback-days'), 60, 1, 60),
      eventsPerDay: integer('events-per-day', text('events-per-day'), DEFAULT_EVENTS_PER_DAY, 0, 1_000_000),
      seed: integer('seed', text('seed'), 1, 0, 2 ** 31),
      apiPort: integer('api-port', text('api-port'), 8787, 0, 65_535),
      verbose: values.verbose === true,
    },
  };
}
