/**
 * Which Mimecast `npm start` talks to: real Mimecast when the user supplies credentials (a
 * secret file or MIMECAST_* environment variables), else the simulator. Returns the secret's
 * JSON text (stored only in the Secrets Manager stand-in) and a description that is safe to
 * print. Anything half-given is an error rather than a silent fall-back to the simulator: a
 * user who set MIMECAST_CLIENTID (sic) would otherwise collect simulated events and not notice.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigurationError, parseMimecastSecret } from '#core/mimecast/index.js';
import { isUnfilledSecretText } from '#core/mimecast/secret.js';
import { isErrnoException, LocalStartError } from './errors.js';

/** Where real credentials came from: what the user edits when Mimecast rejects them. */
export type CredentialOrigin = { kind: 'file'; path: string } | { kind: 'env'; variables: readonly string[] };

/** Real credentials, validated; `description` never contains a secret value. */
export interface RealMimecast {
  secretJson: string;
  description: string;
  baseUrl: string;
  origin: CredentialOrigin;
}

/** Credentials given in a way `npm start` cannot use; the message names sources and variables, never values. */
export class LocalCredentialsError extends LocalStartError {}

/** Secret field → environment variable, per API version. */
const OAUTH_VARIABLES = {
  clientId: 'MIMECAST_CLIENT_ID',
  clientSecret: 'MIMECAST_CLIENT_SECRET',
  baseUrl: 'MIMECAST_BASE_URL',
} as const;
const HMAC_VARIABLES = {
  baseUrl: 'MIMECAST_BASE_URL',
  appId: 'MIMECAST_APP_ID',
  appKey: 'MIMECAST_APP_KEY',
  accessKey: 'MIMECAST_ACCESS_KEY',
  secretKey: 'MIMECAST_SECRET_KEY',
} as const;
const OAUTH_REQUIRED = [OAUTH_VARIABLES.clientId, OAUTH_VARIABLES.clientSecret];
const HMAC_REQUIRED = Object.values(HMAC_VARIABLES);
const BASE_URL = OAUTH_VARIABLES.baseUrl;
const KNOWN: ReadonlySet<string> = new Set([...Object.values(OAUTH_VARIABLES), ...HMAC_REQUIRED]);
/** MIMECAST_* variables that are not credentials: the collector's own setting, overridden locally. */
const NOT_CREDENTIALS: ReadonlySet<string> = new Set(['MIMECAST_SECRET_ID']);

/** The two variable sets, as `npm start -- --help` and every credential error list them. */
export const EXPECTED_VARIABLES = `  API 2.0: ${OAUTH_REQUIRED.join(', ')}, ${BASE_URL} (optional)
  API 1.0: ${HMAC_REQUIRED.join(', ')}`;

const EXPECTED_FILE_SHAPES =
  '{"clientId","clientSecret","baseUrl"?} (API 2.0) or {"baseUrl","appId","appKey","accessKey","secretKey"} (API 1.0)';

/** Levenshtein distance, for "did you mean" (variable names are short). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? Math.max(a.length, b.length);
}

/** `MIMECAST_CLIENTID (did you mean MIMECAST_CLIENT_ID?)` when a known name is close. */
function withSuggestion(name: string): string {
  const squashed = name.toUpperCase().replace(/_/g, '');
  let best: { name: string; score: number } | undefined;
  for (const known of KNOWN) {
    const score = known.replace(/_/g, '') === squashed ? 0 : distance(name.toUpperCase(), known);
    if (score <= 3 && (best === undefined || score < best.score)) best = { name: known, score };
  }
  return best ? `${name} (did you mean ${best.name}?)` : name;
}

/** The credential variables that are set (non-empty), in a stable order. */
function credentialVariables(env: Record<string, string | undefined>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('MIMECAST_') && !NOT_CREDENTIALS.has(name))
    .filter((name) => env[name] !== undefined && env[name] !== '')
    .sort();
}

/** The secret JSON the given variables make, or an error listing what is unknown or missing. */
function secretFromVariables(env: Record<string, string | undefined>, given: readonly string[]): string {
  const problems: string[] = [];
  const unknown = given.filter((name) => !KNOWN.has(name));
  if (unknown.length > 0) problems.push(`unknown: ${unknown.map(withSuggestion).join(', ')}`);
  const oauth = given.filter((name) => (OAUTH_REQUIRED as readonly string[]).includes(name));
  const hmac = given.filter(
    (name) => name !== BASE_URL && (HMAC_REQUIRED as readonly string[]).includes(name),
  );
  let secret: Record<string, string | undefined> | undefined;
  if (oauth.length > 0 && hmac.length > 0) {
    problems.push(
      `mixed: ${oauth.join(', ')} belong to API 2.0 and ${hmac.join(', ')} to API 1.0; set one of the two sets`,
    );
  } else if (oauth.length > 0 || hmac.length > 0) {
    const variables = oauth.length > 0 ? OAUTH_VARIABLES : HMAC_VARIABLES;
    const required = oauth.length > 0 ? OAUTH_REQUIRED : HMAC_REQUIRED;
    const missing = required.filter((name) => !given.includes(name));
    if (missing.length > 0) {
      problems.push(`missing for API ${oauth.length > 0 ? '2.0' : '1.0'}: ${missing.join(', ')}`);
    }
    secret = Object.fromEntries(
      Object.entries(variables).map(([field, name]) => [field, env[name] || undefined]),
    );
  } else {
    const alone = given.includes(BASE_URL) ? `${BASE_URL} alone is not enough; ` : '';
    problems.push(
      `missing: ${alone}set ${OAUTH_REQUIRED.join(' and ')} (API 2.0) or ${HMAC_REQUIRED.filter((n) => n !== BASE_URL).join(', ')} (API 1.0)`,
    );
  }
  if (problems.length > 0 || secret === undefined) {
    throw new LocalCredentialsError(
      [
        'The MIMECAST_* environment variables do not make a usable set of Mimecast credentials (values are not shown):',
        ...problems.map((problem) => `  ${problem}`),
        'Set exactly one of these sets, or none to use the simulator:',
        EXPECTED_VARIABLES,
      ].join('\n'),
    );
  }
  return JSON.stringify(secret);
}

/** Reads the secret file, turning every way it can fail into a sentence naming the file. */
async function readSecretFile(path: string): Promise<string> {
  const where = resolve(path) === path ? '' : ` (looked for ${resolve(path)})`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err: unknown) {
    if (!isErrnoException(err)) throw err;
    const reasons: Record<string, string> = {
      ENOENT: `does not exist${where}`,
      ENOTDIR: `does not exist: part of its path is not a directory${where}`,
      EISDIR: 'is a directory, not a file',
      EACCES: 'cannot be read: permission denied',
      EPERM: 'cannot be read: permission denied',
      ELOOP: 'cannot be read: too many symbolic links',
    };
    throw new LocalCredentialsError(
      `secret file ${path} ${reasons[err.code] ?? `cannot be read (${err.code})`}; --secret-file expects a JSON file ${EXPECTED_FILE_SHAPES}`,
    );
  }
  if (isUnfilledSecretText(text)) {
    throw new LocalCredentialsError(
      `secret file ${path} holds no credentials (it is empty or {}); expected ${EXPECTED_FILE_SHAPES}`,
    );
  }
  try {
    JSON.parse(text);
  } catch (err: unknown) {
    if (!(err instanceof SyntaxError)) throw err;
    // The parser's message quotes the text around the mistake, which is secret: report a position only.
    const at = /position (\d+)/.exec(err.message)?.[1];
    const position = at === undefined ? '' : ` (${lineAndColumn(text, Number(at))})`;
    throw new LocalCredentialsError(
      `secret file ${path} is not valid JSON${position}; expected ${EXPECTED_FILE_SHAPES}`,
    );
  }
  return text;
}

/** `line 3, column 5` of a character offset. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** What a user edits for `origin`, as a noun phrase: `the secret file ./x.json`, `the variables A, B`. */
export function originText(origin: CredentialOrigin): string {
  return origin.kind === 'file'
    ? `the secret file ${origin.path}`
    : `the variables ${origin.variables.join(', ')}`;
}

/** The parser's ConfigurationError, restated for where the credentials came from (env: variable names, not fields). */
function restate(err: ConfigurationError, origin: CredentialOrigin): LocalCredentialsError {
  const match = /^Invalid Mimecast secret(?: \((API [\d.]+)\))?: (.*)$/s.exec(err.message);
  const version = match?.[1] ? ` (${match[1]})` : '';
  let reason = match?.[2] ?? err.message;
  if (origin.kind === 'env') {
    const fields: Record<string, string> = { ...OAUTH_VARIABLES, ...HMAC_VARIABLES };
    reason = reason.replace(
      /\b(clientId|clientSecret|baseUrl|appId|appKey|accessKey|secretKey)\b/g,
      (f) => fields[f] ?? f,
    );
  }
  const subject = origin.kind === 'file' ? `secret file ${origin.path}` : `The MIMECAST_* variables`;
  return new LocalCredentialsError(
    `${subject} ${origin.kind === 'file' ? 'is' : 'are'} unusable${version}: ${reason}`,
  );
}

/**
 * The secret JSON from `--secret-file`, or from the MIMECAST_* variables (API 2.0 or API 1.0
 * set); `undefined` when neither is given (the simulator is used). Throws LocalCredentialsError
 * (names of files, fields and variables only) when what was given is unusable, incomplete,
 * unknown, or given both ways.
 */
export async function resolveRealMimecast(
  secretFile: string | undefined,
  env: Record<string, string | undefined>,
): Promise<RealMimecast | undefined> {
  const given = credentialVariables(env);
  let origin: CredentialOrigin;
  let secretJson: string;
  if (secretFile !== undefined) {
    if (given.length > 0) {
      throw new LocalCredentialsError(
        `Mimecast credentials are given twice: by --secret-file ${secretFile} and by the environment (${given.join(', ')}). ` +
          `Use one: drop --secret-file, or unset ${given.join(' ')}.`,
      );
    }
    origin = { kind: 'file', path: secretFile };
    secretJson = await readSecretFile(secretFile);
  } else {
    if (given.length === 0) return undefined;
    secretJson = secretFromVariables(env, given);
    origin = { kind: 'env', variables: given };
  }
  let secret: ReturnType<typeof parseMimecastSecret>;
  try {
    secret = parseMimecastSecret(secretJson);
  } catch (err: unknown) {
    if (err instanceof ConfigurationError) throw restate(err, origin);
    throw err;
  }
  const mode = secret.mode === 'oauth2' ? 'API 2.0 (OAuth)' : 'API 1.0 (HMAC)';
  const from = origin.kind === 'file' ? `secret file ${origin.path}` : origin.variables.join('/');
  return {
    secretJson,
    baseUrl: secret.baseUrl,
    origin,
    description: `real Mimecast at ${secret.baseUrl}, ${mode}, credentials from ${from}`,
  };
}

/** Failure kinds that mean the credentials (not Mimecast or the network) must be changed. */
const CREDENTIAL_KINDS: ReadonlySet<string> = new Set([
  'authentication',
  'binding_expired',
  'configuration',
  'credentials',
]);

/**
 * Restates a collector or query-API message that tells an operator to fix the Secrets Manager
 * secret: locally that secret is a copy made at start-up, so the user edits the file or the
 * variables instead and restarts. `secretId` is the stand-in's secret name the messages quote.
 */
export function localiseSecretAdvice(message: string, origin: CredentialOrigin, secretId: string): string {
  const target = `${originText(origin)} and restart npm start`;
  return message
    .replace(
      new RegExp(`\\b(?:the )?(?:Mimecast )?secret ${secretId.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'g'),
      target,
    )
    .replace(/\b(?:the )?(?:AWS )?Secrets Manager(?: secret)?\b/g, target);
}

/**
 * A failed run's message for the terminal: for credential failures (rejected, expired or
 * malformed credentials) it says what to edit locally instead of a Secrets Manager secret.
 */
export function describeRunFailure(
  kind: string | undefined,
  message: string,
  origin: CredentialOrigin | undefined,
  secretId: string,
): string {
  if (kind === undefined || !CREDENTIAL_KINDS.has(kind)) return message;
  if (origin === undefined) {
    return `${message}. The simulator's credentials are made by npm start itself, so this is a bug or an injected fault; restarting npm start creates them anew.`;
  }
  const restated = localiseSecretAdvice(message, origin, secretId).replace(
    /Invalid Mimecast secret/g,
    `Invalid Mimecast credentials in ${originText(origin)}`,
  );
  return `${restated.replace(/[.\s]+$/, '')}. Locally the credentials come from ${originText(origin)}: correct them there and restart npm start.`;
}
