/**
 * Generates the OCSF test fixtures (test/fixtures/ocsf/<version>/) from a local copy of the OCSF
 * schema repository (https://github.com/ocsf/ocsf-schema, Apache-2.0).
 *
 *   npx tsx scripts/ocsf-fixtures.ts <git dir of ocsf-schema> [tag]
 *
 * The tag defaults to `v<OCSF_VERSION>`; files are read with `git show <tag>:<path>`, so the
 * copy may be bare. The OCSF source files are not a compiled schema: a class `extends` its parent,
 * pulls in shared attribute sets and profiles with `$include`, and takes each attribute's type,
 * enum and description from `dictionary.json`. This script resolves all of that the way the OCSF
 * schema server does (deep merge, child over parent, definition over dictionary) and writes a
 * compact form with what a validator needs: per attribute its type, requirement, array flag, enum
 * captions, sibling and profile; per class its uids and names; the objects the classes reach
 * (transitively, profile attributes excepted); the primitive types with their constraints.
 *
 * The pure part (compileFixtures) is exported so that test/unit/ocsf/fixtures.test.ts can check it
 * on a miniature schema; importing it from there is also what type-checks this file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One attribute of a class or object, resolved. */
export interface CompactAttribute {
  /** A primitive type (`string_t`, `timestamp_t`…), `object` (any object) or an object name. */
  type: string;
  requirement: 'required' | 'recommended' | 'optional';
  is_array?: true;
  /** Allowed values (as strings) → caption. */
  enum?: Record<string, string>;
  /** The attribute that carries the caption of this one's enum value (`activity_id` → `activity_name`). */
  sibling?: string;
  /** Set when the attribute belongs to a profile: it is only allowed when `metadata.profiles` lists it. */
  profile?: string;
}

export interface CompactObject {
  name: string;
  caption: string;
  attributes: Record<string, CompactAttribute>;
  constraints?: { at_least_one?: string[]; just_one?: string[] };
}

export interface CompactClass extends CompactObject {
  class_uid: number;
  category_uid: number;
  category_name: string;
}

/** A primitive type, reduced to the JSON type and its constraints. */
export interface CompactType {
  base: 'string' | 'integer' | 'number' | 'boolean' | 'json' | 'object';
  max_len?: number;
  regex?: string;
  range?: [number, number];
  values?: unknown[];
}

export interface Fixtures {
  version: string;
  classes: Record<string, CompactClass>;
  objects: Record<string, CompactObject>;
  types: Record<string, CompactType>;
}

/** Read access to the schema sources: a JSON file by path, and every `.json` path under a folder. */
export interface SchemaSource {
  read(path: string): unknown;
  list(dir: string): string[];
}

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The OCSF server's deep merge: maps merge recursively (an empty side yields the other), anything else: right wins. */
export function deepMerge(left: unknown, right: unknown): unknown {
  if (right === undefined) return left;
  if (!isMap(left) || !isMap(right)) return right;
  if (Object.keys(left).length === 0) return right;
  if (Object.keys(right).length === 0) return left;
  const out: Json = { ...left };
  for (const [key, value] of Object.entries(right))
    out[key] = key in left ? deepMerge(left[key], value) : value;
  return out;
}

const ROOT_TYPES: Record<string, CompactType['base']> = {
  string_t: 'string',
  integer_t: 'integer',
  long_t: 'integer',
  float_t: 'number',
  boolean_t: 'boolean',
  json_t: 'json',
};

/** Compiles the named classes (by `name`, e.g. `authentication`) and everything they reference. */
export function compileFixtures(source: SchemaSource, classNames: readonly string[]): Fixtures {
  const dictionary = source.read('dictionary.json') as Json;
  const dictAttributes = (dictionary.attributes ?? {}) as Record<string, Json>;
  const categories = ((source.read('categories.json') as Json).attributes ?? {}) as Record<string, Json>;
  const version = String((source.read('version.json') as Json).version);

  /** A file with its `$include`s resolved; profile attributes marked with their profile. */
  const withIncludes = (item: Json): Json => {
    const attributes = (item.attributes ?? {}) as Json;
    const include = attributes.$include;
    if (include === undefined) return item;
    let merged: Json = { ...attributes };
    delete merged.$include;
    for (const file of Array.isArray(include) ? include : [include]) {
      const included = source.read(String(file)) as Json;
      const profile = included.meta === 'profile' ? String(included.name) : undefined;
      const attrs: Json = {};
      for (const [name, attr] of Object.entries((included.attributes ?? {}) as Json)) {
        attrs[name] = profile === undefined ? attr : { ...(attr as Json), profile };
      }
      merged = deepMerge(attrs, merged) as Json;
    }
    for (const [name, attr] of Object.entries(merged)) {
      if (isMap(attr) && '$include' in attr)
        throw new Error(`attribute-level $include (${name}) is not supported`);
    }
    return { ...item, attributes: merged };
  };

  const load = (dir: string): Map<string, Json> => {
    const items = new Map<string, Json>();
    for (const path of source.list(dir)) {
      const item = withIncludes(source.read(path) as Json);
      items.set(String(item.name), item);
    }
    return items;
  };
  const rawEvents = load('events');
  const rawObjects = load('objects');

  /** `extends` resolved: attributes deep-merged parent → child (null removes), other keys child over parent. */
  const resolver = (items: Map<string, Json>): ((name: string) => Json) => {
    const cache = new Map<string, Json>();
    const resolve = (name: string): Json => {
      const hit = cache.get(name);
      if (hit !== undefined) return hit;
      const item = items.get(name);
      if (item === undefined) throw new Error(`undefined item: ${name}`);
      let out = item;
      if (typeof item.extends === 'string') {
        const base = resolve(item.extends);
        const attributes = deepMerge(base.attributes ?? {}, item.attributes ?? {}) as Json;
        for (const [key, value] of Object.entries(attributes)) if (value === null) delete attributes[key];
        out = { ...base, ...item, attributes };
      }
      cache.set(name, out);
      return out;
    };
    return resolve;
  };
  const resolveEvent = resolver(rawEvents);
  const resolveObject = resolver(rawObjects);

  const compactAttributes = (item: Json, context: string): Record<string, CompactAttribute> => {
    const out: Record<string, CompactAttribute> = {};
    for (const [name, own] of Object.entries((item.attributes ?? {}) as Json).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const dict = dictAttributes[name];
      if (dict === undefined) throw new Error(`${context}.${name} is not in the dictionary`);
      const attr = deepMerge(dict, own) as Json;
      const compact: CompactAttribute = {
        type: String(attr.type),
        requirement: (attr.requirement as CompactAttribute['requirement'] | undefined) ?? 'optional',
      };
      if (attr.is_array === true) compact.is_array = true;
      if (isMap(attr.enum)) {
        compact.enum = {};
        for (const [value, entry] of Object.entries(attr.enum))
          compact.enum[value] = String((entry as Json).caption);
      }
      if (typeof attr.sibling === 'string') compact.sibling = attr.sibling;
      if (typeof attr.profile === 'string') compact.profile = attr.profile;
      out[name] = compact;
    }
    return out;
  };

  const constraintsOf = (item: Json): CompactObject['constraints'] =>
    isMap(item.constraints) ? (item.constraints as CompactObject['constraints']) : undefined;

  const objects: Record<string, CompactObject> = {};
  const isPrimitive = (type: string): boolean => type === 'object' || type.endsWith('_t');
  const addObject = (name: string): void => {
    if (name in objects) return;
    const item = resolveObject(name);
    const object: CompactObject = {
      name,
      caption: String(item.caption),
      attributes: compactAttributes(item, name),
    };
    const constraints = constraintsOf(item);
    if (constraints) object.constraints = constraints;
    objects[name] = object;
    reach(object.attributes);
  };
  const reach = (attributes: Record<string, CompactAttribute>): void => {
    for (const attr of Object.values(attributes)) {
      if (attr.profile === undefined && !isPrimitive(attr.type)) addObject(attr.type);
    }
  };

  const classes: Record<string, CompactClass> = {};
  for (const name of classNames) {
    const item = resolveEvent(name);
    const category = typeof item.category === 'string' ? categories[item.category] : undefined;
    const categoryUid = category === undefined ? 0 : Number(category.uid);
    const classUid = categoryUid * 1000 + Number(item.uid ?? 0);
    const caption = String(item.caption);
    const attributes = compactAttributes(item, name);
    const set = (attr: string, enumeration: Record<string, string>): void => {
      const target = attributes[attr];
      if (target === undefined) throw new Error(`${name} has no ${attr}`);
      target.enum = enumeration;
    };
    set('class_uid', { [classUid]: caption });
    if (category !== undefined) set('category_uid', { [categoryUid]: String(category.caption) });
    const activities = attributes.activity_id?.enum ?? {};
    const typeUids: Record<string, string> = { [classUid * 100]: `${caption}: Unknown` };
    for (const [id, activity] of Object.entries(activities))
      typeUids[classUid * 100 + Number(id)] = `${caption}: ${activity}`;
    set('type_uid', typeUids);
    const compiled: CompactClass = {
      name,
      caption,
      class_uid: classUid,
      category_uid: categoryUid,
      category_name: attributes.category_uid?.enum?.[categoryUid] ?? 'Uncategorized',
      attributes,
    };
    const constraints = constraintsOf(item);
    if (constraints) compiled.constraints = constraints;
    classes[name] = compiled;
    reach(attributes);
  }

  const typeDefs = ((dictionary.types as Json | undefined)?.attributes ?? {}) as Record<string, Json>;
  const types: Record<string, CompactType> = { object: { base: 'object' } };
  const compactType = (name: string): CompactType => {
    const root = ROOT_TYPES[name];
    const def = typeDefs[name];
    if (def === undefined) throw new Error(`undefined type: ${name}`);
    const parent: CompactType =
      root !== undefined ? { base: root } : compactType(String(def.type ?? 'string_t'));
    const out: CompactType = { ...parent };
    if (typeof def.max_len === 'number') out.max_len = def.max_len;
    if (typeof def.regex === 'string') out.regex = def.regex;
    if (Array.isArray(def.range)) out.range = def.range as [number, number];
    if (Array.isArray(def.values)) out.values = def.values;
    return out;
  };
  for (const name of Object.keys(typeDefs).sort()) types[name] = compactType(name);

  const sortedObjects: Record<string, CompactObject> = {};
  for (const name of Object.keys(objects).sort()) sortedObjects[name] = objects[name] as CompactObject;
  return { version, classes, objects: sortedObjects, types };
}

/** The classes the mapper produces (functions/core/ocsf/classify.ts). */
export const FIXTURE_CLASSES = [
  'base_event',
  'account_change',
  'authentication',
  'entity_management',
  'group_management',
  'api_activity',
] as const;

/** A SchemaSource over `git show <ref>:<path>` in a (possibly bare) git directory. */
function gitSource(gitDir: string, ref: string): SchemaSource {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return {
    read: (path) => JSON.parse(git('show', `${ref}:${path}`)),
    list: (dir) =>
      git('ls-tree', '-r', '--name-only', ref, '--', dir)
        .split('\n')
        .filter((path) => path.endsWith('.json')),
  };
}

function main(argv: readonly string[]): void {
  const [gitDir, tagArg] = argv;
  if (gitDir === undefined) {
    console.error('usage: npx tsx scripts/ocsf-fixtures.ts <git dir of ocsf-schema> [tag]');
    process.exitCode = 2;
    return;
  }
  const versionFile = join(dirname(fileURLToPath(import.meta.url)), '../functions/core/ocsf/version.ts');
  // Read the pinned version without importing the module graph (keeps the script standalone).
  const pinned = /OCSF_VERSION = '([^']+)'/.exec(readFileSync(versionFile, 'utf8'))?.[1];
  const tag = tagArg ?? `v${pinned}`;
  const ref = `refs/tags/${tag}`;
  const commit = execFileSync('git', ['-C', gitDir, 'rev-parse', `${ref}^{commit}`], {
    encoding: 'utf8',
  }).trim();
  const fixtures = compileFixtures(gitSource(gitDir, ref), FIXTURE_CLASSES);
  if (fixtures.version !== pinned)
    console.warn(`note: ${tag} is OCSF ${fixtures.version}, version.ts pins ${pinned}`);

  const out = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/ocsf', fixtures.version);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'classes'), { recursive: true });
  const write = (path: string, data: unknown): void =>
    writeFileSync(join(out, path), `${JSON.stringify(data, null, 2)}\n`);
  write('source.json', {
    repository: 'https://github.com/ocsf/ocsf-schema',
    tag,
    commit,
    license: 'Apache-2.0',
    generator: 'scripts/ocsf-fixtures.ts',
  });
  for (const [name, compiled] of Object.entries(fixtures.classes)) write(`classes/${name}.json`, compiled);
  write('objects.json', fixtures.objects);
  write('types.json', fixtures.types);
  // The repository's formatter has the last word on layout, so regenerating gives no spurious diff.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', out], {
    cwd: root,
    stdio: 'ignore',
  });
  console.log(
    `wrote ${Object.keys(fixtures.classes).length} classes, ${Object.keys(fixtures.objects).length} objects to ${out}`,
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1])
  main(process.argv.slice(2));
