/**
 * `npm run sources -- <command>`: the operator's CLI for the source registry (fleet mode, many
 * tenants in one stack). It edits the registry items in the cursor table and creates or tags the
 * sources' secrets; the dispatcher picks changes up on its next minute.
 *
 *   npm run sources -- add acme --create-secret --kms-key-id <stack key> [--secret-string-file acme.json]
 *   npm run sources -- add globex --secret-arn arn:aws:secretsmanager:…:secret:globex-AbC123 --schedule 15m
 *   npm run sources -- update acme --lookback-days 30 --rescan 1h,1d
 *   npm run sources -- disable acme      npm run sources -- enable acme
 *   npm run sources -- remove acme       npm run sources -- list --format json
 *
 * The table is --table or CURSOR_TABLE_NAME (the stack output CursorTableName); region and
 * credentials come from the default AWS chain (--region overrides the region), endpoints from
 * AWS_ENDPOINT_URL_* as the SDK reads them. Exit codes: 0 done, 1 failed (AWS said no, the
 * source exists or does not), 2 bad command line. A secret value is never printed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import {
  type SourceConfig,
  type SourceConfigChanges,
  SourceExistsError,
  SourceNotFoundError,
  sourceIdSchema,
} from '#core/registry/source-config.js';
import {
  checkSource,
  describeSettings,
  formatSeconds,
  parseRescan,
  parseSchedule,
  type SettingsOptions,
  settingsFrom,
  UsageError,
  wholeNumber,
} from './sources-options.js';
import {
  createSourceSecret,
  fillInHint,
  OperatorError,
  readCredentialsFile,
  type SecretOutcome,
  tagExistingSecret,
} from './sources-secret.js';

interface ConnectionOptions {
  table?: string;
  region?: string;
}

interface SecretOptions {
  secretArn?: string;
  createSecret?: boolean;
  secretStringFile?: string;
  kmsKeyId?: string;
}

type ChangeOptions = ConnectionOptions & SecretOptions & SettingsOptions;

/** The AWS clients and the registry of one command. */
class Session {
  readonly dynamodb: DynamoDBClient;
  readonly registry: DynamoSourceRegistry;
  private secretsClient: SecretsManagerClient | undefined;

  constructor(private readonly options: ConnectionOptions) {
    const table = options.table;
    if (!table)
      throw new UsageError('no table: give --table or set CURSOR_TABLE_NAME (stack output CursorTableName)');
    this.dynamodb = new DynamoDBClient(options.region ? { region: options.region } : {});
    this.registry = new DynamoSourceRegistry(this.dynamodb, table);
  }

  get secrets(): SecretsManagerClient {
    this.secretsClient ??= new SecretsManagerClient(
      this.options.region ? { region: this.options.region } : {},
    );
    return this.secretsClient;
  }

  close(): void {
    this.dynamodb.destroy();
    this.secretsClient?.destroy();
  }
}

async function withSession<T>(
  options: ConnectionOptions,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const session = new Session(options);
  try {
    return await work(session);
  } finally {
    session.close();
  }
}

const say = (...lines: string[]) => {
  for (const line of lines) process.stdout.write(`${line}\n`);
};

function checkId(id: string): string {
  const parsed = sourceIdSchema.safeParse(id);
  if (!parsed.success)
    throw new UsageError(`source id "${id}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** The secret options, checked for consistency (`required`: add needs one of the two). */
function checkSecretOptions(options: SecretOptions, required: boolean): void {
  if (options.secretArn !== undefined && options.createSecret)
    throw new UsageError('give --secret-arn or --create-secret, not both');
  if (required && options.secretArn === undefined && !options.createSecret)
    throw new UsageError(
      "give --create-secret (a new secret) or --secret-arn ARN (an existing one) for the source's Mimecast credentials",
    );
  if (!options.createSecret) {
    if (options.secretStringFile !== undefined)
      throw new UsageError('--secret-string-file needs --create-secret');
    if (options.kmsKeyId !== undefined)
      throw new UsageError('--kms-key-id needs --create-secret (an existing secret keeps its key)');
  }
}

/** Creates or tags the secret the options name; undefined when they name none. */
async function prepareSecret(
  session: Session,
  sourceId: string,
  options: SecretOptions,
  value: string | undefined,
): Promise<SecretOutcome | undefined> {
  if (options.createSecret) {
    return createSourceSecret(session.secrets, sourceId, { kmsKeyId: options.kmsKeyId, value });
  }
  if (options.secretArn !== undefined) return tagExistingSecret(session.secrets, sourceId, options.secretArn);
  return undefined;
}

/** The checked content of --secret-string-file, read before anything is created. */
const credentialsOf = (options: SecretOptions): Promise<string | undefined> =>
  options.secretStringFile === undefined
    ? Promise.resolve(undefined)
    : readCredentialsFile(options.secretStringFile);

const now = () => new Date().toISOString();

async function add(id: string, options: ChangeOptions): Promise<void> {
  const sourceId = checkId(id);
  checkSecretOptions(options, true);
  // Everything but the secret checked before anything is created.
  checkSource({ sourceId, secretId: options.secretArn ?? 'pending', ...settingsFrom(options) });
  const value = await credentialsOf(options);
  await withSession(options, async (session) => {
    if (await session.registry.get(sourceId)) throw new SourceExistsError(sourceId);
    const secret = await prepareSecret(session, sourceId, options, value);
    if (!secret) throw new UsageError('no secret');
    let added: SourceConfig;
    try {
      added = await session.registry.add({ sourceId, secretId: secret.arn, ...settingsFrom(options) }, now());
    } catch (err: unknown) {
      if (err instanceof SourceExistsError && options.createSecret)
        throw new OperatorError(
          `${err.message} (added meanwhile); the secret ${secret.arn} was created and stays`,
        );
      throw err;
    }
    say(...secret.lines, `added source ${sourceId}: ${describeSettings(added)}`);
    if (!secret.hasValue) say(...fillInHint(secret.arn, sourceId));
    say(
      added.enabled
        ? `the dispatcher starts its first run within ${added.scheduleMinutes} min (its first slot)`
        : `no runs until: npm run sources -- enable ${sourceId}`,
    );
  });
}

async function update(id: string, options: ChangeOptions): Promise<void> {
  const sourceId = checkId(id);
  checkSecretOptions(options, false);
  const settings = settingsFrom(options);
  if (Object.keys(settings).length === 0 && options.secretArn === undefined && !options.createSecret)
    throw new UsageError('nothing to change: give at least one option (see update --help)');
  const value = await credentialsOf(options);
  await withSession(options, async (session) => {
    const existing = await session.registry.get(sourceId);
    if (!existing) throw new SourceNotFoundError(sourceId);
    checkSource({ ...existing, ...settings });
    const secret = await prepareSecret(session, sourceId, options, value);
    const changes: SourceConfigChanges = { ...settings, ...(secret ? { secretId: secret.arn } : {}) };
    const updated = await session.registry.update(sourceId, changes, now());
    say(...(secret?.lines ?? []), `updated source ${sourceId}: ${describeSettings(updated)}`);
    if (secret && !secret.hasValue) say(...fillInHint(secret.arn, sourceId));
    if (secret && existing.secretId !== secret.arn)
      say(`the previous secret ${existing.secretId} stays, with its tag: delete it when no longer needed`);
  });
}

async function setEnabled(id: string, enabled: boolean, options: ConnectionOptions): Promise<void> {
  const sourceId = checkId(id);
  await withSession(options, async (session) => {
    const updated = await session.registry.update(sourceId, { enabled }, now());
    say(`source ${sourceId} ${enabled ? 'enabled' : 'disabled'}: ${describeSettings(updated)}`);
    say(
      enabled
        ? 'the dispatcher starts it in its next slot'
        : 'no new runs are dispatched; a run in progress finishes',
    );
  });
}

async function remove(id: string, options: ConnectionOptions): Promise<void> {
  const sourceId = checkId(id);
  await withSession(options, async (session) => {
    const existing = await session.registry.get(sourceId).catch(() => undefined);
    if (!(await session.registry.remove(sourceId))) throw new SourceNotFoundError(sourceId);
    say(
      `removed source ${sourceId} from the registry: no more runs are dispatched`,
      `kept: its archive (source=${sourceId}/ in the bucket), its cursor (item source#${sourceId})` +
        (existing ? ` and its secret ${existing.secretId}` : ''),
      `adding ${sourceId} again continues from that cursor; delete the data yourself if it must go`,
    );
  });
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

async function list(options: ConnectionOptions & { format: 'table' | 'json' }): Promise<void> {
  await withSession(options, async (session) => {
    const { sources, problems } = await session.registry.listWithProblems();
    for (const problem of problems)
      process.stderr.write(`sources: skipped unreadable item ${problem.key}: ${problem.reason}\n`);
    if (options.format === 'json') {
      say(JSON.stringify(sources, null, 2));
      return;
    }
    if (sources.length === 0) {
      say('no sources (add one with: npm run sources -- add <id> --create-secret)');
      return;
    }
    say(
      table([
        ['SOURCE', 'ENABLED', 'EVERY', 'LOOKBACK', 'SETTLE', 'RESCAN', 'LAST DISPATCH', 'SECRET'],
        ...sources.map((s) => [
          s.sourceId,
          s.enabled ? 'yes' : 'no',
          `${s.scheduleMinutes}m`,
          `${s.lookbackDays}d`,
          formatSeconds(s.settleSeconds),
          s.rescanAfterSeconds.length === 0 ? 'none' : s.rescanAfterSeconds.map(formatSeconds).join(','),
          s.lastDispatchedAt ?? '-',
          s.secretId,
        ]),
      ]),
    );
  });
}

const connection = (command: Command): Command =>
  command
    .addOption(
      new Option('--table <name>', 'the cursor table (stack output CursorTableName)').env(
        'CURSOR_TABLE_NAME',
      ),
    )
    .option('--region <region>', 'AWS region (default: from the AWS configuration)');

const settings = (command: Command, adding: boolean): Command =>
  command
    .option(
      '--secret-arn <arn>',
      'an existing secret with the Mimecast credentials (it gets tagged for the source)',
    )
    .option('--create-secret', `create the secret mimecast-audit-lake/<id>, tagged for the source`)
    .option('--secret-string-file <path>', 'with --create-secret: store these credentials (JSON) in it')
    .option('--kms-key-id <key>', "with --create-secret: the KMS key to encrypt it with (the stack's key)")
    .option(
      '--schedule <interval>',
      `how often to run: 1 to 60 minutes, e.g. 5m, 15, 1h${adding ? ' (default 5m)' : ''}`,
      parseSchedule,
    )
    .option(
      '--lookback-days <n>',
      `first run backfills this many days${adding ? ' (default 60)' : ''}`,
      wholeNumber(1, 60),
    )
    .option(
      '--settle-seconds <n>',
      `leave the newest seconds for the next run${adding ? ' (default 300)' : ''}`,
      wholeNumber(0, 86_400),
    )
    .option(
      '--rescan <ages>',
      `search windows again after these delays, e.g. 3600,86400 or 1h,1d, or none${adding ? ' (default 1h,1d)' : ''}`,
      parseRescan,
    )
    .option('--disabled', adding ? 'add it disabled (no runs until enable)' : 'disable it');

/** The CLI program (exported for tests of its parsing). */
export function program(): Command {
  const cli = new Command('sources')
    .description('Add, change, list and remove the Mimecast sources (tenants) of a fleet-mode stack.')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  connection(settings(cli.command('add <id>').description('add a source'), true)).action(add);
  connection(
    settings(cli.command('update <id>').description("change a source's settings or secret"), false),
  ).action(update);
  connection(cli.command('enable <id>').description('let the dispatcher run a source again')).action(
    (id: string, options: ConnectionOptions) => setEnabled(id, true, options),
  );
  connection(cli.command('disable <id>').description('stop dispatching runs of a source')).action(
    (id: string, options: ConnectionOptions) => setEnabled(id, false, options),
  );
  connection(
    cli
      .command('remove <id>')
      .description("remove a source's registry item (archive, cursor and secret stay)"),
  ).action(remove);
  connection(
    cli
      .command('list')
      .description('list the sources')
      .addOption(
        new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
      ),
  ).action(list);
  return cli;
}

/** The message and exit code of a failure: 2 for the command line, 1 for everything else. */
function failure(err: unknown): { message?: string; code: number } {
  if (err instanceof UsageError) return { message: err.message, code: 2 };
  // Thrown by commander itself, which has printed its message already (0 for --help).
  if (err instanceof CommanderError && !(err instanceof InvalidArgumentError))
    return { code: err.exitCode === 0 ? 0 : 2 };
  if (err instanceof InvalidArgumentError) return { message: err.message, code: 2 };
  if (err instanceof OperatorError || err instanceof SourceExistsError || err instanceof SourceNotFoundError)
    return { message: err.message, code: 1 };
  if (err instanceof Error) {
    const hint =
      err.name === 'ResourceNotFoundException'
        ? ' (are --table and the region right?)'
        : err.name === 'CredentialsProviderError'
          ? ' (no AWS credentials found)'
          : '';
    return { message: `${err.name}: ${err.message}${hint}`, code: 1 };
  }
  return { message: String(err), code: 1 };
}

/** Runs the CLI; errors are printed as sentences, never as stack traces. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await program().parseAsync([...argv], { from: 'node' });
  } catch (err: unknown) {
    const { message, code } = failure(err);
    if (message !== undefined) process.stderr.write(`sources: ${message}\n`);
    process.exitCode = code;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv);
