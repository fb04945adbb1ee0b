/**
 * `npm run archive -- <command>`: the analysts' CLI for archive queries. It talks to the query
 * API, `npm start`'s local one by default or the deployed one (SigV4-signed) with --endpoint:
 *
 *   npm run archive -- query --since 180d --actor jane@example.com --format table
 *   npm run archive -- query --start 2026-01-01T00:00:00Z --end 2026-02-01T00:00:00Z --category authentication_logs --format csv > jan.csv
 *   npm run archive -- status <id>      npm run archive -- cancel <id>
 *
 * `query` starts the query, shows progress on stderr while it is queued and running, streams
 * the records to stdout page by page, and exits non-zero with the API's explanation on errors.
 * Ctrl-C cancels the query before exiting.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { AuditRecord } from '#core/archive/record.js';
import { ApiClient, ApiError, type AuthMode } from './api-client.js';
import { parseDuration } from './duration.js';
import { FORMATS, type OutputFormat, recordWriter } from './formats.js';
import { formatBytes, queryProgress } from './progress.js';

/** Where `npm start` serves the query API. */
const LOCAL_ENDPOINT = 'http://127.0.0.1:8787';
/** States after which nothing changes. */
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

const positiveInt = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > max)
    throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ConnectionOptions {
  endpoint: string;
  auth: AuthMode;
  region?: string;
}

interface QueryOptions extends ConnectionOptions {
  since?: string;
  start?: string;
  end?: string;
  source?: string[];
  category?: string[];
  auditType?: string[];
  actor?: string;
  ip?: string;
  text?: string;
  limit?: number;
  format?: OutputFormat;
  pageSize: number;
  pollInterval: number;
  sourceRoute?: boolean;
  quiet?: boolean;
}

const connection = (command: Command): Command =>
  command
    .addOption(
      new Option(
        '--endpoint <url>',
        'query API base URL (the stack output ApiUrl; default: npm start on this machine)',
      )
        .env('ARCHIVE_ENDPOINT')
        .default(LOCAL_ENDPOINT),
    )
    .addOption(
      new Option(
        '--auth <mode>',
        'sigv4 signs with the default AWS credential chain; auto signs unless the endpoint is loopback',
      )
        .choices(['auto', 'sigv4', 'none'])
        .default('auto'),
    )
    .option('--region <region>', 'region to sign for (default: from the endpoint host, else AWS_REGION)');

/** The API path prefix for the options (one source's route when asked). */
function basePath(options: QueryOptions): string {
  if (!options.sourceRoute) return '/v1/archive/queries';
  if (options.source?.length !== 1)
    throw new InvalidArgumentError('--source-route needs exactly one --source');
  return `/v1/sources/${encodeURIComponent(options.source[0] ?? '')}/archive/queries`;
}

/** The POST body from the options. */
function requestBody(options: QueryOptions, now: number): Record<string, unknown> {
  let start = options.start;
  if (options.since !== undefined) {
    if (start !== undefined) throw new InvalidArgumentError('give --since or --start, not both');
    const ms = parseDuration(options.since);
    if (ms === undefined)
      throw new InvalidArgumentError(
        `--since ${options.since}: use a number and a unit (s, m, h, d, w), e.g. 180d`,
      );
    start = new Date(now - ms).toISOString();
  }
  if (start === undefined) throw new InvalidArgumentError('give --since (e.g. 30d) or --start');
  return {
    start,
    end: options.end ?? new Date(now).toISOString(),
    ...(options.source && !options.sourceRoute ? { sources: options.source } : {}),
    ...(options.category ? { categories: options.category } : {}),
    ...(options.auditType ? { auditTypes: options.auditType } : {}),
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
    ...(options.ip !== undefined ? { ip: options.ip } : {}),
    ...(options.text !== undefined ? { text: options.text } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes to stdout, respecting back-pressure (a pipe into `head` or a slow disk). */
async function write(text: string): Promise<void> {
  if (text === '' || process.stdout.write(text)) return;
  await new Promise((resolve) => process.stdout.once('drain', resolve));
}

async function runQuery(options: QueryOptions): Promise<number> {
  const client = new ApiClient(options);
  const base = basePath(options);
  const format = options.format ?? (process.stdout.isTTY ? 'table' : 'ndjson');
  const started = await client.request('POST', base, requestBody(options, Date.now()));
  const id = String(started.json.id);
  const progress = queryProgress(id, {
    stream: process.stderr,
    plainIntervalMs: 5_000,
    quiet: options.quiet ?? false,
  });

  let finished = false;
  const interrupt = async () => {
    if (finished) process.exit(130);
    finished = true;
    progress.stop();
    process.stderr.write(`\ncancelling query ${id}…\n`);
    await client.request('DELETE', `${base}/${id}`).catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupt());

  let state = String(started.json.state);
  let described = started.json;
  progress.update(state, undefined);
  // Short queries finish in well under a second: poll soon, then back off to --poll-interval.
  let delay = Math.min(100, options.pollInterval);
  while (!FINAL.has(state)) {
    await wait(delay);
    delay = Math.min(delay * 2, options.pollInterval);
    described = (await client.request('GET', `${base}/${id}`)).json;
    state = String(described.state);
    progress.update(state, (described.statistics as { bytesScanned?: number } | undefined)?.bytesScanned);
  }
  progress.stop();
  if (state !== 'succeeded') {
    const error = described.error as { reason?: string } | undefined;
    process.stderr.write(`query ${id} ${state}${error?.reason ? `: ${error.reason}` : ''}\n`);
    finished = true;
    return 1;
  }

  const writer = recordWriter(format, process.stdout.columns ?? 160);
  let count = 0;
  let token: string | undefined;
  do {
    const query = new URLSearchParams({
      pageSize: String(options.pageSize),
      ...(token ? { pageToken: token } : {}),
    });
    const page = (await client.request('GET', `${base}/${id}/results?${query}`)).json;
    const events = page.events as AuditRecord[];
    count += events.length;
    await write(writer.page(events));
    token = page.nextPageToken as string | undefined;
  } while (token !== undefined);
  finished = true;
  const stats = described.statistics as { bytesScanned?: number; totalMs?: number } | undefined;
  if (!options.quiet) {
    process.stderr.write(
      `${count} event${count === 1 ? '' : 's'} (query ${id}${stats?.bytesScanned === undefined ? '' : `, ${formatBytes(stats.bytesScanned)} scanned`})\n`,
    );
  }
  return 0;
}

/** The CLI program (exported for tests of its parsing). */
export function program(): Command {
  const cli = new Command('archive')
    .description(
      'Query the Mimecast audit archive through the query API (any age, on Athena or locally on DuckDB).',
    )
    .showHelpAfterError();

  connection(
    cli
      .command('query')
      .description('run an archive query and print its records')
      .option('--since <duration>', 'from this long ago until now, e.g. 90m, 12h, 180d, 2w')
      .option('--start <time>', 'start, inclusive (ISO 8601 with a time zone, e.g. 2026-01-01T00:00:00Z)')
      .option('--end <time>', 'end, exclusive (default: now)')
      .option('--source <id>', 'source to search (repeat for several; default: all)', collect)
      .option(
        '--source-route',
        "use the source's own route /v1/sources/<id>/… (for principals allowed one source)",
      )
      .option('--category <code>', 'category code (repeat for several)', collect)
      .option('--audit-type <type>', 'audit type, exactly (repeat for several)', collect)
      .option('--actor <actor>', 'actor (Mimecast user), exactly, ignoring case')
      .option('--ip <ip>', 'client IP address (details.ip), exactly')
      .option('--text <text>', 'text event_info contains, ignoring case (matched literally)')
      .option(
        '--limit <n>',
        'most records (default 10000, at most 1000000)',
        positiveInt('--limit', 1_000_000),
      )
      .addOption(
        new Option('--format <format>', 'output format (default: table on a terminal, else ndjson)').choices(
          FORMATS,
        ),
      )
      .option('--page-size <n>', 'records per request', positiveInt('--page-size', 1_000), 1_000)
      .option(
        '--poll-interval <ms>',
        'longest wait between two questions whether the query has finished',
        positiveInt('--poll-interval', 60_000),
        1_000,
      )
      .option('-q, --quiet', 'no progress and no summary on stderr'),
  ).action(async (options: QueryOptions) => {
    process.exitCode = await runQuery(options);
  });

  connection(cli.command('status <id>').description("print a query's state and statistics (JSON)")).action(
    async (id: string, options: ConnectionOptions) => {
      const answer = await new ApiClient(options).request(
        'GET',
        `/v1/archive/queries/${encodeURIComponent(id)}`,
      );
      process.stdout.write(`${JSON.stringify(answer.json, null, 2)}\n`);
    },
  );

  connection(cli.command('cancel <id>').description('cancel a queued or running query')).action(
    async (id: string, options: ConnectionOptions) => {
      const answer = await new ApiClient(options).request(
        'DELETE',
        `/v1/archive/queries/${encodeURIComponent(id)}`,
      );
      process.stdout.write(`query ${id}: ${String(answer.json.state)}\n`);
    },
  );
  return cli;
}

/** Runs the CLI; errors are printed as sentences, never as stack traces. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await program().parseAsync([...argv], { from: 'node' });
  } catch (err: unknown) {
    if (err instanceof ApiError || err instanceof InvalidArgumentError) {
      process.stderr.write(`archive: ${err.message}\n`);
      process.exitCode = err instanceof InvalidArgumentError ? 2 : 1;
      return;
    }
    process.stderr.write(`archive: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv);
