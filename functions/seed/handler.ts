/**
 * The seed custom resource of fleet mode (issue 15): on Create and Update it puts every source
 * declared in the configuration into the source registry, unless the source is there already.
 *
 * - Never overwrites: a source already in the registry keeps its item exactly as it is (the
 *   operator may have changed it with `npm run sources`); declaring new settings for it in
 *   cdk.json does not change it. The registry is the truth once a source is in it.
 * - A declared source without `secretArn` gets an empty secret `mimecast-audit-lake/<id>`,
 *   tagged `mimecast-source=<id>` (the ABAC tag the collector's access depends on), encrypted
 *   with the stack key; an existing secret of that name is reused (tagged when it has no such
 *   tag; refused when it carries another source's). Secrets given by `secretArn` are not touched:
 *   the operator tags them (docs/mssp.md).
 * - On Delete it does nothing: registry items and secrets stay (with the data they describe).
 * Any source that cannot be seeded fails the deployment, naming the source and the reason.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { AWS_CLIENT_DEFAULTS, awsClientConfig } from '#core/aws-clients.js';
import { type Clock, systemClock } from '#core/ports.js';
import { SOURCE_TAG_KEY, SourceExistsError } from '#core/registry/source-config.js';
import { seededSecretName, seedPayloadSchema, seedPropertiesSchema } from './payload.js';
import { DynamoSeedRegistry, type SeedRegistry } from './registry-seeder.js';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'mimecast-audit-seed' });

/** Sources seeded at once: Secrets Manager's CreateSecret allows 50 requests per second. */
export const SEED_CONCURRENCY = 8;

/** Failures named in the error (all are logged). */
const REPORTED_FAILURES = 20;

/** The physical id: one seed per stack, never replaced (a replacement would Delete the old one). */
export const SEED_PHYSICAL_ID = 'mimecast-audit-lake-source-seed';

/** The Secrets Manager calls the seed makes. */
export type SeedSecrets = Pick<SecretsManagerClient, 'send'>;

/** What the seed works with. */
export interface SeedDeps {
  registry: SeedRegistry;
  secrets: SeedSecrets;
  /** The key created secrets are encrypted with. */
  kmsKeyArn: string;
  clock: Clock;
}

/** What one seed did. */
export interface SeedSummary {
  /** Sources put into the registry now. */
  added: number;
  /** Sources that were in the registry already (left as they are). */
  kept: number;
  /** Secrets created now. */
  secretsCreated: number;
}

/** Thrown when some sources could not be seeded. */
export class SeedError extends Error {
  constructor(readonly failures: Array<{ sourceId: string; reason: string }>) {
    const named = failures
      .slice(0, REPORTED_FAILURES)
      .map((f) => `${f.sourceId}: ${f.reason}`)
      .join('; ');
    const more =
      failures.length > REPORTED_FAILURES ? ` (and ${failures.length - REPORTED_FAILURES} more)` : '';
    super(`${failures.length} source(s) could not be seeded: ${named}${more}`);
    this.name = 'SeedError';
  }
}

const nameOf = (err: unknown): string => (err instanceof Error ? err.name : '');
const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'non-error value thrown';

/** The seeded secret of `sourceId`: created, or found (and tagged when it has no source tag yet). */
async function ensureSecret(deps: SeedDeps, sourceId: string): Promise<{ arn: string; created: boolean }> {
  const name = seededSecretName(sourceId);
  const tags = [{ Key: SOURCE_TAG_KEY, Value: sourceId }];
  try {
    // No SecretString: an empty secret the operator fills in (the collector reports not_configured until then).
    const created = await deps.secrets.send(
      new CreateSecretCommand({
        Name: name,
        KmsKeyId: deps.kmsKeyArn,
        Description: `Mimecast API credentials of source "${sourceId}" (JSON; API 2.0: {"clientId","clientSecret"}; API 1.0: {"baseUrl","appId","appKey","accessKey","secretKey"})`,
        Tags: tags,
      }),
    );
    if (!created.ARN) throw new Error(`CreateSecret answered no ARN for ${name}`);
    return { arn: created.ARN, created: true };
  } catch (err: unknown) {
    if (nameOf(err) !== 'ResourceExistsException') throw err;
  }
  const found = await deps.secrets.send(new DescribeSecretCommand({ SecretId: name }));
  if (!found.ARN) throw new Error(`DescribeSecret answered no ARN for ${name}`);
  const tag = found.Tags?.find((t) => t.Key === SOURCE_TAG_KEY);
  if (tag === undefined) {
    await deps.secrets.send(new TagResourceCommand({ SecretId: found.ARN, Tags: tags }));
  } else if (tag.Value !== sourceId) {
    throw new Error(
      `the existing secret ${name} is tagged ${SOURCE_TAG_KEY}=${tag.Value ?? ''}, not ${sourceId}: correct its tag, or name another secret with secretArn`,
    );
  }
  return { arn: found.ARN, created: false };
}

/** Puts the declared sources that are not in the registry yet into it (see the module comment). */
export async function seedSources(rawPayload: unknown, deps: SeedDeps): Promise<SeedSummary> {
  const payload = seedPayloadSchema.parse(rawPayload);
  const summary: SeedSummary = { added: 0, kept: 0, secretsCreated: 0 };
  const failures: Array<{ sourceId: string; reason: string }> = [];
  const queue = [...payload.sources];

  const seedOne = async (source: (typeof payload.sources)[number]): Promise<void> => {
    if (await deps.registry.has(source.id)) {
      summary.kept += 1;
      return;
    }
    let secretId = source.secretArn;
    if (secretId === undefined) {
      const secret = await ensureSecret(deps, source.id);
      if (secret.created) summary.secretsCreated += 1;
      secretId = secret.arn;
    }
    try {
      await deps.registry.add(
        {
          sourceId: source.id,
          secretId,
          enabled: true,
          scheduleMinutes: source.scheduleMinutes ?? payload.defaults.scheduleMinutes,
          lookbackDays: payload.defaults.lookbackDays,
          settleSeconds: source.settleSeconds ?? payload.defaults.settleSeconds,
          rescanAfterSeconds: source.rescanAfterSeconds ?? payload.defaults.rescanAfterSeconds,
        },
        new Date(deps.clock.now()).toISOString(),
      );
      summary.added += 1;
    } catch (err: unknown) {
      // Added meanwhile (by the operator command): theirs stays.
      if (!(err instanceof SourceExistsError)) throw err;
      summary.kept += 1;
    }
  };

  const worker = async (): Promise<void> => {
    for (let source = queue.shift(); source !== undefined; source = queue.shift()) {
      try {
        await seedOne(source);
      } catch (err: unknown) {
        const reason = describe(err);
        logger.error('Source could not be seeded', { sourceId: source.id, reason });
        failures.push({ sourceId: source.id, reason });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, queue.length) }, worker));
  if (failures.length > 0) throw new SeedError(failures);
  return summary;
}

/** What the provider framework expects back. */
export interface SeedResponse {
  PhysicalResourceId: string;
  Data?: Record<string, number>;
}

let clients: { dynamodb: DynamoDBClient; secrets: SecretsManagerClient } | undefined;

/** The custom resource's onEvent handler (cr.Provider calls it and answers CloudFormation). */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<SeedResponse> {
  if (event.RequestType === 'Delete') {
    logger.info('Stack deletes the seed: registry items and secrets are kept');
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const properties = seedPropertiesSchema.parse(event.ResourceProperties);
  clients ??= {
    dynamodb: new DynamoDBClient(awsClientConfig(AWS_CLIENT_DEFAULTS)),
    secrets: new SecretsManagerClient(awsClientConfig(AWS_CLIENT_DEFAULTS)),
  };
  const summary = await seedSources(JSON.parse(properties.Payload), {
    registry: new DynamoSeedRegistry(clients.dynamodb, properties.TableName),
    secrets: clients.secrets,
    kmsKeyArn: properties.KmsKeyArn,
    clock: systemClock,
  });
  logger.info('Source registry seeded', { ...summary, requestType: event.RequestType });
  return {
    PhysicalResourceId: SEED_PHYSICAL_ID,
    Data: { Added: summary.added, Kept: summary.kept, SecretsCreated: summary.secretsCreated },
  };
}
