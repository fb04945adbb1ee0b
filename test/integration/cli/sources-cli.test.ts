/**
 * The operator's `npm run sources` as a real process against the stand-ins (DynamoDB and Secrets
 * Manager through AWS_ENDPOINT_URL_*, as in production): it creates tagged secrets, edits the
 * registry items beside the cursors, lists them, removes only the registry item, never prints a
 * secret value, and exits 2 for a bad command line and 1 for a refused operation.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import type { SourceConfig } from '#core/registry/source-config.js';
import { type StandinsWithClients, withStandins } from '#test/support/standins.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLIENT_SECRET = 'never-print-me-0123456789';

let local: StandinsWithClients;
let registry: DynamoSourceRegistry;
let dir: string;

beforeAll(async () => {
  local = await withStandins();
  registry = new DynamoSourceRegistry(local.dynamodb, local.standins.table);
  dir = await mkdtemp(join(tmpdir(), 'sources-cli-'));
});

afterAll(async () => {
  await local?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run sources -- …args` (as tsx does) with the stand-ins' environment. */
function sources(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/sources.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...local.standins.env, NODE_NO_WARNINGS: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const describeSecret = (id: string) => local.secrets.send(new DescribeSecretCommand({ SecretId: id }));
const tagsOf = async (id: string) =>
  Object.fromEntries(((await describeSecret(id)).Tags ?? []).map((t) => [t.Key, t.Value]));
const secretExists = (id: string) =>
  describeSecret(id).then(
    () => true,
    (err: unknown) => {
      if (err instanceof Error && err.name === 'ResourceNotFoundException') return false;
      throw err;
    },
  );

async function credentialsFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('npm run sources -- add', () => {
  it('creates an empty secret mimecast-audit-lake/<id> tagged for the source, and the registry item naming it', async () => {
    // Act
    const run = await sources(['add', 'acme', '--create-secret', '--kms-key-id', 'alias/stack-key']);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const described = await describeSecret('mimecast-audit-lake/acme');
    expect(await tagsOf('mimecast-audit-lake/acme')).toEqual({ 'mimecast-source': 'acme' });
    expect(described.KmsKeyId).toBe('alias/stack-key');
    expect(described.VersionIdsToStages).toEqual({});
    const added = await registry.get('acme');
    expect(added).toMatchObject({
      sourceId: 'acme',
      secretId: described.ARN,
      enabled: true,
      scheduleMinutes: 5,
    });
    expect(run.stdout).toContain(`created secret ${described.ARN}`);
    expect(run.stdout).toContain('no value yet');
    expect(run.stdout).toContain('put-secret-value');
  });

  it('stores checked credentials from --secret-string-file without printing them, with the settings given', async () => {
    // Prepare
    const file = await credentialsFile('globex.json', { clientId: 'client-1', clientSecret: CLIENT_SECRET });

    // Act
    const run = await sources([
      'add',
      'globex',
      '--create-secret',
      '--secret-string-file',
      file,
      '--schedule',
      '1h',
      '--lookback-days',
      '7',
      '--settle-seconds',
      '0',
      '--rescan',
      '2h,3600',
      '--disabled',
    ]);

    // Assess
    expect(run.code).toBe(0);
    const value = await local.secrets.send(
      new GetSecretValueCommand({ SecretId: 'mimecast-audit-lake/globex' }),
    );
    expect(JSON.parse(value.SecretString ?? '')).toEqual({
      clientId: 'client-1',
      clientSecret: CLIENT_SECRET,
    });
    expect(await registry.get('globex')).toMatchObject({
      enabled: false,
      scheduleMinutes: 60,
      lookbackDays: 7,
      settleSeconds: 0,
      rescanAfterSeconds: [3600, 7200],
    });
    expect(run.stdout + run.stderr).not.toContain(CLIENT_SECRET);
    expect(run.stdout).not.toContain('no value yet');
  });

  it('refuses credentials the collector could not parse (exit 2), naming the field, not the value, and creates nothing', async () => {
    // Prepare
    const file = await credentialsFile('bad.json', { clientId: CLIENT_SECRET });

    // Act
    const run = await sources(['add', 'bad-creds', '--create-secret', '--secret-string-file', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('clientSecret is missing');
    expect(run.stdout + run.stderr).not.toContain(CLIENT_SECRET);
    expect(await secretExists('mimecast-audit-lake/bad-creds')).toBe(false);
    expect(await registry.get('bad-creds')).toBeUndefined();
  });

  it('tags an existing secret given by --secret-arn and stores its ARN', async () => {
    // Prepare
    const { ARN } = await local.secrets.send(
      new CreateSecretCommand({
        Name: 'initech-mimecast',
        SecretString: '{"clientId":"a","clientSecret":"b"}',
      }),
    );
    if (!ARN) throw new Error('no ARN');

    // Act
    const run = await sources(['add', 'initech', '--secret-arn', ARN, '--schedule', '15']);

    // Assess
    expect(run.code).toBe(0);
    expect(await tagsOf(ARN)).toEqual({ 'mimecast-source': 'initech' });
    expect(await registry.get('initech')).toMatchObject({ secretId: ARN, scheduleMinutes: 15 });
    expect(run.stdout).toContain(`tagged secret ${ARN} mimecast-source=initech`);
    expect(run.stdout).not.toContain('no value yet');
  });

  it('refuses a secret tagged for another source (exit 1), leaving its tag and the registry alone', async () => {
    // Prepare
    const { ARN } = await local.secrets.send(
      new CreateSecretCommand({
        Name: 'someone-elses',
        Tags: [{ Key: 'mimecast-source', Value: 'umbrella' }],
      }),
    );
    if (!ARN) throw new Error('no ARN');

    // Act
    const run = await sources(['add', 'thief', '--secret-arn', ARN]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('belongs to source umbrella');
    expect(await tagsOf(ARN)).toEqual({ 'mimecast-source': 'umbrella' });
    expect(await registry.get('thief')).toBeUndefined();
  });

  it('refuses an id that exists (exit 1) before touching any secret', async () => {
    // Prepare
    await registry.add(
      { sourceId: 'dup', secretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:x' },
      '2026-01-01T00:00:00.000Z',
    );

    // Act
    const run = await sources(['add', 'dup', '--create-secret']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('source "dup" already exists');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await secretExists('mimecast-audit-lake/dup')).toBe(false);
  });

  it('exits 2 with a message for bad options, before any AWS call', async () => {
    // Act
    const runs = await Promise.all([
      sources(['add', 'x1', '--create-secret', '--schedule', '90m']),
      sources(['add', 'x2', '--create-secret', '--lookback-days', '61']),
      sources(['add', 'x3', '--create-secret', '--rescan', 'soon']),
      sources(['add', 'Not_Lower', '--create-secret']),
      sources(['add', 'x4']),
      sources(['add', 'x5', '--create-secret', '--secret-arn', 'arn:x']),
      sources(['add', 'x6', '--secret-arn', 'arn:x', '--kms-key-id', 'k']),
      sources(['add', 'x7', '--create-secret', '--bogus']),
      sources(['add', 'x8', '--create-secret'], { CURSOR_TABLE_NAME: '' }),
      sources(['list', '--format', 'xml']),
    ]);

    // Assess
    expect(runs.map((r) => r.code)).toEqual(runs.map(() => 2));
    const messages = runs.map((r) => r.stderr);
    expect(messages[0]).toContain('use 1 to 60 minutes');
    expect(messages[1]).toContain('from 1 to 60');
    expect(messages[2]).toContain('--rescan');
    expect(messages[3]).toContain('source id "Not_Lower"');
    expect(messages[4]).toContain('give --create-secret');
    expect(messages[5]).toContain('not both');
    expect(messages[6]).toContain('--kms-key-id needs --create-secret');
    expect(messages[7]).toContain("unknown option '--bogus'");
    expect(messages[8]).toContain('give --table or set CURSOR_TABLE_NAME');
    expect(messages[9]).toContain('Allowed choices are table, json');
    for (const id of ['x1', 'x2', 'x3', 'x4', 'x8'])
      expect(await secretExists(`mimecast-audit-lake/${id}`)).toBe(false);
  });
});

describe('npm run sources -- update, disable, enable, list, remove', () => {
  const secretOf = async (id: string) => {
    const { ARN } = await local.secrets.send(
      new CreateSecretCommand({ Name: `pre/${id}`, SecretString: '{}' }),
    );
    if (!ARN) throw new Error('no ARN');
    return ARN;
  };

  it('changes only the given settings and bumps the version', async () => {
    // Prepare
    await registry.add(
      { sourceId: 'umbrella', secretId: await secretOf('umbrella') },
      '2026-01-01T00:00:00.000Z',
    );

    // Act
    const run = await sources(['update', 'umbrella', '--schedule', '15m', '--rescan', 'none']);

    // Assess
    expect(run.code).toBe(0);
    expect(await registry.get('umbrella')).toMatchObject({
      scheduleMinutes: 15,
      rescanAfterSeconds: [],
      lookbackDays: 60,
      enabled: true,
      version: 2,
    });
    expect(run.stdout).toContain('updated source umbrella: enabled, every 15 min');
  });

  it('switches a source to a new secret, tagging it, and says the old one stays', async () => {
    // Prepare
    const old = await secretOf('hooli');
    await registry.add({ sourceId: 'hooli', secretId: old }, '2026-01-01T00:00:00.000Z');
    const next = await secretOf('hooli-2');

    // Act
    const run = await sources(['update', 'hooli', '--secret-arn', next]);

    // Assess
    expect(run.code).toBe(0);
    expect((await registry.get('hooli'))?.secretId).toBe(next);
    expect(await tagsOf(next)).toEqual({ 'mimecast-source': 'hooli' });
    expect(run.stdout).toContain(`previous secret ${old} stays`);
  });

  it('refuses updates that change nothing, break the schema, or name no source', async () => {
    // Prepare
    await registry.add({ sourceId: 'stark', secretId: await secretOf('stark') }, '2026-01-01T00:00:00.000Z');

    // Act
    const [nothing, badSchedule, missing, missingEnable] = await Promise.all([
      sources(['update', 'stark']),
      sources(['update', 'stark', '--schedule', '0']),
      sources(['update', 'nobody', '--schedule', '5']),
      sources(['enable', 'nobody']),
    ]);

    // Assess
    expect([nothing.code, badSchedule.code, missing.code, missingEnable.code]).toEqual([2, 2, 1, 1]);
    expect(nothing.stderr).toContain('nothing to change');
    expect(missing.stderr).toContain('source "nobody" does not exist');
    expect(await registry.get('stark')).toMatchObject({ version: 1, scheduleMinutes: 5 });
    expect(await registry.get('nobody')).toBeUndefined();
  });

  it('disables and enables a source', async () => {
    // Prepare
    await registry.add({ sourceId: 'wayne', secretId: await secretOf('wayne') }, '2026-01-01T00:00:00.000Z');

    // Act
    const off = await sources(['disable', 'wayne']);
    const afterOff = await registry.get('wayne');
    const on = await sources(['enable', 'wayne']);

    // Assess
    expect([off.code, on.code]).toEqual([0, 0]);
    expect(afterOff?.enabled).toBe(false);
    expect(await registry.get('wayne')).toMatchObject({ enabled: true, version: 3 });
    expect(off.stdout).toContain('source wayne disabled');
  });

  it('lists the registry as JSON (what the registry holds, in id order) and as a table', async () => {
    // Prepare
    for (const id of ['zeta', 'alpha'])
      await registry.add({ sourceId: id, secretId: await secretOf(id) }, '2026-01-01T00:00:00.000Z');
    await registry.markDispatched('alpha', '2026-01-01T00:05:00.000Z', '2026-01-01T00:05:00.000Z');

    // Act
    const json = await sources(['list', '--format', 'json']);
    const tableRun = await sources(['list']);

    // Assess
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as SourceConfig[];
    expect(listed).toEqual(await registry.list());
    expect(listed.map((s) => s.sourceId)).toEqual([...listed.map((s) => s.sourceId)].sort());
    expect(listed.map((s) => s.sourceId)).toEqual(expect.arrayContaining(['alpha', 'zeta']));
    expect(listed.find((s) => s.sourceId === 'alpha')?.lastDispatchedAt).toBe('2026-01-01T00:05:00.000Z');
    expect(tableRun.code).toBe(0);
    const lines = tableRun.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SOURCE\s+ENABLED\s+EVERY/);
    expect(lines).toHaveLength(listed.length + 1);
    expect(lines.find((line) => line.startsWith('alpha '))).toMatch(
      /^alpha\s+yes\s+5m\s+60d\s+5m\s+1h,1d\s+2026-01-01T00:05:00.000Z\s+arn:aws:secretsmanager:/,
    );
  });

  it('removes only the registry item: the cursor and the secret stay, and it says so', async () => {
    // Prepare
    const secretId = await secretOf('cyberdyne');
    await registry.add({ sourceId: 'cyberdyne', secretId }, '2026-01-01T00:00:00.000Z');
    const cursors = new DynamoCursorStore(local.dynamodb, local.standins.table);
    const cursor = await cursors.acquireLease(
      'cyberdyne',
      'run-a',
      new Date('2026-01-01T00:00:00Z'),
      new Date('2026-01-01T00:01:00Z'),
    );

    // Act
    const run = await sources(['remove', 'cyberdyne']);
    const again = await sources(['remove', 'cyberdyne']);

    // Assess
    expect(run.code).toBe(0);
    expect(await registry.get('cyberdyne')).toBeUndefined();
    expect(await cursors.get('cyberdyne')).toEqual(cursor);
    expect(await secretExists(secretId)).toBe(true);
    expect(run.stdout).toContain('kept: its archive');
    expect(run.stdout).toContain(secretId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('does not exist');
  });
});
