import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProcess } from './start-process.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npm-start-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = ['--lookback-days', '1', '--events-per-day', '50'];

describe('one npm start per data directory', () => {
  it('refuses a second start and a second --once while the first runs, and frees the directory on Ctrl-C', async () => {
    // Prepare: the first process holds the directory once it says it is running.
    const first = startProcess(['--data-dir', dir, '--interval', '3600', '--api-port', '0', ...small]);
    try {
      await first.waitFor(/Running every 3600 s/);
      const lock = JSON.parse(await readFile(join(dir, 'npm-start.lock'), 'utf8')) as { pid: number };

      // Act
      const once = startProcess(['--once', '--data-dir', dir, ...small]);
      const again = startProcess(['--data-dir', dir, '--api-port', '0', ...small]);
      const [onceCode, againCode] = await Promise.all([once.exited, again.exited]);
      first.interrupt();
      await first.closed;
      const lockLeft = await stat(join(dir, 'npm-start.lock')).then(
        () => true,
        () => false,
      );
      const after = startProcess(['--once', '--data-dir', dir, ...small]);
      const afterCode = await after.exited;

      // Assess
      expect(onceCode).toBe(1);
      expect(once.stderr()).toContain(`npm start: another npm start is already collecting into ${dir}`);
      expect(once.stderr()).toContain(`pid ${lock.pid}, running since `);
      expect(once.stderr()).toContain('--interval 3600');
      expect(once.stderr()).toContain('so --once is not needed');
      expect(once.stdout()).not.toMatch(/run 1/);
      expect(againCode).toBe(1);
      expect(again.stderr()).toContain(
        `the data directory ${dir} is in use by another npm start (pid ${lock.pid}`,
      );
      expect(again.stderr()).toMatch(
        /stop it first \(Ctrl-C in its terminal, or kill \d+\), or use another data directory with --data-dir <another>/,
      );
      // Stopped cleanly (a second signal would have printed "Stopping now.").
      expect(first.stdout()).toContain('Stopping after the current window');
      expect(first.stdout()).not.toContain('Stopping now');
      expect(lockLeft).toBe(false);
      expect(afterCode).toBe(0);
      expect(after.stdout()).toMatch(/run 1: caught_up/);
    } finally {
      first.kill();
    }
  });
});
