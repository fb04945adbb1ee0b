/**
 * The OCSF fixtures and the validator the other OCSF tests rely on: the generator
 * (scripts/ocsf-fixtures.ts) on a miniature schema, the committed fixtures against the pinned
 * version, and the validator on events that are wrong in one way each (a validator that accepts
 * everything must not pass).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OCSF_CLASSES, OCSF_VERSION, toOcsf } from '#core/ocsf/index.js';
import {
  compileFixtures,
  deepMerge,
  FIXTURE_CLASSES,
  type SchemaSource,
} from '../../../scripts/ocsf-fixtures.js';
import { loadFixtures, validateEvent } from './ocsf-validator.js';

/** A miniature OCSF source tree: the features the real one uses, each once. */
const FILES: Record<string, unknown> = {
  'version.json': { version: '9.9.9' },
  'categories.json': { attributes: { iam: { caption: 'IAM', uid: 3 } } },
  'dictionary.json': {
    attributes: {
      activity_id: { type: 'integer_t', sibling: 'activity_name', enum: { 0: { caption: 'Unknown' } } },
      activity_name: { type: 'string_t' },
      class_uid: { type: 'integer_t' },
      category_uid: { type: 'integer_t' },
      type_uid: { type: 'long_t' },
      actor: { type: 'actor' },
      device: { type: 'device' },
      user: { type: 'user' },
      name: { type: 'string_t' },
      uid: { type: 'string_t' },
      email_addr: { type: 'email_t' },
      unmapped: { type: 'object' },
    },
    types: {
      attributes: {
        string_t: { max_len: 10 },
        integer_t: {},
        long_t: {},
        email_t: { type: 'string_t', regex: '^[^@]+@[^@]+$' },
      },
    },
  },
  'includes/classification.json': {
    attributes: {
      activity_id: { requirement: 'required', enum: { 99: { caption: 'Other' } } },
      class_uid: { requirement: 'required' },
      category_uid: { requirement: 'required' },
      type_uid: { requirement: 'required' },
    },
  },
  'profiles/host.json': {
    meta: 'profile',
    name: 'host',
    attributes: { device: {}, actor: { requirement: 'optional' } },
  },
  'events/base_event.json': {
    name: 'base_event',
    caption: 'Base',
    category: 'other',
    attributes: { $include: ['includes/classification.json'], unmapped: {} },
  },
  'events/iam/iam.json': {
    name: 'iam',
    caption: 'IAM',
    category: 'iam',
    extends: 'base_event',
    attributes: { $include: 'profiles/host.json' },
  },
  'events/iam/login.json': {
    name: 'login',
    caption: 'Login',
    uid: 2,
    extends: 'iam',
    attributes: {
      activity_id: { enum: { 1: { caption: 'Logon' } } },
      actor: { profile: null },
      user: { requirement: 'required' },
    },
  },
  'events/iam/change.json': {
    name: 'change',
    caption: 'Change',
    uid: 1,
    extends: 'iam',
    attributes: { unmapped: null },
  },
  'objects/object.json': { name: 'object', caption: 'Object', attributes: {} },
  'objects/_entity.json': {
    name: '_entity',
    caption: 'Entity',
    extends: 'object',
    attributes: { name: { requirement: 'recommended' }, uid: {} },
    constraints: { at_least_one: ['name', 'uid'] },
  },
  'objects/user.json': {
    name: 'user',
    caption: 'User',
    extends: '_entity',
    attributes: { email_addr: {} },
    constraints: { at_least_one: ['uid', 'email_addr'] },
  },
  'objects/actor.json': { name: 'actor', caption: 'Actor', extends: 'object', attributes: { user: {} } },
  'objects/device.json': { name: 'device', caption: 'Device', extends: 'object', attributes: { name: {} } },
};

const miniature: SchemaSource = {
  read: (path) => {
    if (!(path in FILES)) throw new Error(`no ${path}`);
    return structuredClone(FILES[path]);
  },
  list: (dir) => Object.keys(FILES).filter((path) => path.startsWith(`${dir}/`)),
};

describe('scripts/ocsf-fixtures.ts on a miniature schema', () => {
  const compiled = compileFixtures(miniature, ['base_event', 'login', 'change']);

  it('merges like the OCSF server: maps deeply, an empty side yields the other, else right wins', () => {
    expect(deepMerge({ a: { x: 1, y: 2 }, b: 1 }, { a: { y: 3 }, b: { z: 1 } })).toEqual({
      a: { x: 1, y: 3 },
      b: { z: 1 },
    });
    expect(deepMerge({ a: { x: 1 } }, { a: {} })).toEqual({ a: { x: 1 } });
    expect(deepMerge({ a: 1 }, { a: null })).toEqual({ a: null });
  });

  it('resolves extends, includes, enums and uids', () => {
    const login = compiled.classes.login;
    expect(login).toMatchObject({ class_uid: 3002, category_uid: 3, category_name: 'IAM', caption: 'Login' });
    expect(login?.attributes.activity_id).toEqual({
      type: 'integer_t',
      requirement: 'required',
      sibling: 'activity_name',
      enum: { 0: 'Unknown', 1: 'Logon', 99: 'Other' },
    });
    expect(login?.attributes.type_uid?.enum).toEqual({
      300200: 'Login: Unknown',
      300201: 'Login: Logon',
      300299: 'Login: Other',
    });
    expect(login?.attributes.class_uid?.enum).toEqual({ 3002: 'Login' });
    expect(compiled.classes.base_event).toMatchObject({
      class_uid: 0,
      category_uid: 0,
      category_name: 'Uncategorized',
    });
  });

  it('marks profile attributes, unless a class takes them over with profile: null', () => {
    expect(compiled.classes.login?.attributes.actor).toEqual({ type: 'actor', requirement: 'optional' });
    expect(compiled.classes.login?.attributes.device?.profile).toBe('host');
    expect(compiled.classes.change?.attributes.actor?.profile).toBe('host');
  });

  it('drops attributes a child sets to null', () => {
    expect(compiled.classes.change?.attributes.unmapped).toBeUndefined();
    expect(compiled.classes.login?.attributes.unmapped).toEqual({ type: 'object', requirement: 'optional' });
  });

  it('collects the objects reached outside profiles, with inherited or overridden constraints', () => {
    // device is only reachable through the host profile.
    expect(Object.keys(compiled.objects)).toEqual(['actor', 'user']);
    expect(compiled.objects.user?.constraints).toEqual({ at_least_one: ['uid', 'email_addr'] });
    expect(Object.keys(compiled.objects.user?.attributes ?? {})).toEqual(['email_addr', 'name', 'uid']);
    expect(compiled.objects.user?.attributes.name?.requirement).toBe('recommended');
  });

  it('resolves type chains', () => {
    expect(compiled.types.email_t).toEqual({ base: 'string', max_len: 10, regex: '^[^@]+@[^@]+$' });
    expect(compiled.types.long_t).toEqual({ base: 'integer' });
    expect(compiled.types.object).toEqual({ base: 'object' });
  });

  it('refuses undefined parents and attributes missing from the dictionary', () => {
    const broken = (patch: Record<string, unknown>): SchemaSource => ({
      read: (path) => structuredClone(path in patch ? patch[path] : FILES[path]),
      list: miniature.list,
    });
    expect(() =>
      compileFixtures(
        broken({ 'events/iam/login.json': { name: 'login', extends: 'nope', attributes: {} } }),
        ['login'],
      ),
    ).toThrow(/undefined item: nope/);
    expect(() =>
      compileFixtures(
        broken({ 'events/iam/change.json': { name: 'change', extends: 'iam', attributes: { zzz: {} } } }),
        ['change'],
      ),
    ).toThrow(/change.zzz is not in the dictionary/);
  });
});

describe('the committed fixtures', () => {
  const fixtures = loadFixtures(OCSF_VERSION);

  it('are the pinned version, from the tagged OCSF release, Apache-2.0', () => {
    const source = JSON.parse(
      readFileSync(new URL(`../../fixtures/ocsf/${OCSF_VERSION}/source.json`, import.meta.url), 'utf8'),
    );
    expect(source).toMatchObject({
      repository: 'https://github.com/ocsf/ocsf-schema',
      tag: `v${OCSF_VERSION}`,
    });
    expect(source.license).toBe('Apache-2.0');
    expect(source.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('hold every class the mapper produces', () => {
    expect(Object.keys(fixtures.classes).sort()).toEqual([...FIXTURE_CLASSES].sort());
    expect(
      Object.values(fixtures.classes)
        .map((c) => c.class_uid)
        .sort((a, b) => a - b),
    ).toEqual(Object.keys(OCSF_CLASSES).map(Number));
  });

  it('hold every object a class reaches', () => {
    for (const holder of [...Object.values(fixtures.classes), ...Object.values(fixtures.objects)]) {
      for (const [name, attr] of Object.entries(holder.attributes)) {
        if (attr.profile !== undefined || attr.type in fixtures.types) continue;
        expect(fixtures.objects[attr.type], `${holder.name}.${name}: ${attr.type}`).toBeDefined();
      }
    }
  });
});

describe('the validator rejects what OCSF rejects', () => {
  const fixtures = loadFixtures(OCSF_VERSION);
  const good = toOcsf({
    id: 'e1',
    event_time: '2026-01-02T03:04:05Z',
    category: 'authentication_logs',
    audit_type: 'User Logged On',
    actor: 'jane@example.com',
    event_info: 'x',
    details: { ip: '192.0.2.1' },
    extra: {},
    source: 'main',
    collected_at: '2026-01-02T03:05:00Z',
  }) as unknown as Record<string, unknown>;
  const problems = (patch: (event: Record<string, unknown>) => void): string[] => {
    const event = structuredClone(good);
    patch(event);
    return validateEvent(event, fixtures);
  };

  it('accepts the unchanged event', () => {
    expect(validateEvent(good, fixtures)).toEqual([]);
  });

  it.each<[string, (event: Record<string, unknown>) => void, RegExp]>([
    ['a missing required attribute', (e) => delete e.time, /^time: required/],
    [
      'a missing required nested attribute',
      (e) => delete (e.metadata as { version?: string }).version,
      /^metadata\.version: required/,
    ],
    ['a missing class-specific object', (e) => delete e.user, /^user: required/],
    [
      'an unknown attribute',
      (e) => Object.assign(e, { colour: 'red' }),
      /^colour: not an attribute of authentication/,
    ],
    [
      'an unknown nested attribute',
      (e) => Object.assign(e.user as object, { shoe: 1 }),
      /^user\.shoe: not an attribute of user/,
    ],
    ['a wrong type', (e) => Object.assign(e, { time: '2026' }), /^time: "2026" is not timestamp_t/],
    ['a non-integer', (e) => Object.assign(e, { severity_id: 1.5 }), /^severity_id: 1\.5 is not integer_t/],
    [
      'a value outside the enum',
      (e) => Object.assign(e, { activity_id: 7, type_uid: 300207 }),
      /^activity_id: 7 not in enum/,
    ],
    [
      'an inconsistent type_uid',
      (e) => Object.assign(e, { type_uid: 300202 }),
      /type_uid: 300202 is not class_uid/,
    ],
    [
      'a sibling that is not the caption',
      (e) => Object.assign(e, { status: 'Fine' }),
      /^status: "Fine" is not "Success"/,
    ],
    [
      'a bad IP',
      (e) => Object.assign(e, { src_endpoint: { ip: 'not-an-ip' } }),
      /^src_endpoint\.ip: "not-an-ip" does not match ip_t/,
    ],
    ['a broken constraint', (e) => delete e.service, /^: needs one of service, dst_endpoint/],
    [
      'an object constraint',
      (e) => Object.assign(e, { user: { email_addr: 'a@example.com' } }),
      /^user\.: needs one of account, name, uid/,
    ],
    [
      'a profile attribute without its profile',
      (e) => Object.assign(e, { device: { type_id: 0 } }),
      /^device: needs profile host/,
    ],
    ['an unknown class', (e) => Object.assign(e, { class_uid: 4001 }), /^class_uid: no fixture/],
    [
      'a string too long',
      (e) => Object.assign(e, { message: 'm'.repeat(65_536) }),
      /^message: longer than 65535/,
    ],
  ])('%s', (_, patch, expected) => {
    const found = problems(patch);
    expect(
      found.some((p) => expected.test(p)),
      found.join('\n'),
    ).toBe(true);
  });
});
