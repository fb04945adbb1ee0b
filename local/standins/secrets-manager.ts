/**
 * Secrets Manager stand-in: a loopback HTTP server speaking the service's JSON 1.1 protocol
 * (`POST /`, `X-Amz-Target: secretsmanager.<Operation>`) for the operations the product and
 * its local tooling use: GetSecretValue and DescribeSecret (the collector and query function),
 * CreateSecret and PutSecretValue (seeding and rotating in tests and `npm start`), and
 * TagResource (`npm run sources`; CreateSecret keeps Tags and KmsKeyId too, and DescribeSecret
 * answers them, as the real service does; no key is used: values are stored as given). A secret may
 * exist without any value, as CloudFormation creates one without SecretString: GetSecretValue
 * then answers ResourceNotFoundException for the AWSCURRENT label, as Secrets Manager does.
 * Signatures are not checked. Secret values are never logged or echoed in errors.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { answerJson, readJsonObject } from './json-protocol.js';
import { closeServer, endpointOf, listenOnLoopback } from './net.js';

const ACCOUNT = '000000000000';

interface StoredSecret {
  name: string;
  arn: string;
  /** Absent for a secret created without a value (no version at all). */
  value: string | undefined;
  versionId: string | undefined;
  /** Epoch seconds: the protocol's timestamp format. */
  createdDate: number;
  /** Tag key → value (TagResource overwrites a key it names, keeps the others). */
  tags: Map<string, string>;
  kmsKeyId: string | undefined;
}

/** A running Secrets Manager stand-in. */
export interface SecretsManagerStandin {
  endpoint: string;
  /** Creates the secret or stores a new current version of it (`id`: name or ARN). */
  putSecret(id: string, value: string): void;
  /** Creates a secret with no value at all (what the stack creates for the operator to fill in). */
  createEmptySecret(name: string): void;
  close(): Promise<void>;
}

/** A service error as the SDK expects it: HTTP 400 and `__type`. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Real ARNs end in `<name>-<6 random characters>`; this keeps the shape so callers cannot rely on ARN = name. */
function arnFor(region: string, name: string): string {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 6);
  return `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-${suffix}`;
}

/** The in-memory secret table: lookup by name, by full ARN, or by a partial ARN ending in the name. */
class SecretTable {
  private readonly byName = new Map<string, StoredSecret>();

  constructor(private readonly region: string) {}

  find(id: string): StoredSecret | undefined {
    const direct = this.byName.get(id);
    if (direct) return direct;
    const marker = ':secret:';
    const at = id.startsWith('arn:') ? id.indexOf(marker) : -1;
    if (at < 0) return undefined;
    const tail = id.slice(at + marker.length);
    for (const secret of this.byName.values()) {
      if (secret.arn === id || tail === secret.name) return secret;
    }
    return undefined;
  }

  create(
    name: string,
    value: string | undefined,
    extra: { tags?: Map<string, string>; kmsKeyId?: string | undefined } = {},
  ): StoredSecret {
    if (this.find(name))
      throw new ServiceError('ResourceExistsException', `The secret ${name} already exists.`);
    const common = {
      name,
      arn: arnFor(this.region, name),
      tags: extra.tags ?? new Map(),
      kmsKeyId: extra.kmsKeyId,
    };
    const secret: StoredSecret =
      value === undefined
        ? { ...common, value: undefined, versionId: undefined, createdDate: now() }
        : { ...common, ...this.version(value) };
    this.byName.set(name, secret);
    return secret;
  }

  put(id: string, value: string): StoredSecret {
    const existing = this.find(id);
    if (!existing) throw notFound();
    Object.assign(existing, this.version(value));
    return existing;
  }

  /** putSecret: create or update, by name or ARN. */
  upsert(id: string, value: string): StoredSecret {
    if (this.find(id)) return this.put(id, value);
    const name = id.startsWith('arn:') ? (id.split(':secret:')[1] ?? id) : id;
    return this.create(name, value);
  }

  private version(value: string): Pick<StoredSecret, 'value' | 'versionId' | 'createdDate'> {
    return { value, versionId: randomUUID(), createdDate: now() };
  }
}

/** Epoch seconds: the protocol's timestamp format. */
const now = (): number => Math.floor(Date.now() / 1000);

const noCurrentValue = (): ServiceError =>
  new ServiceError(
    'ResourceNotFoundException',
    "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
  );

const notFound = (): ServiceError =>
  new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

function stringField(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new ServiceError('InvalidParameterException', `${field} must be a non-empty string.`);
  }
  return value;
}

/** SecretString may be empty (Secrets Manager sets no minimum length), but must be a string. */
function secretString(body: Record<string, unknown>): string {
  const value = body.SecretString;
  if (typeof value !== 'string')
    throw new ServiceError('InvalidParameterException', 'SecretString must be a string.');
  return value;
}

/** `Tags: [{Key, Value}]` as a map; absent is empty. Keys 1–128 and values 0–256 characters, as the service allows. */
function tagsField(body: Record<string, unknown>, required: boolean): Map<string, string> {
  const tags = body.Tags;
  if (tags === undefined && !required) return new Map();
  if (!Array.isArray(tags)) throw new ServiceError('InvalidParameterException', 'Tags must be a list.');
  const map = new Map<string, string>();
  for (const tag of tags as unknown[]) {
    const { Key, Value } = (typeof tag === 'object' && tag !== null ? tag : {}) as Record<string, unknown>;
    if (
      typeof Key !== 'string' ||
      Key.length < 1 ||
      Key.length > 128 ||
      typeof Value !== 'string' ||
      Value.length > 256
    )
      throw new ServiceError(
        'InvalidParameterException',
        'Each tag needs a Key (1-128) and a Value (0-256).',
      );
    map.set(Key, Value);
  }
  return map;
}

const tagList = (tags: Map<string, string>) => [...tags].map(([Key, Value]) => ({ Key, Value }));

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJsonObject(req);
  if (body === 'too_large') throw new ServiceError('InvalidRequestException', 'Request body too large.');
  if (body === 'not_an_object') {
    throw new ServiceError('SerializationException', 'The request body is not a JSON object.');
  }
  return body;
}

const answer = answerJson;

/** Runs one operation; returns the response document. */
async function operate(
  table: SecretTable,
  operation: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  switch (operation) {
    case 'GetSecretValue': {
      const secret = table.find(stringField(body, 'SecretId'));
      if (!secret) throw notFound();
      if (secret.value === undefined) throw noCurrentValue();
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdDate,
      };
    }
    case 'DescribeSecret': {
      const secret = table.find(stringField(body, 'SecretId'));
      if (!secret) throw notFound();
      return {
        ARN: secret.arn,
        Name: secret.name,
        CreatedDate: secret.createdDate,
        VersionIdsToStages: secret.versionId === undefined ? {} : { [secret.versionId]: ['AWSCURRENT'] },
        ...(secret.kmsKeyId === undefined ? {} : { KmsKeyId: secret.kmsKeyId }),
        ...(secret.tags.size === 0 ? {} : { Tags: tagList(secret.tags) }),
      };
    }
    case 'CreateSecret': {
      const value = body.SecretString === undefined ? undefined : secretString(body);
      const kmsKeyId = body.KmsKeyId === undefined ? undefined : stringField(body, 'KmsKeyId');
      const secret = table.create(stringField(body, 'Name'), value, {
        tags: tagsField(body, false),
        kmsKeyId,
      });
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.versionId ? { VersionId: secret.versionId } : {}),
      };
    }
    case 'PutSecretValue': {
      const secret = table.put(stringField(body, 'SecretId'), secretString(body));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    }
    case 'TagResource': {
      const secret = table.find(stringField(body, 'SecretId'));
      if (!secret) throw notFound();
      for (const [key, value] of tagsField(body, true)) secret.tags.set(key, value);
      return {};
    }
    default:
      throw new ServiceError(
        'UnknownOperationException',
        `Operation ${operation} is not supported by the stand-in.`,
      );
  }
}

/** Starts the stand-in on 127.0.0.1 with `secrets` (id → SecretString) already stored. */
export async function startSecretsManager(
  options: { region: string; secrets?: Record<string, string> | undefined } = { region: 'us-east-1' },
): Promise<SecretsManagerStandin> {
  const table = new SecretTable(options.region);
  for (const [id, value] of Object.entries(options.secrets ?? {})) table.upsert(id, value);

  const server = createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith('secretsmanager.')
        ? target.slice('secretsmanager.'.length)
        : '';
    if (req.method !== 'POST' || operation === '') {
      req.resume();
      answer(res, 400, { __type: 'UnknownOperationException', message: 'Expected POST with X-Amz-Target.' });
      return;
    }
    readBody(req)
      .then((body) => operate(table, operation, body))
      .then((result) => answer(res, 200, result))
      .catch((err: unknown) => {
        const error =
          err instanceof ServiceError
            ? err
            : new ServiceError('InternalServiceError', 'Stand-in failure.', 500);
        if (!res.headersSent) answer(res, error.status, { __type: error.type, message: error.message });
      });
  });
  await listenOnLoopback(server);

  return {
    endpoint: endpointOf(server),
    putSecret: (id, value) => {
      table.upsert(id, value);
    },
    createEmptySecret: (name) => {
      table.create(name, undefined);
    },
    close: () => closeServer(server),
  };
}
