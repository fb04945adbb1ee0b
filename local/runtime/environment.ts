/**
 * The embedded local environment of `npm start`: the AWS stand-ins (S3 data in a directory on
 * disk), the Mimecast simulator or real Mimecast, the secret stored in the Secrets Manager
 * stand-in, and the environment variables the collector (and the query function) read.
 * Separate from the scheduler so other local tools (e.g. a local query-API adapter) can reuse it.
 */
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { partitionPrefix } from '#core/archive/layout.js';
import { cursorDocuments, readCursor } from '#core/cursor/dynamo-cursor-reader.js';
import type { CursorState } from '#core/ports.js';
import type { MimecastSimulator } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { DEFAULT_EVENTS_PER_DAY } from '#local/mimecast-sim/settings.js';
import { type Standins, startStandins } from '#local/standins/index.js';
import { type CredentialOrigin, resolveRealMimecast } from './credentials.js';
import { restoreCursorItem, saveCursorItem } from './cursor-file.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';

/** The collector's defaults that `npm start` keeps (the production defaults). */
export const LOCAL_SOURCE_ID = 'default';
export const LOCAL_DATA_PREFIX = 'mimecast/audit-events';
export const LOCAL_SECRET_ID = 'local/mimecast-audit-lake/mimecast';

/** What to start. */
export interface LocalEnvironmentOptions {
  /** Where S3 data and the saved cursor go; default `.local/simulator` or `.local/mimecast`. */
  dataDir?: string | undefined;
  /** Real credentials file (see resolveRealMimecast); else the environment, else the simulator. */
  secretFile?: string | undefined;
  /** Where MIMECAST_* credential variables are looked up; default process.env. */
  credentialEnv?: Record<string, string | undefined> | undefined;
  lookbackDays?: number | undefined;
  /** Simulator density and seed. */
  eventsPerDay?: number | undefined;
  seed?: number | undefined;
  /** Handler log level (Powertools); default WARN so the console shows progress, not JSON. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined;
  /** Recorded in the data directory's lock file, for the message a second start gets. */
  command?: string | undefined;
  /** Whether this is a `--once` run (the lock records it). */
  once?: boolean | undefined;
}

/** The started environment. */
export interface LocalEnvironment {
  /** Variables for the collector and query functions (apply before importing a handler). */
  env: Record<string, string>;
  standins: Standins;
  mimecast:
    | { kind: 'simulator'; description: string; simulator: MimecastSimulator }
    | { kind: 'real'; description: string };
  dataDir: string;
  /** The data directory's lock, held until close(). */
  lock: DataDirLock;
  /** Where real credentials came from (undefined: the simulator). */
  credentialOrigin: CredentialOrigin | undefined;
  /** The Secrets Manager stand-in's secret name (messages quote it). */
  secretId: string;
  /** s3rver's directory: objects are files below `<s3Directory>/<bucket>/<key>`. */
  s3Directory: string;
  /** An S3 client pointed at the stand-in (for reading data back). */
  s3: S3Client;
  /** A DynamoDB client pointed at the stand-in (the compactor reads cursors and takes leases). */
  dynamodb: DynamoDBClient;
  /** Key prefix of this source's archive objects. */
  sourcePrefix: string;
  /** Saves the cursor so the next session continues where this one stopped. */
  saveCursor(): Promise<void>;
  /** The source's cursor as the collector sees it (null before its first run). */
  readCursor(): Promise<CursorState | null>;
  /** Saves the cursor and stops every server. Idempotent. */
  close(): Promise<void>;
}

/** Starts the stand-ins and Mimecast (simulator unless real credentials are supplied). */
export async function startLocalEnvironment(
  options: LocalEnvironmentOptions = {},
): Promise<LocalEnvironment> {
  const real = await resolveRealMimecast(options.secretFile, options.credentialEnv ?? process.env);
  const dataDir = resolve(options.dataDir ?? join('.local', real ? 'mimecast' : 'simulator'));
  const s3Directory = join(dataDir, 's3');
  await mkdir(s3Directory, { recursive: true });
  const cursorFile = join(dataDir, 'cursor.json');
  // Before the cursor is read: a second process must not load (and later overwrite) it.
  const lock = await lockDataDir(dataDir, {
    command: options.command ?? describeCommand(process.argv),
    once: options.once ?? false,
  });

  // Kept outside the try for the cleanup when starting fails part-way.
  let standins: Standins | undefined;
  let simulator: MimecastSimulator | undefined;
  try {
    const started = await startStandins({ directory: s3Directory });
    standins = started;
    let secretJson: string;
    if (real) {
      secretJson = real.secretJson;
    } else {
      // The system clock: the simulator's history moves with real time, like Mimecast's.
      simulator = await startMimecastSimulator({
        seed: options.seed ?? 1,
        eventsPerDay: options.eventsPerDay ?? DEFAULT_EVENTS_PER_DAY,
      });
      secretJson = JSON.stringify(simulator.secrets.oauth2);
    }
    started.putSecret(LOCAL_SECRET_ID, secretJson);

    const clientSettings = {
      region: requireEnv(started.env, 'AWS_REGION'),
      credentials: {
        accessKeyId: requireEnv(started.env, 'AWS_ACCESS_KEY_ID'),
        secretAccessKey: requireEnv(started.env, 'AWS_SECRET_ACCESS_KEY'),
      },
    };
    const dynamodb = new DynamoDBClient({
      ...clientSettings,
      endpoint: requireEnv(started.env, 'AWS_ENDPOINT_URL_DYNAMODB'),
    });
    const s3 = new S3Client({
      ...clientSettings,
      endpoint: requireEnv(started.env, 'AWS_ENDPOINT_URL_S3'),
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await restoreCursorItem(dynamodb, started.table, cursorFile);

    const env: Record<string, string> = {
      ...started.env,
      MIMECAST_SECRET_ID: LOCAL_SECRET_ID,
      SOURCE_ID: LOCAL_SOURCE_ID,
      DATA_PREFIX: LOCAL_DATA_PREFIX,
      LOOKBACK_DAYS: String(options.lookbackDays ?? 60),
      POWERTOOLS_SERVICE_NAME: 'mimecast-audit-collector',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
      // EMF metric lines mean something to CloudWatch only; locally they would drown the progress.
      POWERTOOLS_METRICS_DISABLED: 'true',
    };

    const saveCursor = () => saveCursorItem(dynamodb, started.table, LOCAL_SOURCE_ID, cursorFile);
    const documents = cursorDocuments(dynamodb);
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        try {
          await saveCursor();
        } finally {
          dynamodb.destroy();
          s3.destroy();
          await Promise.allSettled([started.close(), simulator?.close()]);
          await lock.release();
        }
      })();
      return closing;
    };

    return {
      env,
      standins: started,
      mimecast: simulator
        ? {
            kind: 'simulator',
            description: `Mimecast simulator at ${simulator.baseUrl} (seed ${options.seed ?? 1}, ~${options.eventsPerDay ?? DEFAULT_EVENTS_PER_DAY} events/day)`,
            simulator,
          }
        : { kind: 'real', description: real?.description ?? 'real Mimecast' },
      dataDir,
      lock,
      credentialOrigin: real?.origin,
      secretId: LOCAL_SECRET_ID,
      s3Directory,
      s3,
      dynamodb,
      sourcePrefix: partitionPrefix(LOCAL_DATA_PREFIX, LOCAL_SOURCE_ID),
      saveCursor,
      readCursor: () => readCursor(documents, started.table, LOCAL_SOURCE_ID),
      close,
    };
  } catch (err: unknown) {
    await Promise.allSettled([standins?.close(), simulator?.close()]);
    await lock.release();
    throw err;
  }
}

/**
 * The command line as the user most likely typed it, for the lock file: `npm start -- …`
 * when npm ran the start script, else the script and its arguments.
 */
export function describeCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const args = argv
    .slice(2)
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`));
  if (env.npm_lifecycle_event === 'start')
    return ['npm start', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
  const script = argv[1] ? relative(process.cwd(), argv[1]) || argv[1] : 'local/start.ts';
  return ['tsx', script, ...args].join(' ');
}

function requireEnv(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (value === undefined) throw new Error(`the stand-ins did not provide ${name}`);
  return value;
}
