/**
 * The Secrets Manager side of `npm run sources`: create a source's secret (named
 * `mimecast-audit-lake/<id>`, tagged `mimecast-source=<id>`, with or without a value), or tag an
 * existing one. The tag is what lets the source's runs read it: the source-access role may read
 * only secrets whose `mimecast-source` tag equals the run's session tag (ABAC). A secret value is
 * read from a file, checked with the collector's own parser and never printed.
 */
import { readFile, stat } from 'node:fs/promises';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '#core/mimecast/errors.js';
import { isUnfilledSecretText, parseMimecastSecret } from '#core/mimecast/secret.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import { UsageError } from './sources-options.js';

/** Where `--create-secret` puts a source's secret. */
export const secretNameOf = (sourceId: string): string => `mimecast-audit-lake/${sourceId}`;

/** Secrets Manager's limit on a secret value. */
const MAX_SECRET_BYTES = 65_536;

/** A failure the operator can act on (exit 1); its message is shown as is. */
export class OperatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorError';
  }
}

const isNamed = (err: unknown, name: string): boolean => err instanceof Error && err.name === name;

/**
 * The credentials JSON of `--secret-string-file`, checked as the collector will parse it. Errors
 * name fields and rules, never the file's content.
 */
export async function readCredentialsFile(path: string): Promise<string> {
  let text: string;
  try {
    if ((await stat(path)).size > MAX_SECRET_BYTES)
      throw new UsageError(`--secret-string-file ${path}: larger than Secrets Manager's 64 KiB`);
    text = await readFile(path, 'utf8');
  } catch (err: unknown) {
    if (err instanceof UsageError) throw err;
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new UsageError(`--secret-string-file ${path}: cannot read it (${code})`);
  }
  if (isUnfilledSecretText(text))
    throw new UsageError(
      `--secret-string-file ${path}: holds no credentials; leave the option out to create an empty secret`,
    );
  try {
    parseMimecastSecret(text);
  } catch (err: unknown) {
    if (err instanceof ConfigurationError)
      throw new UsageError(`--secret-string-file ${path}: ${err.message}`);
    throw err;
  }
  return text;
}

export interface SecretOutcome {
  arn: string;
  /** What was done, one short line each. */
  lines: string[];
  /** False when the secret has no value yet (the operator must put the credentials in). */
  hasValue: boolean;
}

/** Creates `mimecast-audit-lake/<id>`, tagged for the source, encrypted with `kmsKeyId` when given. */
export async function createSourceSecret(
  client: SecretsManagerClient,
  sourceId: string,
  options: { kmsKeyId?: string | undefined; value?: string | undefined },
): Promise<SecretOutcome> {
  const name = secretNameOf(sourceId);
  try {
    const created = await client.send(
      new CreateSecretCommand({
        Name: name,
        Description: `Mimecast API credentials of source ${sourceId} (mimecast-audit-lake)`,
        Tags: [{ Key: SOURCE_TAG_KEY, Value: sourceId }],
        ...(options.kmsKeyId !== undefined ? { KmsKeyId: options.kmsKeyId } : {}),
        ...(options.value !== undefined ? { SecretString: options.value } : {}),
      }),
    );
    if (!created.ARN) throw new OperatorError(`CreateSecret ${name} answered without an ARN`);
    return {
      arn: created.ARN,
      hasValue: options.value !== undefined,
      lines: [
        `created secret ${created.ARN}`,
        `  tagged ${SOURCE_TAG_KEY}=${sourceId}, encrypted with ${options.kmsKeyId ?? 'aws/secretsmanager (no --kms-key-id)'}` +
          (options.value !== undefined ? ', credentials stored' : ''),
      ],
    };
  } catch (err: unknown) {
    if (isNamed(err, 'ResourceExistsException'))
      throw new OperatorError(
        `secret ${name} exists already (from an earlier add?): pass it with --secret-arn instead of --create-secret`,
      );
    throw err;
  }
}

/**
 * Tags an existing secret `mimecast-source=<id>`, refusing one already tagged for another
 * source (tagging it would hand that source's credentials to this one). Returns its full ARN.
 */
export async function tagExistingSecret(
  client: SecretsManagerClient,
  sourceId: string,
  secretId: string,
): Promise<SecretOutcome> {
  let described: {
    ARN?: string | undefined;
    Tags?: Array<{ Key?: string; Value?: string }> | undefined;
    VersionIdsToStages?: Record<string, string[]> | undefined;
  };
  try {
    described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (err: unknown) {
    if (isNamed(err, 'ResourceNotFoundException'))
      throw new OperatorError(`secret ${secretId} not found (check the ARN and the region)`);
    throw err;
  }
  const arn = described.ARN ?? secretId;
  const hasValue = Object.values(described.VersionIdsToStages ?? {}).some((stages) =>
    stages.includes('AWSCURRENT'),
  );
  const current = described.Tags?.find((tag) => tag.Key === SOURCE_TAG_KEY)?.Value;
  if (current !== undefined && current !== sourceId)
    throw new OperatorError(
      `secret ${arn} is tagged ${SOURCE_TAG_KEY}=${current}: it belongs to source ${current}; give each source its own secret`,
    );
  if (current === sourceId)
    return { arn, hasValue, lines: [`secret ${arn} is tagged ${SOURCE_TAG_KEY}=${sourceId} already`] };
  await client.send(
    new TagResourceCommand({ SecretId: arn, Tags: [{ Key: SOURCE_TAG_KEY, Value: sourceId }] }),
  );
  return {
    arn,
    hasValue,
    lines: [
      `tagged secret ${arn} ${SOURCE_TAG_KEY}=${sourceId}`,
      `  (the source's runs may read only secrets tagged with their source id)`,
    ],
  };
}

/** What to tell the operator about a secret created without a value. */
export function fillInHint(arn: string, sourceId: string): string[] {
  return [
    'the secret has no value yet: put the Mimecast credentials in (JSON, see docs/deploy.md):',
    `  aws secretsmanager put-secret-value --secret-id '${arn}' --secret-string file://${sourceId}.json`,
    'until then its runs stop cleanly as not_configured',
  ];
}
