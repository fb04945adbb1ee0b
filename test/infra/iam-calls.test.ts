/**
 * Least privilege checked against the code: every AWS SDK command a function's handler can reach
 * (following its imports through the source tree) is mapped to the IAM action it needs, and the
 * function's role must hold exactly those actions (plus logging and tracing), no more and no
 * fewer. A new SDK call without a grant, or a grant nobody uses, fails here.
 *
 * One handler serves both modes (a function per source, or fleet mode: docs/mssp.md). In fleet
 * mode a function's grants are those of its role and of the roles it assumes (the source-access
 * role, the query's secret reader), and together they must be exactly the calls; the per-source
 * mode holds exactly the calls less the ones only fleet mode's code path makes (FLEET_ONLY).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildStack,
  type CfnResourceJson,
  collectorFunction,
  compactorFunction,
  flatten,
  fleetFunction,
  queryFunction,
  resourcesOf,
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
    ScanCommand: 'dynamodb:Scan',
    DeleteCommand: 'dynamodb:DeleteItem',
  },
  '@aws-sdk/client-dynamodb': {
    GetItemCommand: 'dynamodb:GetItem',
    UpdateItemCommand: 'dynamodb:UpdateItem',
    PutItemCommand: 'dynamodb:PutItem',
  },
  '@aws-sdk/client-secrets-manager': {
    GetSecretValueCommand: 'secretsmanager:GetSecretValue',
    DescribeSecretCommand: 'secretsmanager:DescribeSecret',
    CreateSecretCommand: 'secretsmanager:CreateSecret',
    TagResourceCommand: 'secretsmanager:TagResource',
  },
  '@aws-sdk/client-lambda': {
    InvokeCommand: 'lambda:InvokeFunction',
  },
  '@aws-sdk/client-glue': {
    GetTableCommand: 'glue:GetTable',
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

/**
 * Functions that call AWS themselves, by the text of the file using them: the credential provider
 * that assumes a role (AssumeRole, and TagSession when the file passes session Tags:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html). Counted when the file
 * uses the name beyond importing it (it may be passed on rather than called).
 */
const CALLING_FUNCTIONS: Record<string, Record<string, (text: string) => string[]>> = {
  '@aws-sdk/credential-providers': {
    fromTemporaryCredentials: (text) =>
      /\bTags:/.test(text) ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'],
  },
};

/**
 * Reachable actions only an option sends, granted only with it (the tests here build neither):
 * the compactor assumes the Security Lake provider roles with `ocsf.securityLake` only
 * (security-lake.test.ts checks that grant).
 */
const OPTION_ONLY: Record<string, string[]> = {
  compactor: ['sts:AssumeRole'],
};

/** Reachable actions only fleet mode's code path sends (the per-source roles do not hold them). */
const FLEET_ONLY: Record<string, string[]> = {
  collector: ['sts:AssumeRole', 'sts:TagSession'],
  query: ['dynamodb:Scan', 'sts:AssumeRole', 'sts:TagSession'],
  // Listing the registry, and reading the tables to add its sources to Athena's partition
  // projection (per-source mode declares both).
  compactor: ['dynamodb:Scan', 'glue:GetTable'],
};

/**
 * Grants that are not the code's calls but Lambda's on the function's behalf: the fleet
 * collector's on-failure destination is sent to as the function's role.
 */
const SERVICE_ACTS_AS_ROLE: Record<string, string[]> = {
  collector: ['sqs:SendMessage'],
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
      const functions = CALLING_FUNCTIONS[specifier];
      for (const [name, actionsOfFunction] of Object.entries(functions ?? {})) {
        const uses = text.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
        if (clause.includes(name) && uses > 1) for (const a of actionsOfFunction(text)) actions.add(a);
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
let fleet: Template;
beforeAll(() => {
  // NDJSON transitions on: the compactor then tags, and its role must allow exactly that too.
  const options = {
    sources: [{ id: 'eu' }, { id: 'us' }],
    compaction: { ndjsonTransition: { afterDays: 30 } },
  };
  template = buildStack(options).template;
  fleet = buildStack({ ...options, fleet: { enabled: true } }).template;
});

/** `role` and every role of the template it may assume (its sts:AssumeRole resources). */
function rolesActingFor(t: Template, role: string): string[] {
  const assumed = roleStatements(t, role)
    .filter((s) => s.Action.includes('sts:AssumeRole'))
    .flatMap((s) => s.Resource)
    .flatMap((arn) => {
      const match = /^<(.+)\.Arn>$/.exec(arn);
      return match?.[1] && resourcesOf(t, 'AWS::IAM::Role')[match[1]] ? [match[1]] : [];
    });
  return [role, ...assumed];
}

/** The non-KMS actions of a function's role and the roles it assumes. */
function grantedActions(t: Template, fn: CfnResourceJson): string[] {
  const roles = rolesActingFor(t, roleOfFunction(fn));
  return [...new Set(roles.flatMap((role) => roleStatements(t, role).flatMap((s) => s.Action)))]
    .filter((a) => !a.startsWith('kms:'))
    .sort();
}

const ENTRIES = {
  collector: 'functions/collector/handler.ts',
  query: 'functions/query/handler.ts',
  compactor: 'functions/compactor/handler.ts',
  dispatcher: 'functions/dispatcher/handler.ts',
  seed: 'functions/seed/handler.ts',
} as const;

/** The functions of each mode: name, then the function resource. */
const perSourceFunctions = (): Array<[keyof typeof ENTRIES, CfnResourceJson]> => [
  ['collector', collectorFunction(template, 'eu')[1]],
  ['query', queryFunction(template)[1]],
  ['compactor', compactorFunction(template)[1]],
];
const fleetFunctions = (): Array<[keyof typeof ENTRIES, CfnResourceJson]> => [
  ['collector', fleetFunction(fleet, 'collector')[1]],
  ['query', queryFunction(fleet)[1]],
  ['compactor', compactorFunction(fleet)[1]],
  ['dispatcher', fleetFunction(fleet, 'dispatcher')[1]],
  ['seed', fleetFunction(fleet, 'seed')[1]],
];

describe("each function's role holds exactly the actions of the calls its code makes", () => {
  it.each(['collector', 'query', 'compactor'] as const)('%s, one function per source', (name) => {
    const calls = actionsReachableFrom(ENTRIES[name]);
    const fn = perSourceFunctions().find(([n]) => n === name)?.[1];
    if (fn === undefined) throw new Error(`no ${name}`);
    const expected = [...calls].filter(
      (a) => !FLEET_ONLY[name]?.includes(a) && !OPTION_ONLY[name]?.includes(a),
    );

    expect(calls.size).toBeGreaterThan(0);
    expect(grantedActions(template, fn)).toEqual([...expected, ...PLUMBING].sort());
  });

  it.each(['collector', 'query', 'compactor', 'dispatcher', 'seed'] as const)(
    '%s, fleet mode (with the roles it assumes)',
    (name) => {
      const calls = actionsReachableFrom(ENTRIES[name]);
      const fn = fleetFunctions().find(([n]) => n === name)?.[1];
      if (fn === undefined) throw new Error(`no ${name}`);

      expect(calls.size).toBeGreaterThan(0);
      const expected = [...calls].filter((a) => !OPTION_ONLY[name]?.includes(a));
      expect(grantedActions(fleet, fn)).toEqual(
        [...new Set([...expected, ...(SERVICE_ACTS_AS_ROLE[name] ?? []), ...PLUMBING])].sort(),
      );
    },
  );

  it('lets the functions use the stack key only through services their code calls', () => {
    for (const [t, functions] of [
      [template, perSourceFunctions()],
      [fleet, fleetFunctions()],
    ] as const) {
      for (const [name, fn] of functions) {
        const services = new Set(
          [
            ...actionsReachableFrom(ENTRIES[name]),
            ...(t === fleet ? (SERVICE_ACTS_AS_ROLE[name] ?? []) : []),
          ].map((a) => a.split(':')[0]),
        );
        const kms = rolesActingFor(t, roleOfFunction(fn))
          .flatMap((role) => roleStatements(t, role))
          .filter((s) => s.Action.some((a) => a.startsWith('kms:')));
        expect(kms.length, name).toBeGreaterThan(0);
        for (const statement of kms) {
          const via = (statement.Condition?.StringEquals?.['kms:ViaService'] ?? []) as unknown[];
          const viaServices = (Array.isArray(via) ? via : [via]).map((v) => flatten(v).split('.')[0]);
          expect(
            viaServices.every((s) => services.has(s ?? '')),
            `${name}: ${viaServices.join(',')}`,
          ).toBe(true);
        }
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
      'sts:AssumeRole',
      'sts:TagSession',
    ]);
  });
});
