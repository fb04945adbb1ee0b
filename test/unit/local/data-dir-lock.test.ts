import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DataDirLockedError,
  isProcessAlive,
  LOCK_FILE_NAME,
  lockDataDir,
  lockedMessage,
  takeoverNotice,
} from '#local/runtime/data-dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-dir-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The pid of a process that has exited (and been reaped), so no process has it for now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid;
  await new Promise((resolve) => child.on('exit', resolve));
  if (pid === undefined) throw new Error('no pid');
  return pid;
}

describe('the data directory lock', () => {
  it('is a file holding the owner, refused to a second holder, and removed on release', async () => {
    // Act
    const lock = await lockDataDir(dir, { command: 'npm start -- --interval 60', once: false });
    const content = JSON.parse(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')) as Record<string, unknown>;
    const second = await lockDataDir(dir, { command: 'npm start -- --once', once: true }).catch(
      (e: unknown) => e,
    );
    await lock.release();

    // Assess
    expect(content).toMatchObject({
      pid: process.pid,
      command: 'npm start -- --interval 60',
      host: hostname(),
    });
    expect(Date.parse(String(content.since))).toBeGreaterThan(0);
    expect(second).toBeInstanceOf(DataDirLockedError);
    expect((second as Error).message).toContain(`pid ${process.pid}`);
    expect(await exists(join(dir, LOCK_FILE_NAME))).toBe(false);
  });

  it('lets exactly one of several simultaneous takers have it', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => lockDataDir(dir, { command: `taker ${i}`, once: false })),
    );
    const held = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof DataDirLockedError);
    for (const r of held) await r.value.release();
    expect(held).toHaveLength(1);
    expect(refused).toHaveLength(5);
  });

  it('takes over a lock whose process is gone, with a notice naming it', async () => {
    // Prepare
    const pid = await deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    const stale = {
      pid,
      since: '2026-11-30T08:00:00.000Z',
      command: 'npm start',
      once: false,
      host: hostname(),
    };
    await writeFile(join(dir, LOCK_FILE_NAME), JSON.stringify(stale));

    // Act
    const lock = await lockDataDir(dir, { command: 'npm start -- --once', once: true });
    const content = JSON.parse(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
    await lock.release();

    // Assess
    expect(content.pid).toBe(process.pid);
    expect(takeoverNotice(lock)).toBe(
      `Took over the stale lock ${join(dir, LOCK_FILE_NAME)}: its process (pid ${pid}, since 2026-11-30 08:00:00 UTC, npm start) is no longer running.`,
    );
  });

  it('takes over a corrupt lock file', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), '{"pid": "not a nu');
    const lock = await lockDataDir(dir, { command: 'x', once: false });
    await lock.release();
    expect(takeoverNotice(lock)).toContain('the lock file was unreadable or corrupt');
  });

  it('refuses while the owner lives, and a release never removes a lock that is no longer its own', async () => {
    // Prepare: a live process (the test runner's parent) holds the lock.
    const owner = {
      pid: process.ppid,
      since: new Date().toISOString(),
      command: 'npm start',
      host: hostname(),
    };
    await writeFile(join(dir, LOCK_FILE_NAME), JSON.stringify(owner));

    // Act
    const refused = await lockDataDir(dir, { command: 'x', once: false }).catch((e: unknown) => e);
    await rm(join(dir, LOCK_FILE_NAME));
    const lock = await lockDataDir(dir, { command: 'x', once: false });
    await writeFile(join(dir, LOCK_FILE_NAME), JSON.stringify(owner));
    await lock.release();

    // Assess
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).toBe(JSON.stringify(owner));
  });

  it('tells a second start what to do, and a second --once that it is not needed', () => {
    const owner = {
      pid: 4242,
      since: '2026-12-01T10:58:35.123Z',
      command: 'npm start',
      once: false,
      host: 'h',
    };
    const plain = lockedMessage(owner, '/data/sim', '/data/sim/npm-start.lock', false);
    const once = lockedMessage(owner, '/data/sim', '/data/sim/npm-start.lock', true);
    expect(plain).toContain('the data directory /data/sim is in use by another npm start');
    expect(plain).toContain('pid 4242, running since 2026-12-01 10:58:35 UTC: npm start');
    expect(plain).toContain('stop it first (Ctrl-C in its terminal, or kill 4242)');
    expect(plain).toContain('--data-dir <another>');
    expect(once).toContain('another npm start is already collecting into /data/sim');
    expect(once).toContain('so --once is not needed');
  });
});
