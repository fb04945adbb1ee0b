/**
 * Least privilege checked against the code: every AWS SDK command a function's handler can reach
 * (following its imports through the source tree) is mapped to the IAM action it needs, and the
 * function's role must hold exactly those actions (plus logging and tracing), no more and no
 * fewer. A new SDK call without a grant, or a grant nobody uses, fails here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildStack,
  collectorFunction,
  compactorFunction,
  flatten,
  queryFunction,
  roleOfFunction,
  roleStatements,
} from './helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The IAM action each SDK command needs, by package. */
const ACTIONS: Record<string, Record<string, string>> = {
  '@aws-sdk/client-s3': {
    PutObjectCommand: 's3:PutObject',
    GetObjectCommand: 's3:GetObject',
    HeadObjectCommand: 's3:GetObject',
    PutObjectTaggingCommand: 's3:PutObjectTagging',
    DeleteObjectCommand: 's3:DeleteObject',
    ListObjectsCommand: 's3:ListBucket',
    ListObjectsV2Command: 's3:ListBucket',
  },
  '@aws-sdk/lib-dynamodb': {
    GetCommand: 'dynamodb:GetItem',
    UpdateCommand: 'dynamodb:UpdateItem',
    PutCommand: 'dynamodb:PutItem',
    QueryCommand: 'dynamodb:Query',
  },
  '@aws-sdk/client-dynamodb': {
    GetItemCommand: 'dynamodb:GetItem',
    UpdateItemCommand: 'dynamodb:UpdateItem',
    PutItemCommand: 'dynamodb:PutItem',
  },
  '@aws-sdk/client-secrets-manager': {
    GetSecretValueCommand: 'secretsmanager:GetSecretValue',
    DescribeSecretCommand: 'secretsmanager:DescribeSecret',
  },
  '@aws-sdk/client-glue': {
    UpdateTableCommand: 'glue:UpdateTable',
  },
  '@aws-sdk/client-athena': {
    StartQueryExecutionCommand: 'athena:StartQueryExecution',
    GetQueryExecutionCommand: 'athena:GetQueryExecution',
    GetQueryResultsCommand: 'athena:GetQueryResults',
    GetQueryRuntimeStatisticsCommand: 'athena:GetQueryRuntimeStatistics',
    StopQueryExecutionCommand: 'athena:StopQueryExecution',
  },
};

/**
 * What a service does with the caller's own permissions on its behalf: Athena reads the Glue
 * table definition and the data in S3, and writes and reads the result objects, as the caller.
 */
const ACTS_AS_CALLER: Record<string, string[]> = {
  'athena:StartQueryExecution': [
    'glue:GetDatabase',
    'glue:GetTable',
    'glue:GetPartitions',
    's3:GetObject',
    's3:ListBucket',
    's3:GetBucketLocation',
    's3:PutObject',
    's3:AbortMultipartUpload',
    's3:ListMultipartUploadParts',
    's3:ListBucketMultipartUploads',
  ],
  'athena:GetQueryResults': ['s3:GetObject'],
};

/** Classes that send commands themselves: lib-storage's Upload (PutObject, or a multipart upload it aborts on failure). */
const SENDING_CLASSES: Record<string, Record<string, string[]>> = {
  '@aws-sdk/lib-storage': {
    Upload: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  },
};

/** What every project function holds besides its calls: its own log stream, and X-Ray tracing. */
const PLUMBING = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

const ALIASES: Record<string, string> = {
  '#core/': 'functions/core/',
  '#query/': 'functions/query/',
};

/** Resolves an import specifier to a project source file, or undefined for a package. */
function resolveImport(from: string, specifier: string): string | undefined {
  let path: string | undefined;
  for (const [alias, dir] of Object.entries(ALIASES)) {
    if (specifier.startsWith(alias)) path = join(ROOT, dir, specifier.slice(alias.length));
  }
  if (specifier.startsWith('.')) path = resolve(dirname(from), specifier);
  if (path === undefined) return undefined;
  const ts = path.replace(/\.js$/, '.ts');
  if (existsSync(ts)) return ts;
  throw new Error(`cannot resolve ${specifier} from ${from}`);
}

const IMPORT = /(?:import|export)\s+(?:type\s+)?([\s\S]*?)\s+from\s+'([^']+)'/g;

/** Every IAM action the SDK commands reachable from `entry` need. */
function actionsReachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const actions = new Set<string>();
  const queue = [join(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop();
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const [, clause = '', specifier = ''] = match;
      if (/^type\s/.test(match[0].replace(/^(import|export)\s+/, ''))) continue;
      const local = resolveImport(file, specifier);
      if (local) {
        queue.push(local);
        continue;
      }
      const classes = SENDING_CLASSES[specifier];
      for (const [name, actionsOfClass] of Object.entries(classes ?? {})) {
        if (clause.includes(name) && new RegExp(`new ${name}\\(`).test(text))
          for (const a of actionsOfClass) actions.add(a);
      }
      const table = ACTIONS[specifier];
      if (!table) continue;
      for (const name of clause.replace(/[{}]/g, ' ').split(/[\s,]+/)) {
        if (!name.endsWith('Command') || !new RegExp(`new ${name}\\(`).test(text)) continue;
        const action = table[name];
        if (action === undefined)
          throw new Error(`${file} sends ${name}: add its IAM action to this test's table`);
        actions.add(action);
        for (const delegated of ACTS_AS_CALLER[action] ?? []) actions.add(delegated);
      }
    }
  }
  return actions;
}

let template: Template;
beforeAll(() => {
  // NDJSON transitions on: the compactor then tags, and its role must allow exactly that too.
  template = buildStack({
    sources: [{ id: 'eu' }, { id: 'us' }],
    compaction: { ndjsonTransition: { afterDays: 30 } },
  }).template;
});

/** The non-KMS actions of a function's role. */
function grantedActions(role: string): string[] {
  return [...new Set(roleStatements(template, role).flatMap((s) => s.Action))]
    .filter((a) => !a.startsWith('kms:'))
    .sort();
}

describe("each function's role holds exactly the actions of the calls its code makes", () => {
  it.each([
    ['collector', 'functions/collector/handler.ts', () => collectorFunction(template, 'eu')[1]],
    ['query', 'functions/query/handler.ts', () => queryFunction(template)[1]],
    ['compactor', 'functions/compactor/handler.ts', () => compactorFunction(template)[1]],
  ])('%s', (_name, entry, fn) => {
    const calls = actionsReachableFrom(entry);
    const role = roleOfFunction(fn());

    expect(calls.size).toBeGreaterThan(0);
    expect(grantedActions(role)).toEqual([...calls, ...PLUMBING].sort());
  });

  it('lets the functions use the stack key only through services their code calls', () => {
    for (const [entry, fn] of [
      ['functions/collector/handler.ts', collectorFunction(template, 'eu')[1]],
      ['functions/query/handler.ts', queryFunction(template)[1]],
      ['functions/compactor/handler.ts', compactorFunction(template)[1]],
    ] as const) {
      const services = new Set([...actionsReachableFrom(entry)].map((a) => a.split(':')[0]));
      const kms = roleStatements(template, roleOfFunction(fn)).filter((s) =>
        s.Action.some((a) => a.startsWith('kms:')),
      );
      expect(kms.length).toBeGreaterThan(0);
      for (const statement of kms) {
        const via = (statement.Condition?.StringEquals?.['kms:ViaService'] ?? []) as unknown[];
        const viaServices = (Array.isArray(via) ? via : [via]).map((v) => flatten(v).split('.')[0]);
        expect(
          viaServices.every((s) => services.has(s ?? '')),
          `${entry}: ${viaServices.join(',')}`,
        ).toBe(true);
      }
    }
  });

  it('finds the calls it checks (a file importing a command it never sends does not count)', () => {
    const collector = actionsReachableFrom('functions/collector/handler.ts');

    expect([...collector].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });
});
