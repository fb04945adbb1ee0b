/**
 * Where the OCSF copy lives: Amazon Security Lake's custom-source layout (docs/ocsf.md, "Parquet
 * and Security Lake layout"). One object per source, UTC day and OCSF class:
 *
 *   <prefix>/ext/<custom source name>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/<sourceId>-<YYYY-MM-DD>.parquet
 *
 * Security Lake user guide, "Collecting data from custom sources"
 * (https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html): each OCSF class
 * is its own custom source; objects "must be partitioned by region, AWS account, eventDay", under
 * `/ext/<custom-source-name>/region=<region>/accountId=<accountID>/eventDay=<YYYYMMDD>`, where
 * eventDay is the record's UTC date and accountId "the AWS account ID that the records in the
 * source partition pertain to" (for records of accounts outside AWS, "a string such as `external`
 * or `external_externalAccountId`"). With prefix `''` the key is the one inside the Security Lake
 * bucket (`ext/<name>/` is the location Security Lake gives the source).
 *
 * The source id in the file name keeps sources (tenants) apart inside one eventDay folder; the key
 * depends only on its inputs, so a rerun overwrites its object instead of adding one.
 */

import { SOURCE_ID_PATTERN } from '#core/source-id.js';
import type { OcsfClassUid } from './classify.js';

/** The first part of the default custom source names (`mimecast-auth`…). */
export const DEFAULT_CUSTOM_SOURCE_PREFIX = 'mimecast';

/**
 * Each class's part of its default custom source name. Short because the name must be at most
 * MAX_CUSTOM_SOURCE_NAME characters: `mimecast-authentication` (23) is too long.
 */
export const CUSTOM_SOURCE_SUFFIXES: Readonly<Record<OcsfClassUid, string>> = {
  0: 'base',
  3001: 'account',
  3002: 'auth',
  3004: 'entity',
  3006: 'group',
  6003: 'api',
};

/**
 * Longest custom source name. The CreateCustomLogSource API takes 1–64 characters matching
 * `[\w\-\_\:\.]*`, but its reference adds that the name becomes part of the provider role
 * `AmazonSecurityLake-Provider-{name}-{region}` and "You must use a CustomLogSource name that is
 * shorter than or equal to 20 characters. This ensures that the LogProviderRole name is below the
 * 64 character limit" (CreateCustomLogSource's sourceName in the AWS SDK references, e.g.
 * https://docs.aws.amazon.com/sdk-for-sap-abap/v1/api/latest/slk/operation/CREATECUSTOMLOGSOURCE.html
 * and https://docs.rs/aws-sdk-securitylake, CreateCustomLogSourceInput). 28 + 20 + 1 + a region of
 * up to 14 characters is 63.
 */
export const MAX_CUSTOM_SOURCE_NAME = 20;

/**
 * Letters, digits, `-` and `_`: the API's characters without `:` and `.`, which IAM role names
 * (the provider role carries the name) and the layout's Glue table names do not all take.
 */
const CUSTOM_SOURCE_NAME = /^[A-Za-z0-9_-]+$/;

/** An AWS region name (`eu-west-1`, `us-gov-west-1`). */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** A 12-digit AWS account id, or Security Lake's suggestion for records of accounts outside AWS. */
const ACCOUNT_ID = /^(?:\d{12}|external(?:_[A-Za-z0-9-]{1,64})?)$/;

const DT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Throws a RangeError unless `name` is a valid Security Lake custom source name (see MAX_CUSTOM_SOURCE_NAME). */
export function assertCustomSourceName(name: string): void {
  if (name.length < 1 || name.length > MAX_CUSTOM_SOURCE_NAME || !CUSTOM_SOURCE_NAME.test(name)) {
    throw new RangeError(
      `a custom source name has 1 to ${MAX_CUSTOM_SOURCE_NAME} letters, digits, "-" or "_", got ${JSON.stringify(name)}`,
    );
  }
}

/** The default custom source of a class: `<namePrefix>-<suffix>`, e.g. `mimecast-auth` for Authentication. */
export function customSourceName(
  classUid: OcsfClassUid,
  namePrefix: string = DEFAULT_CUSTOM_SOURCE_PREFIX,
): string {
  const suffix = CUSTOM_SOURCE_SUFFIXES[classUid];
  if (suffix === undefined) throw new RangeError(`no custom source for OCSF class ${String(classUid)}`);
  const name = `${namePrefix}-${suffix}`;
  assertCustomSourceName(name);
  return name;
}

/** `YYYYMMDD` (Security Lake's eventDay) of a UTC date `YYYY-MM-DD`. */
export function eventDay(dt: string): string {
  const match = DT.exec(dt);
  const [, year, month, day] = match ?? [];
  // A real calendar date: 2026-02-30 is refused.
  const ms = Date.parse(`${dt}T00:00:00Z`);
  const valid = year !== undefined && Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === dt;
  if (!valid) throw new RangeError(`dt must be a date YYYY-MM-DD, got ${JSON.stringify(dt)}`);
  return `${year}${month}${day}`;
}

/** The partition values of one object (or one day's folder, without sourceId). */
export interface OcsfDayParts {
  /** Root of the copy, without a trailing `/` (`<DATA_PREFIX>-ocsf`); `''` for the bucket root (a Security Lake bucket). */
  prefix: string;
  customSourceName: string;
  region: string;
  accountId: string;
  /** The UTC day, `YYYY-MM-DD`. */
  dt: string;
}

export interface OcsfObjectParts extends OcsfDayParts {
  /** The archive source the events came from. */
  sourceId: string;
}

function check(label: string, value: string, pattern: RegExp, what: string): void {
  if (!pattern.test(value)) throw new RangeError(`${label} must be ${what}, got ${JSON.stringify(value)}`);
}

/** `<prefix>/ext/<name>/`: every object of one custom source (the source's location). */
export function ocsfSourcePrefix(prefix: string, name: string): string {
  if (prefix.endsWith('/'))
    throw new RangeError(`prefix must not end with "/", got ${JSON.stringify(prefix)}`);
  assertCustomSourceName(name);
  return `${prefix === '' ? '' : `${prefix}/`}ext/${name}/`;
}

/** `region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/`: a day's folder inside a custom source's location. */
export function ocsfDayPath(parts: Pick<OcsfDayParts, 'region' | 'accountId' | 'dt'>): string {
  check('region', parts.region, REGION, 'an AWS region');
  check('accountId', parts.accountId, ACCOUNT_ID, 'a 12-digit account id, external or external_<id>');
  return `region=${parts.region}/accountId=${parts.accountId}/eventDay=${eventDay(parts.dt)}/`;
}

/** A day's folder of one custom source: every source's object of that class and day (ends with `/`). */
export function ocsfDayPrefix(parts: OcsfDayParts): string {
  return `${ocsfSourcePrefix(parts.prefix, parts.customSourceName)}${ocsfDayPath(parts)}`;
}

/**
 * The key of one (source, day, class) object relative to its custom source's location:
 * `region=…/accountId=…/eventDay=…/<sourceId>-<YYYY-MM-DD>.parquet`. The same object delivered to a
 * Security Lake bucket is this under the location Security Lake gave the source.
 */
export function ocsfKeyInSource(parts: Omit<OcsfObjectParts, 'prefix' | 'customSourceName'>): string {
  check('sourceId', parts.sourceId, SOURCE_ID_PATTERN, 'a source id (lower-case letters, digits, "-", "_")');
  return `${ocsfDayPath(parts)}${parts.sourceId}-${parts.dt}.parquet`;
}

/** The key of one (source, day, class) object. */
export function ocsfObjectKey(parts: OcsfObjectParts): string {
  return `${ocsfSourcePrefix(parts.prefix, parts.customSourceName)}${ocsfKeyInSource(parts)}`;
}
