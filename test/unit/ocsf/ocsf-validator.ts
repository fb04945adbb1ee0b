/**
 * A small OCSF event validator over the vendored fixtures (test/fixtures/ocsf/<version>/, made by
 * scripts/ocsf-fixtures.ts). It checks what the OCSF schema says about an event of a class,
 * without profiles unless `metadata.profiles` names them:
 * - every required attribute is present, at every level (base_event's included);
 * - every attribute is known to the class or object (`unmapped` is a free-form object);
 * - values have their type: JSON type, array or not, string length, pattern, range, enum;
 * - an enum's sibling, when present, is the enum value's caption (except for 99, Other);
 * - the class's `at_least_one` / `just_one` constraints, and those of each object;
 * - `type_uid` = `class_uid` × 100 + `activity_id`.
 * It returns the problems (empty: valid), each with the attribute's path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  CompactAttribute,
  CompactClass,
  CompactObject,
  CompactType,
  Fixtures,
} from '../../../scripts/ocsf-fixtures.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/ocsf/', import.meta.url));

/** Reads the fixtures of one OCSF version. */
export function loadFixtures(version: string): Fixtures {
  const dir = join(FIXTURES, version);
  const json = (path: string): unknown => JSON.parse(readFileSync(join(dir, path), 'utf8'));
  const classes: Record<string, CompactClass> = {};
  for (const file of readdirSync(join(dir, 'classes')).sort()) {
    const compiled = json(join('classes', file)) as CompactClass;
    classes[compiled.name] = compiled;
  }
  return {
    version,
    classes,
    objects: json('objects.json') as Record<string, CompactObject>,
    types: json('types.json') as Record<string, CompactType>,
  };
}

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function validateEvent(event: unknown, fixtures: Fixtures): string[] {
  const problems: string[] = [];
  if (!isMap(event)) return ['event: not an object'];
  const cls = Object.values(fixtures.classes).find((c) => c.class_uid === event.class_uid);
  if (cls === undefined) return [`class_uid: no fixture for class ${String(event.class_uid)}`];
  const metadata = isMap(event.metadata) ? event.metadata : {};
  const profiles = new Set(Array.isArray(metadata.profiles) ? metadata.profiles.map(String) : []);
  const active = (attr: CompactAttribute): boolean =>
    attr.profile === undefined || profiles.has(attr.profile);

  const checkObject = (value: Json, def: CompactObject, path: string): void => {
    for (const [name, attr] of Object.entries(def.attributes)) {
      if (attr.requirement === 'required' && active(attr) && !(name in value))
        problems.push(`${path}${name}: required by ${def.name}`);
    }
    for (const [name, item] of Object.entries(value)) {
      const attr = Object.hasOwn(def.attributes, name) ? def.attributes[name] : undefined;
      if (attr === undefined) problems.push(`${path}${name}: not an attribute of ${def.name}`);
      else if (!active(attr))
        problems.push(`${path}${name}: needs profile ${attr.profile} in metadata.profiles`);
      else checkValue(item, attr, `${path}${name}`);
      if (attr?.enum && attr.sibling !== undefined && name in value && attr.sibling in value && item !== 99) {
        const caption = attr.enum[String(item)];
        if (caption !== undefined && value[attr.sibling] !== caption)
          problems.push(
            `${path}${attr.sibling}: ${JSON.stringify(value[attr.sibling])} is not ${JSON.stringify(caption)}`,
          );
      }
    }
    const present = (names: string[]): number => names.filter((name) => name in value).length;
    const { at_least_one: atLeastOne, just_one: justOne } = def.constraints ?? {};
    if (atLeastOne && present(atLeastOne) === 0)
      problems.push(`${path}: needs one of ${atLeastOne.join(', ')}`);
    if (justOne && present(justOne) !== 1)
      problems.push(`${path}: needs exactly one of ${justOne.join(', ')}`);
  };

  const checkValue = (value: unknown, attr: CompactAttribute, path: string): void => {
    if (attr.is_array) {
      if (!Array.isArray(value)) problems.push(`${path}: not an array`);
      else for (const [i, item] of value.entries()) checkScalar(item, attr, `${path}[${i}]`);
    } else checkScalar(value, attr, path);
  };

  const checkScalar = (value: unknown, attr: CompactAttribute, path: string): void => {
    const type = fixtures.types[attr.type];
    if (type === undefined) {
      const object = fixtures.objects[attr.type];
      if (object === undefined) problems.push(`${path}: no fixture for object ${attr.type}`);
      else if (!isMap(value)) problems.push(`${path}: not an object (${attr.type})`);
      else checkObject(value, object, `${path}.`);
      return;
    }
    if (!hasBase(value, type.base)) {
      problems.push(`${path}: ${JSON.stringify(value)} is not ${attr.type}`);
      return;
    }
    if (typeof value === 'string') {
      if (type.max_len !== undefined && value.length > type.max_len)
        problems.push(`${path}: longer than ${type.max_len}`);
      if (type.regex !== undefined && !new RegExp(type.regex).test(value))
        problems.push(`${path}: ${JSON.stringify(value)} does not match ${attr.type}`);
    }
    if (typeof value === 'number' && type.range && (value < type.range[0] || value > type.range[1]))
      problems.push(`${path}: ${value} out of range`);
    if (attr.enum && !Object.hasOwn(attr.enum, String(value)))
      problems.push(`${path}: ${JSON.stringify(value)} not in enum (${Object.keys(attr.enum).join(', ')})`);
  };

  checkObject(event, cls, '');
  const { class_uid: classUid, activity_id: activityId, type_uid: typeUid } = event;
  if (
    typeof classUid === 'number' &&
    typeof activityId === 'number' &&
    typeUid !== classUid * 100 + activityId
  )
    problems.push(`type_uid: ${String(typeUid)} is not class_uid * 100 + activity_id`);
  if (event.category_name !== undefined && event.category_name !== cls.category_name)
    problems.push(`category_name: not ${cls.category_name}`);
  if (event.class_name !== undefined && event.class_name !== cls.caption)
    problems.push(`class_name: not ${cls.caption}`);
  return problems;
}

function hasBase(value: unknown, base: CompactType['base']): boolean {
  switch (base) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isMap(value);
    case 'json':
      return value !== undefined;
  }
}
