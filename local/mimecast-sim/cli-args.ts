/** Command-line parsing for `npm run mimecast-sim` (kept apart from cli.ts so it can be unit tested). */
import { parseArgs } from 'node:util';
import type { LateEventClass, SimulatorOptions } from './api.js';
import { DEFAULT_EVENTS_PER_DAY } from './settings.js';

/** Usage text printed by `--help` and after a flag error. */
export const USAGE = `Usage: npm run mimecast-sim -- [options]

Starts a Mimecast API simulator on 127.0.0.1 in the foreground (Ctrl-C stops it) and prints
its base URL and working credentials for API 2.0 (OAuth) and API 1.0 (HMAC).

Options:
  --port <n>              TCP port (0 = any free port)              default 8080
  --seed <n>              seed for events and credentials            default 1
  --events-per-day <n>    average generated events per day          default ${DEFAULT_EVENTS_PER_DAY}
  --token-ttl <seconds>   OAuth access token lifetime               default 1799
  --page-latency-ms <ms>  each get-audit-events page answered this long after its request   default 0
  --rate-limit <c/r|off>  token bucket: capacity/refill-per-second  default 50/25
  --clock-offset-ms <ms>  Mimecast's clock runs this far ahead (negative: behind)
                          of the machine's; write a negative value as
                          --clock-offset-ms=-600000                   default 0
  --late-events <list>    late indexing, share:delaySeconds[,share:delaySeconds…]
                          e.g. 0.05:300,0.01:3600 (shares add up to ≤ 1)
  --retention-error-code <code>
                          fail[] code for a start older than 60 days
                          default err_validation_date_outside_retention
  --empty-last-page-with-next
                          the last page carries next; following it answers
                          data [] with the same token
  --empty-tail-with-new-tokens
                          the last page carries next; following it answers
                          data [] with a new token, forever
  --help                  show this text

Stuck page ranges and scripted faults (repeat_token, empty_page, …) are programmatic only.`;

// A year either way: anything more is a typo, not a clock that is off.
const MAX_OFFSET_MS = 365 * 86_400_000;

/** What the CLI should do. */
export type CliCommand = { kind: 'help' } | { kind: 'run'; options: SimulatorOptions & { port: number } };

/** Raised for unusable flags; the message is meant for the terminal. */
export class CliUsageError extends Error {}

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliUsageError(`--${flag} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function positive(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new CliUsageError(`--${flag} must be a positive number, got "${raw}"`);
  }
  return value;
}

function rateLimit(raw: string): SimulatorOptions['rateLimit'] {
  if (raw === 'off') return false;
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw);
  const capacity = Number(match?.[1]);
  const refillPerSecond = Number(match?.[2]);
  if (!match || capacity < 1 || !(refillPerSecond > 0)) {
    throw new CliUsageError(
      `--rate-limit must be "capacity/refillPerSecond" (e.g. 50/25) or "off", got "${raw}"`,
    );
  }
  return { capacity, refillPerSecond };
}

function lateEvents(raw: string): LateEventClass[] {
  const classes = raw.split(',').map((part) => {
    const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(part.trim());
    const share = Number(match?.[1]);
    const delaySeconds = Number(match?.[2]);
    if (!match || share > 1) {
      throw new CliUsageError(
        `--late-events must be share:delaySeconds[,share:delaySeconds…] with shares in 0..1 (e.g. 0.05:300), got "${raw}"`,
      );
    }
    return { share, delaySeconds };
  });
  const total = classes.reduce((sum, entry) => sum + entry.share, 0);
  // Same float tolerance as the simulator's own check (0.1 + 0.2 + 0.7 is a little over 1).
  if (total > 1 + 1e-9)
    throw new CliUsageError(`--late-events shares must add up to at most 1, got ${total}`);
  return classes;
}

function errorCode(raw: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,80}$/.test(raw)) {
    throw new CliUsageError(`--retention-error-code must look like an error code, got "${raw}"`);
  }
  return raw;
}

/** Parses the CLI arguments (without node and script). */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        seed: { type: 'string' },
        'events-per-day': { type: 'string' },
        'token-ttl': { type: 'string' },
        'page-latency-ms': { type: 'string' },
        'rate-limit': { type: 'string' },
        'clock-offset-ms': { type: 'string' },
        'late-events': { type: 'string' },
        'retention-error-code': { type: 'string' },
        'empty-last-page-with-next': { type: 'boolean' },
        'empty-tail-with-new-tokens': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err: unknown) {
    throw new CliUsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return { kind: 'help' };
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const options: SimulatorOptions & { port: number } = { port: 8080 };
  const port = text('port');
  if (port !== undefined) options.port = integer('port', port, 0, 65_535);
  const seed = text('seed');
  if (seed !== undefined)
    options.seed = integer('seed', seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const perDay = text('events-per-day');
  if (perDay !== undefined) options.eventsPerDay = integer('events-per-day', perDay, 0, 100_000_000);
  const ttl = text('token-ttl');
  if (ttl !== undefined) options.tokenTtlSeconds = positive('token-ttl', ttl);
  const latency = text('page-latency-ms');
  if (latency !== undefined) options.pageLatencyMs = integer('page-latency-ms', latency, 0, 600_000);
  const limit = text('rate-limit');
  if (limit !== undefined) options.rateLimit = rateLimit(limit);
  const offset = text('clock-offset-ms');
  if (offset !== undefined)
    options.clockOffsetMs = integer('clock-offset-ms', offset, -MAX_OFFSET_MS, MAX_OFFSET_MS);
  const late = text('late-events');
  if (late !== undefined) options.lateEvents = lateEvents(late);
  const code = text('retention-error-code');
  if (code !== undefined) options.retentionErrorCode = errorCode(code);
  if (values['empty-last-page-with-next'] === true) options.emptyLastPageWithNext = true;
  if (values['empty-tail-with-new-tokens'] === true) options.emptyTailWithNewTokens = true;
  return { kind: 'run', options };
}
