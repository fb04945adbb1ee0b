/**
 * Fleet mode (issue 15): one collector function for every source of the registry. Each
 * invocation names its source (`{"sourceId":"acme"}`); the collector reads the source's registry
 * item with its own credentials (registry-reader.ts: it may read registry items and nothing else),
 * then runs the engine with S3, DynamoDB and Secrets Manager clients whose credentials come from
 * assuming the source-access role with the session tag `mimecast-source=<id>`. That role's policies match
 * the tag against the object prefix, the cursor key and the secret's tag, so a run can only
 * reach its own source's data (docs/mssp.md, How a run is confined to one source).
 *
 * A container keeps the runtimes of the sources it served (clients, credentials, the cached
 * Mimecast session), up to a cap, so a warm invocation for the same source reuses them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { type AwsClientConfig, awsClientConfig } from '#core/aws-clients.js';
import { type CollectorConfig, parseEnvironment, rescanAgesProblem } from '#core/config/env.js';
import { type FleetCollectorConfig, fleetCollectorEnvSchema } from '#core/config/fleet-collector-env.js';
import { SOURCE_TAG_KEY, type SourceConfig, type SourceRegistry } from '#core/registry/source-config.js';
import { RegistryReader } from './registry-reader.js';
import {
  assertAwsTimeoutsFit,
  buildCollectorRuntime,
  type CollectorRuntime,
  type OwnedCollectorRuntime,
  type RuntimeHooks,
} from './runtime.js';

/** Resolved AWS credentials. */
export interface CredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

/** Resolves credentials (called by the SDK clients whenever they need them). */
export type CredentialProvider = () => Promise<CredentialIdentity>;

/** The credentials of one source's runs (the S3, DynamoDB and Secrets Manager clients share them). */
export type CredentialsFor = (sourceId: string) => CredentialProvider;

/** How many sources' runtimes a container keeps (the least recently used is dropped beyond). */
export const RUNTIME_CACHE_SIZE = 50;

/** IAM's limit on a role session name. */
const MAX_SESSION_NAME = 64;

/** The AssumeRole request of a source's runs: the session tag is what the role's policies match. */
export interface SourceAccessParams {
  RoleArn: string;
  RoleSessionName: string;
  Tags: Array<{ Key: string; Value: string }>;
}

/** The AssumeRole parameters of `sourceId`'s runs (the session name only shows in CloudTrail). */
export function sourceAccessParams(roleArn: string, sourceId: string): SourceAccessParams {
  return {
    RoleArn: roleArn,
    RoleSessionName: `collector-${sourceId}`.slice(0, MAX_SESSION_NAME),
    Tags: [{ Key: SOURCE_TAG_KEY, Value: sourceId }],
  };
}

/**
 * Production credentials of a source: the source-access role, assumed (with the function's own
 * credentials, from the default chain) with the session tag `mimecast-source=<id>`. The STS client
 * gets the same timeouts and attempts as the other AWS clients, and its region from AWS_REGION.
 */
export function sourceAccessCredentials(
  roleArn: string,
  sourceId: string,
  clientConfig: AwsClientConfig,
): CredentialProvider {
  return shareCredentials(
    fromTemporaryCredentials({ params: sourceAccessParams(roleArn, sourceId), clientConfig }),
  );
}

/** The production credentials of every source of a fleet: its SOURCE_ACCESS_ROLE_ARN, with its AWS client limits. */
export function sourceAccessCredentialsFor(defaults: FleetCollectorConfig): CredentialsFor {
  return (sourceId) =>
    sourceAccessCredentials(defaults.SOURCE_ACCESS_ROLE_ARN, sourceId, awsClientConfig(defaults));
}

/** Credentials are fetched again this long before they expire (the SDK clients' own margin is 5 min). */
const REFRESH_BEFORE_EXPIRY_MS = 6 * 60_000;

/**
 * One AssumeRole for the three clients of a source instead of one each: keeps the credentials
 * until shortly before they expire, shares a fetch in flight, and does not keep a failure.
 */
export function shareCredentials(
  provider: CredentialProvider,
  now: () => number = Date.now,
): CredentialProvider {
  let current: CredentialIdentity | undefined;
  let fetching: Promise<CredentialIdentity> | undefined;
  const fresh = (identity: CredentialIdentity) =>
    identity.expiration === undefined || identity.expiration.getTime() - now() > REFRESH_BEFORE_EXPIRY_MS;
  return () => {
    if (current !== undefined && fresh(current)) return Promise.resolve(current);
    fetching ??= provider()
      .then((identity) => {
        current = identity;
        return identity;
      })
      .finally(() => {
        fetching = undefined;
      });
    return fetching;
  };
}

/** The source is not (or no longer) in the registry. */
export class SourceNotInRegistryError extends Error {
  constructor(sourceId: string) {
    super(`source "${sourceId}" is not in the registry`);
    this.name = 'SourceNotInRegistryError';
  }
}

/**
 * The collector configuration of one source's runs: the fleet's environment (bucket, table,
 * prefix, limits, timeouts) overlaid with the registry item's id, secret, lookback, settle and
 * rescan settings.
 */
export function sourceCollectorConfig(defaults: FleetCollectorConfig, source: SourceConfig): CollectorConfig {
  const problem = rescanAgesProblem(source.rescanAfterSeconds);
  if (problem !== undefined) {
    throw new Error(`source "${source.sourceId}" in the registry: rescanAfterSeconds: ${problem}`);
  }
  const {
    SOURCE_REGISTRY: _registry,
    SOURCE_ACCESS_ROLE_ARN: _role,
    SOURCE_ID: _id,
    MIMECAST_SECRET_ID: _secret,
    ...shared
  } = defaults;
  return {
    ...shared,
    SOURCE_ID: source.sourceId,
    MIMECAST_SECRET_ID: source.secretId,
    LOOKBACK_DAYS: source.lookbackDays,
    SETTLE_SECONDS: source.settleSeconds,
    RESCAN_AFTER_SECONDS: [...source.rescanAfterSeconds].sort((a, b) => a - b),
  };
}

/** A map with a size cap that drops its least recently used entry (calling `onEvict`) beyond it. */
export class RuntimeCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly capacity: number,
    private readonly onEvict: (value: T, key: string) => void = () => {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('the cache needs room for one entry');
  }

  get size(): number {
    return this.entries.size;
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry, now the most recently used. */
  get(key: string): T | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Stores `value` as the most recently used (a replaced entry is evicted), then trims to the cap. */
  set(key: string, value: T): void {
    this.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const [oldest] = this.entries.keys();
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  /** Evicts the entry if present. */
  delete(key: string): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.onEvict(value, key);
  }
}

/** What a fleet invocation runs: a source's runtime, or nothing (the source is disabled). */
export type FleetRun = { kind: 'ready'; runtime: CollectorRuntime } | { kind: 'disabled' };

/** Builds the runtime of one source's configuration (its clients use that source's credentials). */
export type SourceRuntimeBuilder = (config: CollectorConfig) => OwnedCollectorRuntime;

/** The fleet side of a collector container: the registry, the defaults and the runtime cache. */
export class FleetCollector {
  private readonly runtimes: RuntimeCache<{ secretId: string; runtime: OwnedCollectorRuntime }>;

  constructor(
    readonly defaults: FleetCollectorConfig,
    private readonly registry: Pick<SourceRegistry, 'get'>,
    private readonly buildRuntime: SourceRuntimeBuilder,
    cacheSize = RUNTIME_CACHE_SIZE,
  ) {
    this.runtimes = new RuntimeCache(cacheSize, (entry) => entry.runtime.destroy());
  }

  /** The ids of the sources whose runtimes the container holds (least recently used first). */
  cachedSources(): string[] {
    return this.runtimes.keys();
  }

  /**
   * Reads the source's registry item (on every invocation, so a change applies to the next run)
   * and returns its runtime: the cached one unless the secret changed. Throws
   * SourceNotInRegistryError for an unknown source.
   */
  async prepare(sourceId: string): Promise<FleetRun> {
    const source = await this.registry.get(sourceId);
    if (source === undefined) throw new SourceNotInRegistryError(sourceId);
    if (source.sourceId !== sourceId) {
      throw new Error(`the registry answered source "${source.sourceId}" for "${sourceId}"`);
    }
    if (!source.enabled) {
      this.runtimes.delete(sourceId);
      return { kind: 'disabled' };
    }
    const config = sourceCollectorConfig(this.defaults, source);
    let entry = this.runtimes.get(sourceId);
    if (entry === undefined || entry.secretId !== source.secretId) {
      entry = { secretId: source.secretId, runtime: this.buildRuntime(config) };
      this.runtimes.set(sourceId, entry);
    }
    // The clients, stores and session stay; the settings are this invocation's.
    return { kind: 'ready', runtime: { ...entry.runtime, config } };
  }
}

/** Options of createFleetCollector. */
export interface FleetOptions extends RuntimeHooks {
  /** The credentials of a source's runs; default sourceAccessCredentials with SOURCE_ACCESS_ROLE_ARN. */
  credentialsFor?: CredentialsFor;
}

/**
 * Validates the fleet environment and wires the registry (read with the function's own
 * credentials) and the per-source runtimes; throws an Error naming every bad variable.
 */
export function createFleetCollector(
  env: Record<string, string | undefined>,
  options: FleetOptions = {},
): FleetCollector {
  const defaults = parseEnvironment(fleetCollectorEnvSchema, env);
  assertAwsTimeoutsFit(defaults);
  const instrument = options.instrument ?? (<T>(client: T) => client);
  const credentialsFor = options.credentialsFor ?? sourceAccessCredentialsFor(defaults);
  // Not DynamoSourceRegistry: the collector's code, and so its role, reads registry items only.
  const registry = new RegistryReader(
    instrument(new DynamoDBClient(awsClientConfig(defaults))),
    defaults.CURSOR_TABLE_NAME,
  );
  return new FleetCollector(defaults, registry, (config) =>
    buildCollectorRuntime(config, {
      instrument: options.instrument,
      onWait: options.onWait,
      credentials: credentialsFor(config.SOURCE_ID),
    }),
  );
}
