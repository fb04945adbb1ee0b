import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  describeRunFailure,
  LocalCredentialsError,
  localiseSecretAdvice,
  resolveRealMimecast,
} from '#local/runtime/credentials.js';

// Root reads any file whatever its mode, so an unreadable file is simulated at the read.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    readFile: async (...args: Parameters<typeof actual.readFile>) => {
      if (String(args[0]).endsWith('unreadable.json')) {
        throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
      }
      return actual.readFile(...args);
    },
  };
});

const SECRET_VALUE = 'Very-Secret-Value-42';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-credentials-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error resolveRealMimecast throws for these inputs (fails the test if it does not throw). */
async function refusal(secretFile: string | undefined, env: Record<string, string>): Promise<string> {
  const err = await resolveRealMimecast(secretFile, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LocalCredentialsError);
  return (err as Error).message;
}

describe('MIMECAST_* variables', () => {
  it('refuses MIMECAST_BASE_URL alone instead of falling back to the simulator', async () => {
    const message = await refusal(undefined, { MIMECAST_BASE_URL: 'https://eu-api.mimecast.com' });
    expect(message).toContain('MIMECAST_BASE_URL alone is not enough');
    expect(message).toContain(
      'API 2.0: MIMECAST_CLIENT_ID, MIMECAST_CLIENT_SECRET, MIMECAST_BASE_URL (optional)',
    );
    expect(message).toContain(
      'API 1.0: MIMECAST_BASE_URL, MIMECAST_APP_ID, MIMECAST_APP_KEY, MIMECAST_ACCESS_KEY, MIMECAST_SECRET_KEY',
    );
    expect(message).not.toContain('eu-api');
  });

  it('names a misspelled variable, suggests the right one and lists what is missing, without values', async () => {
    const message = await refusal(undefined, {
      MIMECAST_CLIENTID: 'id-1',
      MIMECAST_CLIENT_SECRET: SECRET_VALUE,
    });
    expect(message).toContain('unknown: MIMECAST_CLIENTID (did you mean MIMECAST_CLIENT_ID?)');
    expect(message).toContain('missing for API 2.0: MIMECAST_CLIENT_ID');
    expect(message).not.toContain(SECRET_VALUE);
    expect(message).not.toContain('id-1');
  });

  it('lists the missing API 1.0 variables and refuses a mix of both sets', async () => {
    const partial = await refusal(undefined, { MIMECAST_APP_ID: 'app', MIMECAST_SECRET_KEY: SECRET_VALUE });
    const mixed = await refusal(undefined, {
      MIMECAST_CLIENT_ID: 'id',
      MIMECAST_CLIENT_SECRET: 'secret',
      MIMECAST_APP_KEY: 'key',
    });
    expect(partial).toContain(
      'missing for API 1.0: MIMECAST_BASE_URL, MIMECAST_APP_KEY, MIMECAST_ACCESS_KEY',
    );
    expect(partial).not.toContain(SECRET_VALUE);
    expect(mixed).toMatch(
      /mixed: MIMECAST_CLIENT_ID, MIMECAST_CLIENT_SECRET belong to API 2.0 and MIMECAST_APP_KEY/,
    );
  });

  it('uses the simulator when no credential variable is set (the collector’s MIMECAST_SECRET_ID is not one)', async () => {
    await expect(
      resolveRealMimecast(undefined, { MIMECAST_SECRET_ID: 'x', MIMECAST_APP_ID: '' }),
    ).resolves.toBe(undefined);
  });

  it('restates an invalid value with the variable name, not the secret field', async () => {
    const message = await refusal(undefined, {
      MIMECAST_CLIENT_ID: 'id',
      MIMECAST_CLIENT_SECRET: 'secret',
      MIMECAST_BASE_URL: 'http://mimecast.example.com',
    });
    expect(message).toMatch(
      /^The MIMECAST_\* variables are unusable \(API 2.0\): MIMECAST_BASE_URL must use https/,
    );
  });
});

describe('--secret-file', () => {
  it('refuses a secret file together with MIMECAST_* variables, naming both', async () => {
    const message = await refusal('./secret.json', {
      MIMECAST_CLIENT_ID: 'id',
      MIMECAST_CLIENT_SECRET: SECRET_VALUE,
    });
    expect(message).toContain('--secret-file ./secret.json');
    expect(message).toContain('MIMECAST_CLIENT_ID, MIMECAST_CLIENT_SECRET');
    expect(message).not.toContain(SECRET_VALUE);
  });

  it('names a missing file instead of showing a raw ENOENT', async () => {
    const message = await refusal('./no-such-secret.json', {});
    expect(message).toMatch(
      /^secret file \.\/no-such-secret\.json does not exist \(looked for \/.*no-such-secret\.json\)/,
    );
    expect(message).not.toContain('ENOENT');
  });

  it('says when the path is a directory, or the file cannot be read', async () => {
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    expect(await refusal(folder, {})).toContain(`secret file ${folder} is a directory, not a file`);
    expect(await refusal(join(dir, 'unreadable.json'), {})).toContain('cannot be read: permission denied');
  });

  it('reports invalid JSON with a position but without quoting the text', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, `{\n  "clientId": "abc",\n  "clientSecret": "${SECRET_VALUE}"\n  "baseUrl": 1\n}`);
    const message = await refusal(file, {});
    expect(message).toMatch(new RegExp(`^secret file ${file} is not valid JSON \\(line 4, column \\d+\\)`));
    expect(message).not.toContain(SECRET_VALUE);
  });

  it('says an empty file holds no credentials, and names missing fields of the file', async () => {
    const empty = join(dir, 'empty.json');
    const partial = join(dir, 'partial.json');
    await writeFile(empty, '');
    await writeFile(partial, JSON.stringify({ clientId: 'abc' }));
    expect(await refusal(empty, {})).toContain(`secret file ${empty} holds no credentials`);
    expect(await refusal(partial, {})).toMatch(
      new RegExp(`^secret file ${partial} is unusable \\(API 2.0\\): clientSecret`),
    );
  });
});

describe('credential failures of a run, locally', () => {
  const file = { kind: 'file', path: './mimecast.json' } as const;
  const env = { kind: 'env', variables: ['MIMECAST_CLIENT_ID', 'MIMECAST_CLIENT_SECRET'] } as const;
  const rejected =
    'Collector run failed (authentication): Mimecast get-audit-events: credentials rejected or permission missing (HTTP 401)';

  it('says which file or variables to correct', () => {
    expect(describeRunFailure('authentication', rejected, file, 'local/s')).toBe(
      `${rejected}. Locally the credentials come from the secret file ./mimecast.json: correct them there and restart npm start.`,
    );
    expect(describeRunFailure('binding_expired', rejected, env, 'local/s')).toContain(
      'come from the variables MIMECAST_CLIENT_ID, MIMECAST_CLIENT_SECRET',
    );
    expect(
      describeRunFailure(
        'configuration',
        'Collector run failed (configuration): Invalid Mimecast secret: x',
        file,
        's',
      ),
    ).toContain('Invalid Mimecast credentials in the secret file ./mimecast.json: x');
  });

  it('leaves other failures alone', () => {
    expect(describeRunFailure('retryable', 'Collector run failed (retryable): boom', file, 's')).toBe(
      'Collector run failed (retryable): boom',
    );
  });

  it('rewrites advice to update the Secrets Manager secret in the query API’s problem details', () => {
    expect(
      localiseSecretAdvice(
        'Mimecast rejected the credentials for source "default". Check them, then update secret local/mimecast-audit-lake/mimecast.',
        file,
        'local/mimecast-audit-lake/mimecast',
      ),
    ).toBe(
      'Mimecast rejected the credentials for source "default". Check them, then update the secret file ./mimecast.json and restart npm start.',
    );
  });
});
