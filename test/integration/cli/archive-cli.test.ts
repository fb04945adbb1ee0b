/**
 * The analysts' CLI as a real process against the real query API (local DuckDB engine over an
 * archive the collector wrote): it streams exactly the records the archive holds in each format,
 * shows progress while the query waits, explains API and network errors and exits non-zero,
 * and signs requests with SigV4 (checked by re-deriving the signature on the server side).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '#core/archive/record.js';
import {
  type ArchiveFixture,
  DAY,
  type EngineUnderTest,
  expected,
  HOUR,
  iso,
  startArchiveFixture,
  T0,
} from '../archive-query/harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

let fixture: ArchiveFixture;
let local: EngineUnderTest;

beforeAll(async () => {
  fixture = await startArchiveFixture();
  const found = fixture.engines.find((e) => e.name === 'local');
  if (!found) throw new Error('no local engine');
  local = found;
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stderr contains `text`. */
  stderrContains(text: string): Promise<void>;
  exit: Promise<number | null>;
}

function archiveCli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/archive.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    for (const w of waiters.filter((w) => err.includes(w.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    stderrContains: (text) =>
      err.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ text, resolve })),
    exit,
  };
}

const dayRange = () => ['--start', iso(fixture.hostileAt - HOUR), '--end', iso(fixture.hostileAt + HOUR)];

describe('npm run archive -- query', () => {
  it('streams exactly the archived records as NDJSON, page after page', async () => {
    const range = { start: T0 - 4 * DAY, end: T0 - 2 * DAY };
    const run = archiveCli([
      'query',
      '--start',
      iso(range.start),
      '--end',
      iso(range.end),
      '--format',
      'ndjson',
      '--page-size',
      '53',
      '--poll-interval',
      '20',
      '--endpoint',
      local.api.url,
    ]);

    expect(await run.exit).toBe(0);
    const lines = run.stdout().trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as AuditRecord);
    expect(records).toEqual(expected(fixture.records, range));
    expect(records.length).toBeGreaterThan(53);
    expect(run.stderr()).toMatch(new RegExp(`^${records.length} events \\(query aq_`, 'm'));
  });

  it('writes CSV that parses back to the records, with formula-like cells neutralised', async () => {
    const run = archiveCli([
      'query',
      ...dayRange(),
      '--format',
      'csv',
      '-q',
      '--poll-interval',
      '20',
      '--endpoint',
      local.api.url,
    ]);

    expect(await run.exit).toBe(0);
    const rows = parseCsv(run.stdout(), { columns: true }) as Array<Record<string, string>>;
    const want = expected(fixture.records, {
      start: fixture.hostileAt - HOUR,
      end: fixture.hostileAt + HOUR,
    });
    expect(rows.map((r) => r.id)).toEqual(want.map((r) => r.id));
    const quote = rows.find((r) => r.id === 'hostile-quote');
    expect(quote?.event_info).toBe("Changed O'Brien's role, IP: 198.51.100.9");
    expect(JSON.parse(quote?.details ?? '{}')).toMatchObject({ ip: '198.51.100.9' });
    // A spreadsheet must not run attacker-written text as a formula.
    const formula = rows.find((r) => r.id === 'hostile-formula');
    expect(formula?.event_info).toBe(`'=HYPERLINK("https://attacker.example","open")`);
    expect(formula?.actor).toBe("'@attacker");
    expect(run.stderr()).toBe('');
  });

  it('prints a table with the filters applied (actor ignoring case)', async () => {
    const run = archiveCli([
      'query',
      ...dayRange(),
      '--actor',
      'JANE.DOE@EXAMPLE.COM',
      '--format',
      'table',
      '--poll-interval',
      '20',
      '--endpoint',
      local.api.url,
    ]);

    expect(await run.exit).toBe(0);
    const lines = run.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^event_time\s+actor\s+audit_type\s+ip\s+event_info$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('Jane.Doe@Example.com');
    expect(lines[1]).toContain('100% done');
  });

  it('shows progress while the query is queued, then finishes when it runs', async () => {
    local.hold();
    let run: Run;
    try {
      run = archiveCli([
        'query',
        ...dayRange(),
        '--format',
        'ndjson',
        '--poll-interval',
        '20',
        '--endpoint',
        local.api.url,
      ]);
      await run.stderrContains(': queued');
    } finally {
      local.release();
    }
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(/^query aq_[A-Za-z0-9_-]{22}: queued, \d+\.\d s$/m);
    expect(run.stdout().trimEnd().split('\n').length).toBeGreaterThan(0);
  });

  it("exits 1 with the API's explanation for a bad request, and 2 for bad options", async () => {
    const bad = archiveCli([
      'query',
      '--since',
      '1d',
      '--category',
      'Not A Code',
      '--endpoint',
      local.api.url,
    ]);
    const usage = archiveCli(['query', '--since', 'forever', '--endpoint', local.api.url]);
    const neither = archiveCli(['query', '--endpoint', local.api.url]);

    expect(await bad.exit).toBe(1);
    expect(bad.stderr()).toContain('Invalid request (HTTP 400)');
    expect(bad.stderr()).toContain('categories: value 1: must be a category code');
    expect(bad.stderr()).not.toMatch(/\n\s+at /);
    expect(await usage.exit).toBe(2);
    expect(usage.stderr()).toContain('--since forever');
    expect(await neither.exit).toBe(2);
    expect(neither.stderr()).toContain('give --since');
  });

  it('says where it could not connect and why', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const run = archiveCli(['query', '--since', '1d', '--endpoint', `http://127.0.0.1:${port}`]);

    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain(
      `cannot reach 127.0.0.1:${port} (ECONNREFUSED). Is \`npm start\` running?`,
    );
  });

  it('signs every request with SigV4 from the default credential chain when asked', async () => {
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    };
    const verifier = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
    const verdicts: boolean[] = [];
    // A proxy in front of the local API that recomputes each request's signature before passing it on.
    const proxy = createServer(async (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(request.url ?? '/', 'http://placeholder');
      const headers = Object.fromEntries(
        Object.entries(request.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
      );
      const date = headers['x-amz-date'] ?? '';
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? [];
      const resigned = await verifier.sign(
        {
          method: request.method ?? 'GET',
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: Number(headers.host?.split(':')[1]),
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: Object.fromEntries(signedHeaders.map((h) => [h, headers[h] ?? ''])),
          body: body === '' ? undefined : body,
        },
        {
          signingDate: new Date(
            `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
          ),
        },
      );
      verdicts.push(
        resigned.headers.authorization === headers.authorization && headers.authorization !== undefined,
      );
      const forwarded = await fetch(`${local.api.url}${request.url}`, {
        method: request.method,
        headers: { 'content-type': headers['content-type'] ?? 'application/json' },
        body: body === '' ? undefined : body,
      });
      response.writeHead(forwarded.status, {
        'content-type': forwarded.headers.get('content-type') ?? 'application/json',
      });
      response.end(await forwarded.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    try {
      const run = archiveCli(
        [
          'query',
          ...dayRange(),
          '--auth',
          'sigv4',
          '--region',
          'eu-west-1',
          '--format',
          'ndjson',
          '--poll-interval',
          '20',
          '--endpoint',
          `http://127.0.0.1:${port}`,
        ],
        {
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_SESSION_TOKEN: '',
          AWS_PROFILE: '',
        },
      );
      expect(await run.exit).toBe(0);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
    expect(verdicts.length).toBeGreaterThanOrEqual(3);
    expect(verdicts.every(Boolean)).toBe(true);
  });
});
