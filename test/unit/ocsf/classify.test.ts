/**
 * classify(): every rule of the table on an example, the simulator's audit types, the verb
 * reading, the status and severity, the fallback (never dropped), and the class catalogue
 * against the vendored OCSF schema.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLASSIFICATION_RULES,
  type ClassifyInput,
  classify,
  findRule,
  OCSF_CLASSES,
  OCSF_VERSION,
  type OcsfClassUid,
} from '#core/ocsf/index.js';
import { CATEGORIES } from '#local/mimecast-sim/catalog.js';
import { createRandom } from '#local/mimecast-sim/prng.js';
import { loadFixtures } from './ocsf-validator.js';

const input = (
  audit_type: string | null,
  category: string | null = null,
  details: Record<string, string> = {},
): ClassifyInput => ({ audit_type, category, details });

interface Case {
  rule: string;
  auditType: string | null;
  category?: string | null;
  details?: Record<string, string>;
  classUid: OcsfClassUid;
  activity: string;
  status: string;
}

/** One example (at least) per rule; the test below insists every rule has one. */
const CASES: readonly Case[] = [
  { rule: 'logoff', auditType: 'User Logged Off', classUid: 3002, activity: 'Logoff', status: 'Success' },
  { rule: 'logoff', auditType: 'Logout', classUid: 3002, activity: 'Logoff', status: 'Success' },
  {
    rule: 'support-logon',
    auditType: 'Mimecast Support Login',
    category: 'mimecast_access_logs',
    classUid: 3002,
    activity: 'Logon',
    status: 'Success',
  },
  {
    rule: 'logon-failed',
    auditType: 'Logon Authentication Failed',
    classUid: 3002,
    activity: 'Logon',
    status: 'Failure',
  },
  { rule: 'logon-failed', auditType: 'Logon Failed', classUid: 3002, activity: 'Logon', status: 'Failure' },
  { rule: 'logon-failed', auditType: 'Login Denied', classUid: 3002, activity: 'Logon', status: 'Failure' },
  {
    rule: 'logon-challenge',
    auditType: 'Logon Requires Challenge',
    classUid: 3002,
    activity: 'Logon',
    status: 'Challenge Required',
  },
  { rule: 'logon', auditType: 'User Logged On', classUid: 3002, activity: 'Logon', status: 'Success' },
  { rule: 'logon', auditType: 'Logon', classUid: 3002, activity: 'Logon', status: 'Success' },
  {
    rule: 'api-access',
    auditType: 'API Access',
    details: { action: 'Get Audit Events' },
    classUid: 6003,
    activity: 'Get Audit Events',
    status: 'Success',
  },
  {
    rule: 'api-access',
    auditType: 'API Request',
    details: { summary: 'API request to delete "Stale" held messages' },
    classUid: 6003,
    activity: 'Delete',
    status: 'Success',
  },
  {
    rule: 'group',
    auditType: 'Group Membership Changed',
    details: { summary: 'a@example.com removed from group "Finance" by b@example.com' },
    classUid: 3006,
    activity: 'Remove User',
    status: 'Success',
  },
  { rule: 'group', auditType: 'Group Created', classUid: 3006, activity: 'Create', status: 'Success' },
  {
    rule: 'account-settings',
    auditType: 'Account Settings Changed',
    details: { summary: 'Account settings changed by a@example.com' },
    classUid: 3004,
    activity: 'Update',
    status: 'Success',
  },
  {
    rule: 'policy',
    auditType: 'Policy Modified',
    details: { summary: 'Policy "Delete Me" created by a@example.com' },
    classUid: 3004,
    activity: 'Create',
    status: 'Success',
  },
  { rule: 'policy', auditType: 'Policy Changed', classUid: 3004, activity: 'Update', status: 'Success' },
  {
    rule: 'password',
    auditType: 'User Password Changed',
    classUid: 3001,
    activity: 'Password Change',
    status: 'Success',
  },
  {
    rule: 'password',
    auditType: 'Password Reset',
    classUid: 3001,
    activity: 'Password Reset',
    status: 'Success',
  },
  {
    rule: 'role',
    auditType: 'User Role Changed',
    details: { summary: 'Role "Help Desk" assigned to a@example.com by b@example.com' },
    classUid: 3001,
    activity: 'Attach Policy',
    status: 'Success',
  },
  { rule: 'role', auditType: 'Role Assigned', classUid: 3001, activity: 'Attach Policy', status: 'Success' },
  { rule: 'role', auditType: 'Role Revoked', classUid: 3001, activity: 'Detach Policy', status: 'Success' },
  { rule: 'user-account', auditType: 'User Created', classUid: 3001, activity: 'Create', status: 'Success' },
  { rule: 'user-account', auditType: 'Account Locked', classUid: 3001, activity: 'Lock', status: 'Success' },
  {
    rule: 'user-account',
    auditType: 'User Disabled',
    classUid: 3001,
    activity: 'Disable',
    status: 'Success',
  },
  {
    rule: 'message',
    auditType: 'Message Action',
    details: { action: 'Release', summary: 'Message released by a@example.com' },
    classUid: 3004,
    activity: 'Release',
    status: 'Success',
  },
  {
    rule: 'message',
    auditType: 'Message Viewed',
    details: { action: 'Viewed Message' },
    classUid: 3004,
    activity: 'Read',
    status: 'Success',
  },
  {
    rule: 'route',
    auditType: 'Delivery Route Deleted',
    classUid: 3004,
    activity: 'Delete',
    status: 'Success',
  },
  {
    rule: 'connector',
    auditType: 'Connectors Management',
    details: { summary: 'Connector "Splunk" created by a@example.com' },
    classUid: 3004,
    activity: 'Create',
    status: 'Success',
  },
  {
    rule: 'connector',
    auditType: 'Connectors Management',
    classUid: 3004,
    activity: 'Connectors Management',
    status: 'Success',
  },
  {
    rule: 'journal',
    auditType: 'Journal Service Updated',
    classUid: 3004,
    activity: 'Update',
    status: 'Success',
  },
  {
    rule: 'application',
    auditType: 'API Application Key Created',
    classUid: 3004,
    activity: 'Create',
    status: 'Success',
  },
  {
    rule: 'configuration',
    auditType: 'Definition Edited',
    classUid: 3004,
    activity: 'Update',
    status: 'Success',
  },
  { rule: 'report', auditType: 'Report Downloaded', classUid: 3004, activity: 'Read', status: 'Success' },
  { rule: 'report', auditType: 'Report Export', classUid: 3004, activity: 'Read', status: 'Success' },
  {
    rule: 'export',
    auditType: 'Archive Mailbox Export Download',
    classUid: 3004,
    activity: 'Read',
    status: 'Success',
  },
  { rule: 'search', auditType: 'Search Action', classUid: 3004, activity: 'Read', status: 'Success' },
  {
    rule: 'case',
    auditType: 'Case Action',
    details: { summary: 'Case "Exit Interview" closed by a@example.com' },
    classUid: 3004,
    activity: 'Update',
    status: 'Success',
  },
  {
    rule: 'category-authentication',
    auditType: 'Passkey Registered',
    category: 'authentication_logs',
    classUid: 3002,
    activity: 'Logon',
    status: 'Success',
  },
  {
    rule: 'category-mimecast-access',
    auditType: 'Mimecast Support Access Granted',
    category: 'mimecast_access_logs',
    classUid: 3002,
    activity: 'Logon',
    status: 'Success',
  },
  {
    rule: 'category-user-account',
    auditType: 'Alias Created',
    category: 'user_account_and_role_logs',
    classUid: 3001,
    activity: 'Create',
    status: 'Success',
  },
  {
    rule: 'category-group',
    auditType: 'Address Added',
    category: 'profile_group_logs',
    classUid: 3006,
    activity: 'Add User',
    status: 'Success',
  },
  {
    rule: 'category-policy',
    auditType: 'Block Sender Added',
    category: 'policy_logs',
    classUid: 3004,
    activity: 'Create',
    status: 'Success',
  },
  {
    rule: 'category-journal',
    auditType: 'Address Verified',
    category: 'journaling_logs',
    classUid: 3004,
    activity: 'Address Verified',
    status: 'Success',
  },
  {
    rule: 'category-archive',
    auditType: 'Item Viewed',
    category: 'archive_service_logs',
    classUid: 3004,
    activity: 'Read',
    status: 'Success',
  },
  {
    rule: 'category-case',
    auditType: 'Hold Released',
    category: 'case_review_logs',
    classUid: 3004,
    activity: 'Hold Released',
    status: 'Success',
  },
  {
    rule: 'category-report',
    auditType: 'Dashboard Viewed',
    category: 'reporting_logs',
    classUid: 3004,
    activity: 'Read',
    status: 'Success',
  },
  {
    rule: 'category-account',
    auditType: 'Branding Updated',
    category: 'account_logs',
    classUid: 3004,
    activity: 'Update',
    status: 'Success',
  },
  {
    rule: 'fallback',
    auditType: 'Completed Directory Sync',
    category: 'integrations_and_apis',
    classUid: 0,
    activity: 'Completed Directory Sync',
    status: 'Unknown',
  },
  {
    rule: 'fallback',
    auditType: 'Awareness Training Assigned',
    category: 'awareness_training_logs',
    classUid: 0,
    activity: 'Awareness Training Assigned',
    status: 'Unknown',
  },
  {
    rule: 'fallback',
    auditType: 'Continuity Event Started',
    category: 'continuity_services_logs',
    classUid: 0,
    activity: 'Continuity Event Started',
    status: 'Unknown',
  },
  {
    rule: 'fallback',
    auditType: 'Sync Failed',
    category: null,
    classUid: 0,
    activity: 'Sync Failed',
    status: 'Failure',
  },
  { rule: 'fallback', auditType: null, category: null, classUid: 0, activity: 'Unknown', status: 'Unknown' },
];

describe('classify: the rule table', () => {
  it.each(CASES)('$auditType ($category) → $rule', (c) => {
    const result = classify(input(c.auditType, c.category ?? null, c.details));
    expect(result.rule.id).toBe(c.rule);
    expect({ classUid: result.classUid, activity: result.activityName, status: result.statusName }).toEqual({
      classUid: c.classUid,
      activity: c.activity,
      status: c.status,
    });
  });

  it('has an example for every rule, unique ids, and the fallback last and unconditional', () => {
    const ids = CLASSIFICATION_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(CASES.map((c) => c.rule))).toEqual(new Set(ids));
    const last = CLASSIFICATION_RULES[CLASSIFICATION_RULES.length - 1];
    expect(last?.classUid).toBe(0);
    expect(last?.auditType).toBeUndefined();
    expect(last?.categories).toBeUndefined();
  });

  it('needs both audit type and category where a rule names both', () => {
    // A category rule does not fire for another category; the audit-type rules still apply first.
    expect(findRule({ audit_type: 'Passkey Registered', category: 'reporting_logs' }).id).toBe(
      'category-report',
    );
    expect(findRule({ audit_type: 'Passkey Registered', category: null }).id).toBe('fallback');
    expect(findRule({ audit_type: 'User Logged On', category: 'policy_logs' }).id).toBe('logon');
  });
});

describe('classify: the simulator’s audit types', () => {
  // Every template of every category, on a fixed stream; none may fall through to a class it does not belong to.
  const expected: Record<string, OcsfClassUid> = {
    'User Logged On': 3002,
    'Logon Authentication Failed': 3002,
    'Logon Requires Challenge': 3002,
    'Account Settings Changed': 3004,
    'Message Action': 3004,
    'Mimecast Support Login': 3002,
    'Search Action': 3004,
    'Archive Mailbox Export Download': 3004,
    'Case Action': 3004,
    'Connectors Management': 3004,
    'Completed Directory Sync': 0,
    'API Application Key Created': 3004,
    'Group Membership Changed': 3006,
    'Report Downloaded': 3004,
    'User Password Changed': 3001,
    'User Role Changed': 3001,
    'Policy Modified': 3004,
    'Journal Service Updated': 3004,
    'Awareness Training Assigned': 0,
    'Continuity Event Started': 0,
  };

  it('maps each to its class', () => {
    const random = createRandom(42);
    const actor = { name: 'Jane Doe', address: 'jane.doe@example.com', zone: 0 };
    const other = { name: 'John Roe', address: 'john.roe@example.org', zone: 1 };
    const seen = new Set<string>();
    for (const category of CATEGORIES) {
      for (const template of category.templates) {
        const content = template({
          random,
          actor,
          other,
          stamp: 'Date: 2026-01-02, Time: 10:00:00 UTC',
          ip: '192.0.2.1',
        });
        seen.add(content.auditType);
        expect(
          classify(input(content.auditType, category.code, { summary: content.eventInfo })).classUid,
          content.auditType,
        ).toBe(expected[content.auditType]);
      }
    }
    expect(seen).toEqual(new Set(Object.keys(expected)));
  });
});

describe('classify: verbs, status and severity', () => {
  it('reads the action first, then the summary without quoted names or <addresses>, then the audit type', () => {
    expect(
      classify(input('Policy Modified', null, { action: 'Deleted Policy', summary: 'x created' }))
        .activityName,
    ).toBe('Delete');
    expect(
      classify(input('Policy Modified', null, { summary: 'Policy "Remove Later" created by a' }))
        .activityName,
    ).toBe('Create');
    expect(
      classify(input('Export Download', null, { summary: 'Export of <deleted@example.com> by a' }))
        .activityName,
    ).toBe('Read');
    expect(classify(input('Policy Modified')).activityName).toBe('Update');
  });

  it('names an Other activity after the action or the audit type', () => {
    const result = classify(input('Message Action', null, { action: 'Permit Sender' }));
    expect([result.activityId, result.activityName, result.activityFromAction]).toEqual([
      99,
      'Permit Sender',
      true,
    ]);
    expect(classify(input('Unheard Of Thing')).activityName).toBe('Unheard Of Thing');
  });

  it('infers failure from the audit type only, and rates failed logons Low', () => {
    expect(classify(input('User Logged On', null, { reason: 'failed twice' })).statusName).toBe('Success');
    const failed = classify(input('Logon Failed'));
    expect([failed.statusId, failed.severityId]).toEqual([2, 2]);
    const policyFailed = classify(input('Policy Update Failed'));
    expect([policyFailed.classUid, policyFailed.statusId, policyFailed.severityId]).toEqual([3004, 2, 1]);
    expect(classify(input('Logon Requires Challenge')).statusId).toBe(99);
    expect(classify(input('Logon Challenge Failed')).statusId).toBe(2);
  });

  it('classifies anything, never throwing, into an activity of its class', () => {
    const text = fc.option(fc.string({ maxLength: 40 }), { nil: null });
    fc.assert(
      fc.property(
        text,
        fc.option(fc.constantFrom(...CATEGORIES.map((c) => c.code), 'x'), { nil: null }),
        fc.dictionary(fc.constantFrom('action', 'summary', 'other'), fc.string({ maxLength: 40 })),
        (auditType, category, details) => {
          const result = classify(input(auditType, category, details));
          const info = OCSF_CLASSES[result.classUid];
          expect(info.activities[result.activityId]).toBeDefined();
          expect(result.activityName.length).toBeGreaterThan(0);
          if (result.activityId !== 99) expect(result.activityName).toBe(info.activities[result.activityId]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the class catalogue matches the vendored OCSF schema', () => {
  const fixtures = loadFixtures(OCSF_VERSION);
  const byUid = new Map(Object.values(fixtures.classes).map((c) => [c.class_uid, c]));

  it.each(Object.keys(OCSF_CLASSES).map(Number) as OcsfClassUid[])('class %i', (uid) => {
    const info = OCSF_CLASSES[uid];
    const compiled = byUid.get(uid);
    expect(compiled, `fixture for ${uid}`).toBeDefined();
    if (compiled === undefined) return;
    expect([info.className, info.categoryUid, info.categoryName]).toEqual([
      compiled.caption,
      compiled.category_uid,
      compiled.category_name,
    ]);
    const activities = Object.fromEntries(Object.entries(info.activities).map(([id, name]) => [id, name]));
    expect(activities).toEqual(compiled.attributes.activity_id?.enum);
    expect(info.srcEndpoint).toBe('src_endpoint' in compiled.attributes);
    const actor = compiled.attributes.actor;
    expect(info.actor).toBe(
      actor === undefined ? 'none' : actor.profile === 'host' ? 'host-profile' : 'class',
    );
  });
});
