/**
 * Which Mimecast `npm start` talks to: real Mimecast when the user supplies credentials (a
 * secret file or environment variables), else the simulator. Returns the secret's JSON text
 * (stored only in the Secrets Manager stand-in) and a description that is safe to print.
 */
import { readFile } from 'node:fs/promises';
import { parseMimecastSecret } from '#core/mimecast/index.js';

/** Real credentials, validated; `description` never contains a secret value. */
export interface RealMimecast {
  secretJson: string;
  description: string;
  baseUrl: string;
}

const HMAC_VARIABLES = {
  baseUrl: 'MIMECAST_BASE_URL',
  appId: 'MIMECAST_APP_ID',
  appKey: 'MIMECAST_APP_KEY',
  accessKey: 'MIMECAST_ACCESS_KEY',
  secretKey: 'MIMECAST_SECRET_KEY',
} as const;

/**
 * The secret JSON from `--secret-file`, or from MIMECAST_CLIENT_ID/MIMECAST_CLIENT_SECRET
 * (+ MIMECAST_BASE_URL), or from the five API 1.0 variables; `undefined` when none is given.
 * Throws the parser's ConfigurationError (field names only) when what was given is unusable.
 */
export async function resolveRealMimecast(
  secretFile: string | undefined,
  env: Record<string, string | undefined>,
): Promise<RealMimecast | undefined> {
  let secretJson: string | undefined;
  let origin = '';
  if (secretFile !== undefined) {
    secretJson = await readFile(secretFile, 'utf8');
    origin = `secret file ${secretFile}`;
  } else if (env.MIMECAST_CLIENT_ID || env.MIMECAST_CLIENT_SECRET) {
    secretJson = JSON.stringify({
      clientId: env.MIMECAST_CLIENT_ID,
      clientSecret: env.MIMECAST_CLIENT_SECRET,
      ...(env.MIMECAST_BASE_URL ? { baseUrl: env.MIMECAST_BASE_URL } : {}),
    });
    origin = 'MIMECAST_CLIENT_ID/MIMECAST_CLIENT_SECRET';
  } else if (env.MIMECAST_APP_ID || env.MIMECAST_ACCESS_KEY) {
    secretJson = JSON.stringify(
      Object.fromEntries(Object.entries(HMAC_VARIABLES).map(([field, name]) => [field, env[name]])),
    );
    origin = 'MIMECAST_APP_ID/MIMECAST_APP_KEY/MIMECAST_ACCESS_KEY/MIMECAST_SECRET_KEY';
  }
  if (secretJson === undefined) return undefined;
  const secret = parseMimecastSecret(secretJson);
  const mode = secret.mode === 'oauth2' ? 'API 2.0 (OAuth)' : 'API 1.0 (HMAC)';
  return {
    secretJson,
    baseUrl: secret.baseUrl,
    description: `real Mimecast at ${secret.baseUrl}, ${mode}, credentials from ${origin}`,
  };
}
