/**
 * The Mimecast client of one container, built from the secret and kept across invocations (so
 * the OAuth token cache survives too). The secret is read again only when asked: after
 * Mimecast rejected the credentials, a rotated secret then takes effect without a cold start.
 * Only a digest of the secret text is kept for comparison; nothing here logs or returns it.
 */
import { createHash } from 'node:crypto';
import { parseMimecastSecret } from '#core/mimecast/index.js';
import type { MimecastClient, MimecastSecret } from '#core/mimecast/types.js';

/** Reads the secret's current text (Secrets Manager GetSecretValue). */
export type SecretLoader = () => Promise<string>;
/** Builds a client for a parsed secret. */
export type ClientFactory = (secret: MimecastSecret) => MimecastClient;

/** One cached client per container. */
export class MimecastSession {
  private current: { digest: string; client: MimecastClient } | undefined;

  constructor(
    private readonly loadSecret: SecretLoader,
    private readonly createClient: ClientFactory,
  ) {}

  /** The cached client, reading and parsing the secret on first use (a malformed secret is not cached). */
  async client(): Promise<MimecastClient> {
    if (this.current) return this.current.client;
    const raw = await this.loadSecret();
    return this.install(raw).client;
  }

  /**
   * Reads the secret again. Returns true (and rebuilds the client) when it changed since it was
   * cached, false when it is the same: retrying with the same credentials would fail the same way.
   */
  async refresh(): Promise<boolean> {
    const raw = await this.loadSecret();
    if (this.current && digestOf(raw) === this.current.digest) return false;
    this.current = undefined;
    this.install(raw);
    return true;
  }

  private install(raw: string): { digest: string; client: MimecastClient } {
    const client = this.createClient(parseMimecastSecret(raw));
    this.current = { digest: digestOf(raw), client };
    return this.current;
  }
}

function digestOf(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}
