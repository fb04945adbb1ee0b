/**
 * `npm start` as a user runs it: `npx tsx local/start.ts …` in a process group of its own, so a
 * signal reaches npx, tsx and node together, as Ctrl-C in a terminal does.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** A running `npm start` and what it has printed so far. */
export interface StartProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the stdout so far once it matches `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** The exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /**
   * Resolves when every process of the group has let go of stdout and stderr: after a signal npx
   * may exit at once while node is still cleaning up, and node holds the pipes until it ends.
   */
  closed: Promise<void>;
  /** Ctrl-C: SIGINT to the whole process group. */
  interrupt(): void;
  /** Ends the process group at once (cleanup after a failed test). */
  kill(): void;
}

/** The environment without the user's own Mimecast credentials, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  for (const name of Object.keys(env)) if (name.startsWith('MIMECAST_')) delete env[name];
  return { ...env, ...extra };
}

/** Starts `npx tsx local/start.ts <args>`. */
export function startProcess(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): StartProcess {
  const child = spawn('npx', ['tsx', 'local/start.ts', ...args], {
    cwd: process.cwd(),
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ended = (stream: NodeJS.ReadableStream | null) =>
    new Promise<void>((resolve) => (stream ? stream.on('close', () => resolve()) : resolve()));
  const closed = Promise.all([ended(child.stdout), ended(child.stderr)]).then(() => undefined);
  const group = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch (error: unknown) {
      // The group is already gone.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern) {
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            resolve(out);
          }
        };
        listeners.add(check);
        check();
        exited.then((code) => {
          listeners.delete(check);
          if (!pattern.test(out)) {
            reject(new Error(`npm start exited (${code}) before printing ${pattern}:\n${out}\n${err}`));
          }
        });
      });
    },
    exited,
    closed,
    interrupt: () => group('SIGINT'),
    kill: () => group('SIGKILL'),
  };
}
