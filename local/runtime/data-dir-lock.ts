/**
 * One `npm start` per data directory. Each process has its own in-memory DynamoDB stand-in
 * loaded from cursor.json, so the cursor's lease cannot keep two processes apart: both would
 * collect the same windows and write the same events twice. A lock file in the directory,
 * created atomically (link(2) of a complete file) and holding the owner's pid, does. A lock whose process is gone (killed,
 * machine restarted) or that cannot be read is taken over with a notice.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { isErrnoException, LocalStartError } from './errors.js';

/** The lock file's name inside the data directory. */
export const LOCK_FILE_NAME = 'npm-start.lock';

/** What the lock file records about its owner. */
export interface LockOwner {
  pid: number;
  /** ISO time the owner took the lock. */
  since: string;
  /** The owner's command line, as the user typed it (roughly). */
  command: string;
  /** Whether the owner runs `--once`. */
  once: boolean;
  host: string;
}

/** A held lock. */
export interface DataDirLock {
  file: string;
  owner: LockOwner;
  /** Set when a stale lock was taken over: what it said, and why it was stale. */
  tookOver?: { previous: LockOwner | undefined; reason: string } | undefined;
  /** Removes the lock file if it is still ours. Idempotent; also runs on process exit. */
  release(): Promise<void>;
}

/** The directory is locked by a live process; the message says by whom and what to do. */
export class DataDirLockedError extends LocalStartError {
  readonly owner: LockOwner;
  readonly file: string;
  constructor(message: string, owner: LockOwner, file: string) {
    super(message);
    this.owner = owner;
    this.file = file;
  }
}

/** Lock files this process holds: a pid equal to ours is stale unless it is one of these. */
const heldHere = new Set<string>();
/** The take in progress per lock file, in this process. */
const acquiring = new Map<string, Promise<DataDirLock>>();

/** How many times to retry when another process takes the lock over at the same moment. */
const MAX_ATTEMPTS = 5;

function parseOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err: unknown) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.pid !== 'number' || !Number.isInteger(record.pid) || record.pid <= 0) return undefined;
  return {
    pid: record.pid,
    since: typeof record.since === 'string' ? record.since : 'an unknown time',
    command: typeof record.command === 'string' ? record.command : 'unknown command',
    once: record.once === true,
    host: typeof record.host === 'string' ? record.host : '',
  };
}

/** True while `pid` is a running process (EPERM: it runs, as another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    if (isErrnoException(err) && err.code === 'EPERM') return true;
    if (isErrnoException(err) && err.code === 'ESRCH') return false;
    throw err;
  }
}

/** `2026-12-01 10:58:35 UTC` */
function readableTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC` : iso;
}

/**
 * How the directory is shown: relative to the working directory when it lies below it (and that
 * is shorter); a path that climbs out (`../…`) is shown whole, as it reads the same from anywhere.
 */
function shown(dir: string): string {
  const rel = relative(process.cwd(), dir);
  if (rel === '') return '.';
  return !rel.startsWith('..') && rel.length < dir.length ? rel : dir;
}

/** The refusal for a second start on a locked directory (`once`: the second one asked for `--once`). */
export function lockedMessage(owner: LockOwner, dataDir: string, file: string, once: boolean): string {
  const who = `pid ${owner.pid}, running since ${readableTime(owner.since)}: ${owner.command}`;
  const dir = shown(dataDir);
  const stop = `stop it first (Ctrl-C in its terminal, or kill ${owner.pid})`;
  const elsewhere = `use another data directory with --data-dir <another>`;
  const stale = `If no such process is running (e.g. the pid now belongs to another program), delete ${shown(file)}.`;
  if (once) {
    return [
      `another npm start is already collecting into ${dir} (${who}).`,
      `It keeps that directory up to date, so --once is not needed. To run --once anyway, ${stop}, or ${elsewhere}.`,
      stale,
    ].join('\n');
  }
  return [
    `the data directory ${dir} is in use by another npm start (${who}).`,
    `Two processes on one directory would collect the same events twice: ${stop}, or ${elsewhere}.`,
    stale,
  ].join('\n');
}

/** The takeover notice: which lock was stale and why. */
export function takeoverNotice(lock: DataDirLock): string | undefined {
  if (!lock.tookOver) return undefined;
  return `Took over the stale lock ${shown(lock.file)}: ${lock.tookOver.reason}.`;
}

/** Why the lock in `text` no longer protects anything, or undefined when its owner is alive. */
function staleReason(owner: LockOwner | undefined, host: string, file: string): string | undefined {
  if (owner === undefined) return 'the lock file was unreadable or corrupt';
  if (owner.pid === process.pid && (owner.host === '' || owner.host === host)) {
    // Our own pid: either we hold it (a second environment in this process) or an earlier
    // process with the same pid left it (containers reuse low pids after a restart).
    return heldHere.has(file) ? undefined : `its process (pid ${owner.pid}) is no longer running`;
  }
  // A pid on another machine (a shared directory) cannot be checked: treat it as alive.
  if (owner.host !== '' && owner.host !== host) return undefined;
  if (!isProcessAlive(owner.pid)) {
    return `its process (pid ${owner.pid}, since ${readableTime(owner.since)}, ${owner.command}) is no longer running`;
  }
  return undefined;
}

/**
 * Takes the lock of `dataDir` (which must exist) for this process. Throws DataDirLockedError
 * when a live process holds it. The lock is released by `release()` and, as a fallback, when
 * the process exits (a normal exit, process.exit after Ctrl-C, or an uncaught error).
 */
export function lockDataDir(
  dataDir: string,
  options: { command: string; once: boolean },
): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE_NAME);
  // Takes within this process one at a time: our own pid in a lock file counts as stale unless
  // heldHere has it, and a concurrent take could read the file before the winner is recorded.
  const previous = acquiring.get(file) ?? Promise.resolve();
  const attempt = previous.then(
    () => takeLock(dataDir, file, options),
    () => takeLock(dataDir, file, options),
  );
  acquiring.set(file, attempt);
  return attempt.finally(() => {
    if (acquiring.get(file) === attempt) acquiring.delete(file);
  });
}

async function takeLock(
  dataDir: string,
  file: string,
  options: { command: string; once: boolean },
): Promise<DataDirLock> {
  const host = hostname();
  const owner: LockOwner = {
    pid: process.pid,
    since: new Date().toISOString(),
    command: options.command,
    once: options.once,
    host,
  };
  const text = `${JSON.stringify(owner, null, 2)}\n`;
  let tookOver: DataDirLock['tookOver'];
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (await createWith(file, text)) return heldLock(file, owner, text, tookOver);
    let existing: string;
    try {
      existing = await readFile(file, 'utf8');
    } catch (err: unknown) {
      // Released between our open and our read: try again.
      if (isErrnoException(err) && err.code === 'ENOENT') continue;
      if (isErrnoException(err) && err.code === 'EISDIR') {
        throw new LocalStartError(`${shown(file)} is a directory; remove it to use ${shown(dataDir)}.`);
      }
      throw err;
    }
    const previous = parseOwner(existing);
    const reason = staleReason(previous, host, file);
    if (reason === undefined && previous !== undefined) {
      throw new DataDirLockedError(lockedMessage(previous, dataDir, file, options.once), previous, file);
    }
    await removeIfUnchanged(file, existing);
    tookOver = { previous, reason: reason ?? 'the lock file was unreadable or corrupt' };
  }
  throw new LocalStartError(
    `could not take the lock ${shown(file)}: other processes keep taking it; try again.`,
  );
}

/**
 * Creates `file` holding `text` if it does not exist, atomically; false when it exists. The text
 * is written to a file of our own first and then linked into place: of two processes exactly one
 * link succeeds, and nobody ever sees the lock empty or half written (as with open 'wx' + write).
 */
async function createWith(file: string, text: string): Promise<boolean> {
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  const handle = await open(draft, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
  try {
    await link(draft, file);
    return true;
  } catch (err: unknown) {
    if (isErrnoException(err) && err.code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(draft);
  }
}

/**
 * Removes the stale lock `file` if it still holds `expected`. A rename moves it aside first,
 * atomically: if another process replaced it meanwhile (took it over before us), the moved
 * file is theirs, and it is put back.
 */
async function removeIfUnchanged(file: string, expected: string): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(file, aside);
  } catch (err: unknown) {
    if (isErrnoException(err) && err.code === 'ENOENT') return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8');
  if (moved !== expected) {
    try {
      // link fails if the name was taken again meanwhile; then that holder's file stays.
      await link(aside, file);
    } catch (err: unknown) {
      if (!isErrnoException(err) || err.code !== 'EEXIST') throw err;
    }
  }
  await unlink(aside);
}

function heldLock(
  file: string,
  owner: LockOwner,
  text: string,
  tookOver: DataDirLock['tookOver'],
): DataDirLock {
  let released = false;
  const releaseSync = () => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    try {
      // Synchronous: 'exit' listeners cannot wait. Only our own lock is removed.
      if (readFileSync(file, 'utf8') === text) unlinkSync(file);
    } catch (err: unknown) {
      if (!isErrnoException(err)) throw err;
      // Already gone, or unreadable: nothing of ours to remove.
    }
  };
  heldHere.add(file);
  process.on('exit', releaseSync);
  return {
    file,
    owner,
    tookOver,
    release: async () => {
      process.off('exit', releaseSync);
      if (released) return;
      released = true;
      heldHere.delete(file);
      let current: string;
      try {
        current = await readFile(file, 'utf8');
      } catch (err: unknown) {
        if (isErrnoException(err) && err.code === 'ENOENT') return;
        throw err;
      }
      if (current === text) await unlink(file);
    },
  };
}
