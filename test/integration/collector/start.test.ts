import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { DEFAULT_EVENTS_PER_DAY } from '#local/mimecast-sim/settings.js';
import { parseStartArgs, StartUsageError } from '#local/runtime/args.js';
import { resolveRealMimecast } from '#local/runtime/credentials.js';

const run = promisify(execFile);
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'npm-start-smoke-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** `npm start -- --once` as a user runs it (tsx, a real process), small enough for CI. */
async function startOnce() {
  const { stdout } = await run(
    'npx',
    [
      'tsx',
      'local/start.ts',
      '--once',
      '--data-dir',
      dataDir,
      '--lookback-days',
      '3',
      '--events-per-day',
      '150',
    ],
    { cwd: process.cwd(), timeout: 90_000, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return stdout;
}

const totalOf = (stdout: string): number => {
  const match = /^total\s+([\d,]+)\s+(\d+)/m.exec(stdout);
  return Number((match?.[1] ?? 'NaN').replace(/,/g, ''));
};

describe('npm start -- --once', () => {
  it('runs the collector until caught up, prints a per-day summary and exits 0; a second session continues', async () => {
    // Act
    const first = await startOnce();
    const cursor = JSON.parse(await readFile(join(dataDir, 'cursor.json'), 'utf8')) as {
      eventsWritten?: { N?: string };
    };
    const second = await startOnce();

    // Assess
    expect(first).toMatch(/run 1: caught_up/);
    expect(first).toMatch(/Per-day summary/);
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}\s+[\d,]+\s+\d+$/m);
    expect(totalOf(first)).toBe(Number(cursor.eventsWritten?.N));
    expect(totalOf(first)).toBeGreaterThan(300);
    // The saved cursor is restored: the second session only collects what is new.
    expect(second).toMatch(/run 1: caught_up · [0-2] windows? /);
    expect(totalOf(second)).toBeGreaterThanOrEqual(totalOf(first));
    expect(totalOf(second) - totalOf(first)).toBeLessThan(20);
  });
});

describe('npm start against "real" Mimecast credentials', () => {
  it('uses a secret file instead of the embedded simulator', async () => {
    // Prepare: a separately running simulator stands in for Mimecast; only its credentials are passed.
    const sim = await startMimecastSimulator({ seed: 5, eventsPerDay: 100 });
    const dir = await mkdtemp(join(tmpdir(), 'npm-start-real-'));
    const secretFile = join(dir, 'secret.json');
    await writeFile(secretFile, JSON.stringify(sim.secrets.oauth2));

    try {
      // Act
      const { stdout } = await run(
        'npx',
        [
          'tsx',
          'local/start.ts',
          '--once',
          '--data-dir',
          join(dir, 'data'),
          '--lookback-days',
          '1',
          '--secret-file',
          secretFile,
        ],
        { cwd: process.cwd(), timeout: 90_000, env: { ...process.env, NODE_OPTIONS: '' } },
      );

      // Assess
      expect(stdout).toContain(`real Mimecast at ${sim.baseUrl}, API 2.0 (OAuth)`);
      expect(stdout).toMatch(/run 1: caught_up/);
      expect(stdout).not.toContain(sim.secrets.oauth2.clientSecret);
      expect(sim.requests().filter((r) => r.endpoint === 'get-audit-events').length).toBeGreaterThan(0);
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds the secret from environment variables and names bad fields without their values', async () => {
    // Act
    const oauth = await resolveRealMimecast(undefined, {
      MIMECAST_CLIENT_ID: 'id-123',
      MIMECAST_CLIENT_SECRET: 'Very-Secret-Value',
    });
    const hmac = await resolveRealMimecast(undefined, {
      MIMECAST_BASE_URL: 'https://eu-api.mimecast.com',
      MIMECAST_APP_ID: 'app',
      MIMECAST_APP_KEY: 'app-key',
      MIMECAST_ACCESS_KEY: 'access',
      MIMECAST_SECRET_KEY: 'c2VjcmV0LWtleQ==',
    });
    const broken = await resolveRealMimecast(undefined, {
      MIMECAST_BASE_URL: 'https://eu-api.mimecast.com',
      MIMECAST_APP_ID: 'app',
      MIMECAST_APP_KEY: 'app-key',
      MIMECAST_ACCESS_KEY: 'access',
      MIMECAST_SECRET_KEY: 'Not base64!',
    }).catch((err: unknown) => err);
    const none = await resolveRealMimecast(undefined, {});

    // Assess
    expect(oauth?.description).toBe(
      'real Mimecast at https://api.services.mimecast.com, API 2.0 (OAuth), credentials from MIMECAST_CLIENT_ID/MIMECAST_CLIENT_SECRET',
    );
    expect(oauth?.description).not.toContain('Very-Secret-Value');
    expect(hmac?.description).toContain('API 1.0 (HMAC)');
    // The parser's field name is restated as the variable the user set.
    expect((broken as Error).message).toMatch(/MIMECAST_SECRET_KEY must be valid base64/);
    expect((broken as Error).message).not.toContain('Not base64!');
    expect(none).toBeUndefined();
  });
});

describe('npm start on a schedule', () => {
  it('serves the query API beside the collector and stops cleanly on Ctrl-C, saving the cursor', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'npm-start-sigint-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/start.ts',
        '--interval',
        '3600',
        '--data-dir',
        dir,
        '--lookback-days',
        '1',
        '--events-per-day',
        '50',
        '--api-port',
        '0',
      ],
      { cwd: process.cwd(), env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const firstRun = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (/run 1: /.test(output)) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    try {
      // Act
      await firstRun;
      const apiUrl = /Query API[^:]*: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      const status = await fetch(`${apiUrl}/v1/status`);
      const body = (await status.json()) as { sources?: Array<{ id?: string; watermark?: string }> };
      child.kill('SIGINT');
      const code = await exited;

      // Assess
      expect(code).toBe(0);
      expect(apiUrl).toBeDefined();
      expect(output).toContain(`curl`);
      expect(status.status).toBe(200);
      expect(body.sources?.[0]?.watermark).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(output).toMatch(/Stopping after the current window/);
      expect(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'))).toHaveProperty('watermark');
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('npm start arguments', () => {
  it('has sensible defaults', () => {
    expect(parseStartArgs([])).toEqual({
      kind: 'run',
      options: {
        once: false,
        intervalSeconds: 60,
        dataDir: undefined,
        secretFile: undefined,
        lookbackDays: 60,
        eventsPerDay: DEFAULT_EVENTS_PER_DAY,
        seed: 1,
        apiPort: 8787,
        verbose: false,
      },
    });
  });

  it('reads every flag', () => {
    expect(
      parseStartArgs([
        '--once',
        '--interval',
        '5',
        '--data-dir',
        'd',
        '--secret-file',
        's.json',
        '--lookback-days',
        '7',
        '--api-port',
        '0',
        '--verbose',
      ]),
    ).toMatchObject({
      kind: 'run',
      options: {
        once: true,
        intervalSeconds: 5,
        dataDir: 'd',
        secretFile: 's.json',
        lookbackDays: 7,
        apiPort: 0,
        verbose: true,
      },
    });
    expect(parseStartArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it('rejects unusable values with a message naming the flag', () => {
    expect(() => parseStartArgs(['--lookback-days', '61'])).toThrow(StartUsageError);
    expect(() => parseStartArgs(['--interval', 'soon'])).toThrow(/--interval/);
    expect(() => parseStartArgs(['--bogus'])).toThrow(StartUsageError);
  });
});
