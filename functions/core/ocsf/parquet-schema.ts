/**
 * The Parquet schema of the OCSF copy (docs/ocsf.md, "Parquet and Security Lake layout"): one
 * schema per OCSF class, holding exactly the attributes toOcsf() can give that class, OCSF objects
 * as Parquet groups (STRUCT), `metadata.profiles` as a LIST of strings and `unmapped` as a
 * MAP<STRING,STRING>.
 *
 * One schema per class, not one for all: Amazon Security Lake wants each custom source to carry
 * one OCSF class and every record of a Parquet object to be of the same class ("deliver each
 * unique OCSF event class as a separate source"; "The same OCSF event class should apply to each
 * record within a Parquet-formatted object", Security Lake user guide, "Collecting data from custom
 * sources", https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html). A
 * union schema would give every class's table the others' always-null columns, and the Glue
 * crawler Security Lake runs over a source derives the table from the files.
 *
 * Types follow OCSF and what Security Lake itself writes. In AWS's sample Security Lake file for
 * OCSF 1.1.0 (aws-samples/amazon-security-lake-ocsf-validation, samples/1.1.0/EKS/test.parquet)
 * `time` is a plain INT64 (Athena `bigint`, epoch milliseconds, OCSF `timestamp_t`) and the
 * separate `time_dt` (OCSF's `datetime` profile, not produced here) is the TIMESTAMP; `class_uid`,
 * `activity_id`, `severity_id`… are INT32, `type_uid` INT64 (OCSF `long_t`), `profiles` a list of
 * strings and `unmapped` a map<string,string> with nested keys flattened to dotted paths. So here:
 * OCSF `integer_t` → INT32, `long_t` and `timestamp_t` → INT64 (no TIMESTAMP annotation: the
 * value is OCSF's number, read back as such), `boolean_t` → BOOLEAN, strings → STRING.
 *
 * REQUIRED marks what toOcsf() always writes for the class (what OcsfEvent's types and map.ts
 * guarantee); everything else is OPTIONAL. The writer refuses an event with an attribute its
 * class's schema does not have, so nothing is dropped silently when map.ts grows.
 */
import type { SchemaElement } from 'hyparquet-writer';
import { repetition, stringElement, stringMapElements } from '#core/columnar/parquet-elements.js';
import type { OcsfClassUid } from './classify.js';

/** A column (or a field of a group) of the OCSF Parquet schema. */
export type OcsfField =
  | {
      readonly name: string;
      readonly type: 'string' | 'int32' | 'int64' | 'boolean';
      readonly required: boolean;
    }
  | {
      readonly name: string;
      readonly type: 'struct';
      readonly required: boolean;
      readonly fields: readonly OcsfField[];
    }
  /** A list of non-null strings (`metadata.profiles`). */
  | { readonly name: string; readonly type: 'list<string>'; readonly required: boolean }
  /** String keys to nullable string values (`unmapped`). */
  | { readonly name: string; readonly type: 'map<string,string>'; readonly required: boolean };

const str = (name: string, required = false): OcsfField => ({ name, type: 'string', required });
const int32 = (name: string, required = false): OcsfField => ({ name, type: 'int32', required });
const int64 = (name: string, required = false): OcsfField => ({ name, type: 'int64', required });
const struct = (name: string, required: boolean, fields: readonly OcsfField[]): OcsfField => ({
  name,
  type: 'struct',
  required,
  fields,
});

/** OCSF `user` as toOcsf fills it. */
const USER_FIELDS: readonly OcsfField[] = [str('uid'), str('name'), str('email_addr')];
const actor = (required: boolean): OcsfField =>
  struct('actor', required, [struct('user', true, USER_FIELDS)]);
const user = struct('user', true, USER_FIELDS);

/** The classes whose events can name OCSF profiles (Entity and Group Management: `host`, for `actor`). */
const WITH_PROFILES: ReadonlySet<OcsfClassUid> = new Set([3004, 3006]);

function metadata(classUid: OcsfClassUid): OcsfField {
  return struct('metadata', true, [
    str('version', true),
    struct('product', true, [str('name', true), str('vendor_name', true), str('version')]),
    str('uid', true),
    str('original_time', true),
    int64('logged_time'),
    ...(WITH_PROFILES.has(classUid)
      ? [{ name: 'profiles', type: 'list<string>', required: false } as const]
      : []),
  ]);
}

/** What each class adds to the base attributes, in toOcsf's key order. */
const CLASS_FIELDS: Readonly<Record<OcsfClassUid, readonly OcsfField[]>> = {
  0: [],
  3001: [
    actor(false),
    user,
    struct('policy', false, [str('name', true)]),
    struct('src_endpoint', false, [str('ip')]),
  ],
  3002: [
    actor(false),
    user,
    struct('service', true, [str('name', true)]),
    { name: 'is_mfa', type: 'boolean', required: false },
    struct('src_endpoint', false, [str('ip')]),
  ],
  3004: [actor(false), struct('entity', true, [str('name'), str('uid'), str('type', true)])],
  3006: [actor(false), struct('group', true, [str('name', true)]), user],
  6003: [
    actor(true),
    struct('api', true, [str('operation', true), struct('service', false, [str('name', true)])]),
    // An IP when the event has a trustworthy one, else `name: Unknown` (OCSF requires the object).
    struct('src_endpoint', true, [str('ip'), str('name')]),
  ],
};

/** The top-level columns of a class's OCSF Parquet schema, in file order. */
export function ocsfFields(classUid: OcsfClassUid): readonly OcsfField[] {
  const own = CLASS_FIELDS[classUid];
  if (own === undefined) throw new RangeError(`no OCSF Parquet schema for class ${String(classUid)}`);
  return [
    int32('class_uid', true),
    str('class_name', true),
    int32('category_uid', true),
    str('category_name', true),
    int32('activity_id', true),
    str('activity_name', true),
    int64('type_uid', true),
    str('type_name', true),
    int32('severity_id', true),
    str('severity', true),
    int32('status_id', true),
    str('status', true),
    // Only Authentication's failure reason / challenge.
    ...(classUid === 3002 ? [str('status_detail')] : []),
    int64('time', true),
    int32('timezone_offset', true),
    str('message'),
    metadata(classUid),
    ...own,
    str('raw_data'),
    { name: 'unmapped', type: 'map<string,string>', required: true },
  ];
}

function pushElements(out: SchemaElement[], field: OcsfField): void {
  switch (field.type) {
    case 'string':
      out.push(stringElement(field.name, field.required));
      return;
    case 'int32':
      out.push({ name: field.name, type: 'INT32', repetition_type: repetition(field.required) });
      return;
    case 'int64':
      out.push({ name: field.name, type: 'INT64', repetition_type: repetition(field.required) });
      return;
    case 'boolean':
      out.push({ name: field.name, type: 'BOOLEAN', repetition_type: repetition(field.required) });
      return;
    case 'struct':
      out.push({
        name: field.name,
        repetition_type: repetition(field.required),
        num_children: field.fields.length,
      });
      for (const child of field.fields) pushElements(out, child);
      return;
    case 'list<string>':
      // The standard three-level LIST: `<name>` LIST → repeated `list` → `element`.
      out.push(
        {
          name: field.name,
          repetition_type: repetition(field.required),
          converted_type: 'LIST',
          logical_type: { type: 'LIST' },
          num_children: 1,
        },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        stringElement('element', true),
      );
      return;
    case 'map<string,string>':
      // The standard three-level MAP; the key must be REQUIRED or readers such as pyarrow refuse it.
      out.push(...stringMapElements(field.name, field.required));
      return;
  }
}

/** The Parquet schema of a class: a flat list of elements in depth-first order, as hyparquet-writer takes it. */
export function ocsfParquetSchema(classUid: OcsfClassUid): SchemaElement[] {
  const fields = ocsfFields(classUid);
  const schema: SchemaElement[] = [{ name: 'schema', num_children: fields.length }];
  for (const field of fields) pushElements(schema, field);
  return schema;
}
