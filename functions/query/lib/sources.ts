/**
 * One Mimecast client per configured source, built from its secret on first use and cached for
 * the life of the container. A credentials failure drops the cached client (so a fixed secret is
 * picked up) and, when the secret changed since it was read (rotation), retries once at once. A
 * source whose secret id changed (fleet mode: the registry item was edited) gets a new client.
 */
import { createHash } from 'node:crypto';
import type { SourceConfig } from '#core/config/env.js';
import { isMimecastError } from '#core/mimecast/errors.js';
import { parseMimecastSecret, SecretNotConfiguredError } from '#core/mimecast/secret.js';
import type { MimecastClient, MimecastSecret } from '#core/mimecast/types.js';
import { SecretReadError } from '#core/secrets.js';

/**
 * Reads a secret's text (Secrets Manager `SecretString`) for the source that names it: fleet mode
 * reads it with that source's own credentials (see dependencies.ts).
 */
export type SecretReader = (secretId: string, sourceId: string) => Promise<string>;

/** Builds the client of one source. */
export type ClientFactory = (secret: MimecastSecret, source: SourceConfig) => MimecastClient;

/** Error names under which a secret read will not succeed until an operator acts. */
const PERMANENT_SECRET_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  // STS's name, when the source-access role may not be assumed (fleet mode).
  'AccessDenied',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
  'SecretHasNoString',
]);

/** The secret of a source could not be read. Carries only the SDK error name, never a value. */
export class SecretUnavailableError extends Error {
  readonly secretId: string;
  readonly errorName: string;
  /** True when retrying will not help (missing secret, no permission…). */
  readonly permanent: boolean;
  constructor(secretId: string, errorName: string, cause?: unknown) {
    super(`could not read secret ${secretId} (${errorName})`, cause === undefined ? undefined : { cause });
    this.name = 'SecretUnavailableError';
    this.secretId = secretId;
    this.errorName = errorName;
    this.permanent = PERMANENT_SECRET_ERRORS.has(errorName);
  }
}

/** Failures that mean "these credentials are wrong": worth re-reading the secret. */
function isCredentialFailure(err: unknown): boolean {
  return (
    isMimecastError(err) &&
    (err.kind === 'authentication' || err.kind === 'binding_expired' || err.kind === 'configuration')
  );
}

interface Entry {
  client: MimecastClient;
  /** sha256 of the secret text: tells a rotated secret from the same one, without keeping the text. */
  fingerprint: string;
}

const safeErrorName = (err: unknown): string =>
  err instanceof Error && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(err.name) ? err.name : 'UnknownError';

/** The per-source client cache. */
export class SourceClients {
  /** By source id, with the secret id the client is (being) built from. */
  private readonly entries = new Map<string, { secretId: string; entry: Promise<Entry> }>();

  constructor(
    private readonly readSecret: SecretReader,
    private readonly createClient: ClientFactory,
  ) {}

  /** Runs `call` with the source's client, handling credential failures as described above. */
  async withClient<T>(source: SourceConfig, call: (client: MimecastClient) => Promise<T>): Promise<T> {
    const builtNow = this.entries.get(source.id)?.secretId !== source.secretId;
    const current = this.entry(source);
    const entry = await current;
    try {
      return await call(entry.client);
    } catch (err: unknown) {
      if (!isCredentialFailure(err)) throw err;
      this.drop(source.id, current);
      // A client built during this very call read the current secret already: re-reading it is pointless.
      if (builtNow) throw err;
      const next = this.entry(source);
      let fresh: Entry;
      try {
        fresh = await next;
      } catch {
        throw err;
      }
      if (fresh.fingerprint === entry.fingerprint) {
        this.drop(source.id, next);
        throw err;
      }
      return await call(fresh.client);
    }
  }

  private entry(source: SourceConfig): Promise<Entry> {
    const existing = this.entries.get(source.id);
    if (existing !== undefined && existing.secretId === source.secretId) return existing.entry;
    const created = this.build(source);
    this.entries.set(source.id, { secretId: source.secretId, entry: created });
    // A failed build is not cached: the next request tries again.
    created.catch(() => this.drop(source.id, created));
    return created;
  }

  /** Forgets `entry` unless a newer one already replaced it. */
  private drop(sourceId: string, entry: Promise<Entry>): void {
    if (this.entries.get(sourceId)?.entry === entry) this.entries.delete(sourceId);
  }

  private async build(source: SourceConfig): Promise<Entry> {
    let text: string;
    try {
      text = await this.readSecret(source.secretId, source.id);
    } catch (err: unknown) {
      // Not a failure to read: the secret is there and simply empty (the operator has not filled
      // it yet), or it holds something unusable (a binary secret): both are reported as they are.
      if (err instanceof SecretNotConfiguredError || isMimecastError(err)) throw err;
      const name = err instanceof SecretReadError ? err.errorName : safeErrorName(err);
      throw new SecretUnavailableError(source.secretId, name, err);
    }
    const fingerprint = createHash('sha256').update(text, 'utf8').digest('hex');
    // parseMimecastSecret and the factory throw ConfigurationError naming fields, never values.
    const client = this.createClient(parseMimecastSecret(text), source);
    return { client, fingerprint };
  }
}
