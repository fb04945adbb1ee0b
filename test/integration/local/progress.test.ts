import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { startProcess } from './start-process.js';

const PROGRESS_LINE =
  /^\d\d:\d\d:\d\d {2}run 1: backfill \d+(\.\d)?% · [\d,]+ events? so far · [\d,.]+ events\/s · ETA (unknown|[\dhms ]+) · (up to \d{4}-\d\d-\d\d \d\d:\d\d UTC|no window committed yet)/m;

let dir: string;
let sim: MimecastSimulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npm-start-progress-'));
  // A slow Mimecast: every page takes 2 s, so the run lasts longer than one progress interval.
  sim = await startMimecastSimulator({ seed: 8, eventsPerDay: 200, pageLatencyMs: 2_000, rateLimit: false });
  // Malformed events (no id) make the collector log warnings, which must not reach the terminal raw.
  const recent = Date.now() - 6 * 3_600_000;
  sim.addEvents(
    Array.from({ length: 3 }, (_, i) => ({
      eventTime: new Date(recent + i * 1_000).toISOString(),
      auditType: 'Logon',
      category: 'authentication_logs',
    })),
  );
  await writeFile(join(dir, 'secret.json'), JSON.stringify(sim.secrets.oauth2));
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm start -- --once against a slow Mimecast', () => {
  it('prints progress lines with backfill %, events, events/s and ETA during the run, and no raw log lines', async () => {
    // Act: wait for the first progress line, then let the run finish quickly.
    const run = startProcess([
      '--once',
      '--data-dir',
      join(dir, 'data'),
      '--lookback-days',
      '1',
      '--secret-file',
      join(dir, 'secret.json'),
    ]);
    try {
      await run.waitFor(PROGRESS_LINE);
      sim.setPageLatency(0);
      const code = await run.exited;
      await run.closed;
      const stdout = run.stdout();
      const lines = stdout.split('\n');
      const progressAt = lines.findIndex((line) => PROGRESS_LINE.test(line));
      const startAt = lines.findIndex((line) => line.includes('Running until caught up'));
      const endAt = lines.findIndex((line) => /run 1: caught_up/.test(line));

      // Assess
      expect(code).toBe(0);
      expect(startAt).toBeGreaterThanOrEqual(0);
      expect(progressAt).toBeGreaterThan(startAt);
      expect(endAt).toBeGreaterThan(progressAt);
      expect(lines[endAt + 1]).toMatch(
        /^\d\d:\d\d:\d\d {4}\d+ warnings? logged \("Malformed event quarantined" ×3/,
      );
      for (const output of [stdout, run.stderr()]) expect(output).not.toMatch(/^\{"level":/m);
    } finally {
      run.kill();
    }
  });
});
