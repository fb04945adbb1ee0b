/**
 * toOcsf(): every class it produces validated against the vendored OCSF schema (simulator
 * records and hand-made ones), the fields it fills, what it refuses to put in `src_endpoint`, and
 * a property test: any record maps to a valid event with the record's id and time.
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import {
  clientIp,
  MAX_STRING,
  OCSF_CLASSES,
  OCSF_VERSION,
  type OcsfEvent,
  toOcsf,
} from '#core/ocsf/index.js';
import { generateBucket } from '#local/mimecast-sim/generator.js';
import { loadFixtures, validateEvent } from './ocsf-validator.js';

const fixtures = loadFixtures(OCSF_VERSION);
const expectValid = (event: OcsfEvent): void => expect(validateEvent(event, fixtures)).toEqual([]);

const record = (overrides: Partial<AuditRecord> = {}): AuditRecord => ({
  id: 'evt-1',
  event_time: '2026-11-25T10:15:30Z',
  category: 'authentication_logs',
  audit_type: 'User Logged On',
  actor: 'jane@example.com',
  event_info:
    'Successful authentication for Jane <jane@example.com>, Date: 2026-11-25, Time: 10:15:30 GMT, IP: 203.0.113.7, Application: Administration Console, 2FA: TOTP',
  details: {
    summary: 'Successful authentication for Jane <jane@example.com>',
    date: '2026-11-25',
    time: '10:15:30 GMT',
    ip: '203.0.113.7',
    application: 'Administration Console',
    '2fa': 'TOTP',
    email_addresses: 'jane@example.com',
  },
  extra: {},
  source: 'main',
  collected_at: '2026-11-25T10:20:00Z',
  ...overrides,
});

/** Records from the simulator, through the collector's normalisation (as archived). */
function simulatorRecords(buckets: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let bucket = 490_000; bucket < 490_000 + buckets; bucket += 1) {
    for (const held of generateBucket({ seed: 11, eventsPerDay: 3000, burstShare: 0.1 }, bucket)) {
      const result = normaliseEvent(held.event, { source: 'main', collectedAt: '2026-01-01T00:00:00Z' });
      if (result.ok) out.push(result.record);
    }
  }
  return out;
}

describe('toOcsf: every class validates against OCSF', () => {
  it('maps every simulator record to a valid event, covering the classes it produces', () => {
    const classes = new Set<number>();
    for (const rec of simulatorRecords(24)) {
      const event = toOcsf(rec, { productVersion: '2026.1' });
      const problems = validateEvent(event, fixtures);
      expect(problems, `${rec.audit_type}: ${problems.join('; ')}`).toEqual([]);
      classes.add(event.class_uid);
    }
    expect(classes).toEqual(new Set([0, 3001, 3002, 3004, 3006]));
  });

  it('API Activity: api.operation, actor and src_endpoint, with or without an IP', () => {
    const api = record({
      category: 'integrations_and_apis',
      audit_type: 'API Access',
      event_info: 'Get Audit Events - IP: 198.51.100.4, Application: SIEM Export',
      details: { action: 'Get Audit Events', ip: '198.51.100.4', application: 'SIEM Export' },
    });
    const event = toOcsf(api);
    expectValid(event);
    expect(event.class_uid).toBe(6003);
    expect(event.type_uid).toBe(600399);
    expect(event.api).toEqual({ operation: 'Get Audit Events', service: { name: 'SIEM Export' } });
    expect(event.src_endpoint).toEqual({ ip: '198.51.100.4' });
    expect(event.actor?.user.email_addr).toBe('jane@example.com');

    const bare = toOcsf({ ...api, actor: '', details: {} });
    expectValid(bare);
    expect(bare.src_endpoint).toEqual({ name: 'Unknown' });
    expect(bare.actor).toEqual({ user: { name: 'Unknown' } });
    expect(bare.api).toEqual({ operation: 'API Access' });
  });

  it('Authentication: user, service, MFA, failure detail; support logins', () => {
    const logon = toOcsf(record());
    expectValid(logon);
    expect(logon).toMatchObject({
      class_uid: 3002,
      activity_id: 1,
      type_uid: 300201,
      status_id: 1,
      user: { uid: 'jane@example.com', email_addr: 'jane@example.com' },
      service: { name: 'Administration Console' },
      is_mfa: true,
      src_endpoint: { ip: '203.0.113.7' },
    });
    const failed = toOcsf(
      record({
        audit_type: 'Logon Authentication Failed',
        details: { reason: 'Account locked', ip: '192.0.2.9' },
      }),
    );
    expectValid(failed);
    expect([failed.status_id, failed.status, failed.status_detail, failed.severity]).toEqual([
      2,
      'Failure',
      'Account locked',
      'Low',
    ]);
    const support = toOcsf(
      record({
        audit_type: 'Mimecast Support Login',
        category: 'mimecast_access_logs',
        actor: '',
        details: {},
      }),
    );
    expectValid(support);
    expect(support.user).toEqual({ name: 'Mimecast Support' });
    expect(support.service).toEqual({ name: 'Mimecast' });
    expect(support.actor).toBeUndefined();
  });

  it('Account Change, Group Management, Entity Management: their subjects', () => {
    const password = toOcsf(
      record({
        category: 'user_account_and_role_logs',
        audit_type: 'User Password Changed',
        details: {
          summary: 'Password changed for john@example.org by jane@example.com',
          email_addresses: 'john@example.org,jane@example.com',
        },
      }),
    );
    expectValid(password);
    expect([password.activity_name, password.user?.email_addr, password.actor?.user.uid]).toEqual([
      'Password Change',
      'john@example.org',
      'jane@example.com',
    ]);

    const group = toOcsf(
      record({
        category: 'profile_group_logs',
        audit_type: 'Group Membership Changed',
        details: {
          summary: 'john@example.org added to group "VIP Users" by jane@example.com',
          email_addresses: 'john@example.org,jane@example.com',
        },
      }),
    );
    expectValid(group);
    expect([group.activity_name, group.group?.name, group.user?.uid, group.metadata.profiles]).toEqual([
      'Add User',
      'VIP Users',
      'john@example.org',
      ['host'],
    ]);

    const policy = toOcsf(
      record({
        category: 'policy_logs',
        audit_type: 'Policy Modified',
        details: { summary: 'Policy "Anti-Spoofing" deleted by jane@example.com', ip: '203.0.113.7' },
      }),
    );
    expectValid(policy);
    expect([policy.activity_name, policy.entity]).toEqual([
      'Delete',
      { name: 'Anti-Spoofing', type: 'Policy' },
    ]);
    // Entity Management has no src_endpoint in OCSF 1.1.0: the address stays in unmapped.
    expect(policy.src_endpoint).toBeUndefined();
    expect(policy.unmapped.details).toEqual({ ip: '203.0.113.7' });

    const nobody = toOcsf(
      record({ category: 'policy_logs', audit_type: 'Policy Modified', actor: null, details: {} }),
    );
    expectValid(nobody);
    expect([nobody.entity, nobody.actor, nobody.metadata.profiles]).toEqual([
      { name: 'Unknown', type: 'Policy' },
      undefined,
      undefined,
    ]);
  });

  it('Base Event: anything unrecognised, with its actor in unmapped', () => {
    const event = toOcsf(
      record({ category: 'new_logs', audit_type: 'Quantum Flux Calibrated', details: { ip: '192.0.2.1' } }),
    );
    expectValid(event);
    expect(event).toMatchObject({ class_uid: 0, category_uid: 0, activity_id: 99, type_uid: 99 });
    expect([event.activity_name, event.type_name]).toEqual(['Quantum Flux Calibrated', 'Base Event: Other']);
    expect(event.actor).toBeUndefined();
    expect(event.unmapped).toMatchObject({ actor: 'jane@example.com', details: { ip: '192.0.2.1' } });
  });
});

describe('toOcsf: the fields', () => {
  it('fills metadata, time and message, and keeps the rest in unmapped', () => {
    const event = toOcsf(
      record({ extra: { quarantineId: 'q-1' }, details: { ...record().details, method: 'SAML' } }),
      { productVersion: '2026.1' },
    );
    expect(event.time).toBe(Date.parse('2026-11-25T10:15:30Z'));
    expect(event.timezone_offset).toBe(0);
    expect(event.message).toBe(record().event_info);
    expect(event.metadata).toEqual({
      version: OCSF_VERSION,
      product: { name: 'Mimecast', vendor_name: 'Mimecast', version: '2026.1' },
      uid: 'evt-1',
      original_time: '2026-11-25T10:15:30Z',
      logged_time: Date.parse('2026-11-25T10:20:00Z'),
    });
    expect(event.unmapped).toEqual({
      audit_type: 'User Logged On',
      category: 'authentication_logs',
      source: 'main',
      details: {
        date: '2026-11-25',
        time: '10:15:30 GMT',
        email_addresses: 'jane@example.com',
        method: 'SAML',
      },
      extra: { quarantineId: 'q-1' },
    });
    expect(Object.keys(event).at(-1)).toBe('unmapped');
    expect(event.raw_data).toBeUndefined();
  });

  it('adds raw_data when asked, and is deterministic', () => {
    const rec = record();
    const a = toOcsf(rec, { rawData: true });
    expect(a.raw_data).toBe(JSON.stringify(rec));
    expectValid(a);
    expect(JSON.stringify(toOcsf(structuredClone(rec), { rawData: true }))).toBe(JSON.stringify(a));
  });

  it('cuts strings at the OCSF limit and keeps the whole text in unmapped', () => {
    const long = `Logon ${'x'.repeat(MAX_STRING + 10)}`;
    const event = toOcsf(record({ event_info: long, actor: 'y'.repeat(MAX_STRING + 1) }), { rawData: true });
    expectValid(event);
    expect(event.message?.length).toBe(MAX_STRING);
    expect(event.unmapped.event_info).toBe(long);
    expect(event.raw_data).toBeUndefined();
  });

  it('refuses a record whose event_time is not a date', () => {
    expect(() => toOcsf(record({ event_time: 'yesterday' }))).toThrow(RangeError);
  });
});

describe('toOcsf: src_endpoint only gets a real, unambiguous client IP', () => {
  it.each(['203.0.113.7', '2001:db8::1', '::ffff:192.0.2.1', '2001:DB8:0:0:0:0:0:1'])('accepts %s', (ip) => {
    const event = toOcsf(record({ details: { ip } }));
    expect(event.src_endpoint).toEqual({ ip });
    expectValid(event);
  });

  it.each([
    '203.0.113.7, 10.0.0.1',
    '203.0.113.7 (via proxy)',
    ' 203.0.113.7',
    '203.0.113.7:443',
    '999.1.1.1',
    '01.2.3.4',
    '203.0.113',
    'fe80::1%eth0',
    '10.0.0.0/8',
    'localhost',
    '<script>alert(1)</script>',
    '',
  ])('rejects %j', (ip) => {
    const event = toOcsf(record({ details: { ip } }));
    expect(event.src_endpoint).toBeUndefined();
    expectValid(event);
    if (ip !== '') expect(event.unmapped.details).toEqual({ ip });
  });

  it('believes neither address when the text had two IP labels', () => {
    expect(clientIp({ ip: '203.0.113.7', ip_2: '198.51.100.1' })).toBeUndefined();
    const event = toOcsf(record({ details: { ip: '203.0.113.7', ip_2: '198.51.100.1' } }));
    expect(event.src_endpoint).toBeUndefined();
    expect(event.unmapped.details).toEqual({ ip: '203.0.113.7', ip_2: '198.51.100.1' });
  });
});

describe('toOcsf: any record', () => {
  const text = fc.string({ maxLength: 30 });
  const known = [
    'User Logged On',
    'Logon Authentication Failed',
    'Logon Requires Challenge',
    'Mimecast Support Login',
    'API Access',
    'Group Membership Changed',
    'User Role Changed',
    'User Password Changed',
    'Policy Modified',
    'Message Action',
  ];
  const detailValue = fc.oneof(
    text,
    fc.constantFrom('203.0.113.7', '2001:db8::5', '1.2.3.4, 5.6.7.8', 'None', 'a@example.com,b@example.org'),
  );
  const arbitraryRecord: fc.Arbitrary<AuditRecord> = fc.record({
    id: fc.string({ minLength: 1, maxLength: 20 }),
    event_time: fc
      .date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => `${d.toISOString().slice(0, 19)}Z`),
    category: fc.option(
      fc.oneof(text, fc.constantFrom(...['authentication_logs', 'policy_logs', 'profile_group_logs'])),
      {
        nil: null,
      },
    ),
    audit_type: fc.option(fc.oneof(text, fc.constantFrom(...known)), { nil: null }),
    actor: fc.option(fc.oneof(text, fc.constantFrom('jane@example.com', '')), { nil: null }),
    event_info: fc.option(text, { nil: null }),
    details: fc.dictionary(
      fc.oneof(
        text,
        fc.constantFrom('ip', 'ip_2', 'application', 'action', 'email_addresses', 'summary', '2fa', 'reason'),
      ),
      detailValue,
      { maxKeys: 6 },
    ),
    extra: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    source: text,
    collected_at: fc.oneof(fc.constant('2026-01-01T00:00:00Z'), text),
  });

  it('maps to a valid event of some class, with the record’s id and time', () => {
    fc.assert(
      fc.property(arbitraryRecord, fc.boolean(), (rec, rawData) => {
        const event = toOcsf(rec, { rawData });
        expect(validateEvent(event, fixtures)).toEqual([]);
        expect(OCSF_CLASSES[event.class_uid]).toBeDefined();
        expect(event.metadata.uid).toBe(rec.id);
        expect(event.time).toBe(Date.parse(rec.event_time));
        if (event.src_endpoint?.ip !== undefined) {
          expect(isIP(event.src_endpoint.ip)).not.toBe(0);
          expect(event.src_endpoint.ip).toBe(rec.details.ip);
        }
        expect(JSON.stringify(toOcsf(rec, { rawData }))).toBe(JSON.stringify(event));
      }),
      { numRuns: 1000 },
    );
  });
});
