/**
 * What generated events look like: Mimecast's audit categories, their audit types and
 * `eventInfo` texts in the `Key: Value, Key: Value` style Mimecast documents (docs/development.md).
 */
import { intBetween, pick, type Random } from './prng.js';

/** A person who appears in events. */
export interface Actor {
  name: string;
  address: string;
  /** Index into SIM_ZONES: where the actor's local times are printed. */
  zone: number;
}

/** Everything a template needs to write one event. */
export interface EventContext {
  random: Random;
  actor: Actor;
  /** A second person (the subject of an admin action). */
  other: Actor;
  /** `Date: 2021-10-11, Time: 18:17:30 BST` in the actor's zone. */
  stamp: string;
  ip: string;
}

/** The variable part of one event. */
export interface EventContent {
  auditType: string;
  /** The acting user's address; `''` for system events, as Mimecast sends them. */
  user: string;
  eventInfo: string;
}

type Template = (ctx: EventContext) => EventContent;

/** A Mimecast audit category with its generator weight and templates. */
export interface CategoryDefinition {
  code: string;
  id: string;
  name: string;
  weight: number;
  templates: readonly Template[];
}

const FIRST = [
  'Jane',
  'John',
  'Amara',
  'Wei',
  'Lucia',
  'Oskar',
  'Priya',
  'Mateo',
  'Chloe',
  'Kenji',
  'Fatima',
  'Liam',
];
const LAST = [
  'Doe',
  'Smith',
  'Okafor',
  'Zhang',
  'Rossi',
  'Berg',
  'Sharma',
  'Garcia',
  'Martin',
  'Sato',
  'Haddad',
];
const DOMAINS = ['example.com', 'example.org'];

/** A fixed pool of actors (the seed picks among them; names are the same for every seed). */
export const ACTORS: readonly Actor[] = FIRST.flatMap((first, i) =>
  LAST.filter((_, j) => (i + j) % 3 !== 0).map((last, j) => ({
    name: `${first} ${last}`,
    address: `${first}.${last}@${DOMAINS[(i + j) % DOMAINS.length] ?? 'example.com'}`.toLowerCase(),
    zone: (i * 7 + j) % 5,
  })),
);

const APPLICATIONS = [
  'Administration Console',
  'Mimecast Personal Portal',
  'Mimecast for Outlook',
  'Mimecast Mobile',
  'API',
];
const METHODS = ['Cloud', 'Domain', 'SAML', 'Two Step Auth'];
const hex = (random: Random, length: number): string => {
  let out = '';
  for (let i = 0; i < length; i += 1) out += '0123456789abcdef'[Math.floor(random() * 16)] ?? '0';
  return out;
};
const uuid = (random: Random): string =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

const t = (templates: Template[]): readonly Template[] => templates;

/** The categories Mimecast documents, in the order get-categories lists them. */
export const CATEGORIES: readonly CategoryDefinition[] = [
  {
    code: 'authentication_logs',
    id: 'mc-audit-category-01',
    name: 'Authentication Logs',
    weight: 40,
    templates: t([
      ({ random, actor, stamp, ip }) => ({
        auditType: 'User Logged On',
        user: actor.address,
        eventInfo: `Successful authentication for ${actor.name} <${actor.address}>, ${stamp}, IP: ${ip}, Application: ${pick(random, APPLICATIONS)}, Method: ${pick(random, METHODS)}, 2FA: ${pick(random, ['TOTP', 'SMS', 'Push', 'None'])}`,
      }),
      ({ random, actor, stamp, ip }) => ({
        auditType: 'Logon Authentication Failed',
        user: actor.address,
        eventInfo: `Failed authentication for ${actor.address}, ${stamp}, IP: ${ip}, Application: ${pick(random, APPLICATIONS)}, Reason: ${pick(random, ['Incorrect password', 'Account locked', 'Unknown user', 'IP not permitted'])}`,
      }),
      ({ random, actor, stamp, ip }) => ({
        auditType: 'Logon Requires Challenge',
        user: actor.address,
        eventInfo: `Authentication challenge issued for ${actor.name} <${actor.address}>, ${stamp}, IP: ${ip}, Application: ${pick(random, APPLICATIONS)}, Challenge: ${pick(random, ['TOTP', 'SMS', 'Email'])}`,
      }),
    ]),
  },
  {
    code: 'account_logs',
    id: 'mc-audit-category-02',
    name: 'Account Logs',
    weight: 8,
    templates: t([
      ({ random, actor, stamp, ip }) => ({
        auditType: 'Account Settings Changed',
        user: actor.address,
        eventInfo: `Account settings changed by ${actor.address}, ${stamp}, IP: ${ip}, Setting: ${pick(random, ['Session Timeout', 'Password Policy', 'Default Language', 'Allowed IP Ranges'])}, Old Value: ${intBetween(random, 5, 60)}, New Value: ${intBetween(random, 5, 60)}`,
      }),
      ({ random, actor, other, stamp }) => ({
        auditType: 'Message Action',
        user: actor.address,
        eventInfo: `Message released by ${actor.address}, ${stamp}, Message ID: <${hex(random, 16)}@mail.example.org>, Sender: ${other.address}, Recipient: ${pick(random, ACTORS).address}, Action: ${pick(random, ['Release', 'Reject', 'Permit Sender', 'Block Sender'])}, Reason: ${pick(random, ['False positive', 'Confirmed spam', 'Requested by user'])}`,
      }),
    ]),
  },
  {
    code: 'mimecast_access_logs',
    id: 'mc-audit-category-03',
    name: 'Mimecast Access Logs',
    weight: 2,
    templates: t([
      ({ random, stamp }) => ({
        auditType: 'Mimecast Support Login',
        user: '',
        eventInfo: `Mimecast support logged on to the account, ${stamp}, Support Case: 0${intBetween(random, 1_000_000, 9_999_999)}, Reason: ${pick(random, ['Customer request', 'Configuration review', 'Incident investigation'])}`,
      }),
    ]),
  },
  {
    code: 'archive_service_logs',
    id: 'mc-audit-category-04',
    name: 'Archive Service Logs',
    weight: 8,
    templates: t([
      ({ random, actor, stamp }) => ({
        auditType: 'Search Action',
        user: actor.address,
        eventInfo: `Archive search by ${actor.address}, ${stamp}, Search Reason: ${pick(random, ['Legal hold', 'HR request', 'Lost message', 'eDiscovery'])}, Source: Archive Search, Terms: "${pick(random, ['invoice', 'contract', 'project atlas', 'password reset'])}"`,
      }),
      ({ random, actor, other, stamp, ip }) => ({
        auditType: 'Archive Mailbox Export Download',
        user: actor.address,
        eventInfo: `Export of mailbox <${other.address}> downloaded by ${actor.address}, ${stamp}, IP: ${ip}, Export ID: ${uuid(random)}, Size: ${intBetween(random, 1, 4096)} MB`,
      }),
    ]),
  },
  {
    code: 'case_review_logs',
    id: 'mc-audit-category-05',
    name: 'Case Review Logs',
    weight: 3,
    templates: t([
      ({ random, actor, other, stamp }) => ({
        auditType: 'Case Action',
        user: actor.address,
        eventInfo: `Case "${pick(random, ['HR-2024-07', 'Legal Hold Q3', 'Phishing Review', 'Exit Interview'])}" ${pick(random, ['created', 'updated', 'closed'])} by ${actor.address}, ${stamp}, Reviewer: ${other.address}`,
      }),
    ]),
  },
  {
    code: 'integrations_and_apis',
    id: 'mc-audit-category-06',
    name: 'Integrations and APIs',
    weight: 6,
    templates: t([
      ({ random, actor, stamp }) => ({
        auditType: 'Connectors Management',
        user: actor.address,
        eventInfo: `Connector "${pick(random, ['Splunk', 'Microsoft 365', 'AWS Security Lake', 'ServiceNow'])}" ${pick(random, ['created', 'updated', 'deleted'])} by ${actor.address}, ${stamp}, Connector ID: ${uuid(random)}`,
      }),
      ({ random, stamp }) => ({
        auditType: 'Completed Directory Sync',
        user: '',
        eventInfo: `Directory synchronization completed, ${stamp}, Source: ${pick(random, ['Azure Active Directory', 'Active Directory (LDAP)', 'Google Workspace'])}, Users Added: ${intBetween(random, 0, 12)}, Users Removed: ${intBetween(random, 0, 4)}, Groups Updated: ${intBetween(random, 0, 9)}`,
      }),
      ({ random, actor, stamp }) => ({
        auditType: 'API Application Key Created',
        user: actor.address,
        eventInfo: `API key created for application "${pick(random, ['SIEM Export', 'Audit Lake', 'Helpdesk Bot'])}" by ${actor.address}, ${stamp}, Application ID: ${uuid(random)}`,
      }),
    ]),
  },
  {
    code: 'profile_group_logs',
    id: 'mc-audit-category-07',
    name: 'Profile Group Logs',
    weight: 5,
    templates: t([
      ({ random, actor, other, stamp }) => ({
        auditType: 'Group Membership Changed',
        user: actor.address,
        eventInfo: `${other.address} ${pick(random, ['added to', 'removed from'])} group "${pick(random, ['VIP Users', 'Finance', 'Contractors', 'Allowed Senders'])}" by ${actor.address}, ${stamp}`,
      }),
    ]),
  },
  {
    code: 'reporting_logs',
    id: 'mc-audit-category-08',
    name: 'Reporting Logs',
    weight: 5,
    templates: t([
      ({ random, actor, stamp }) => ({
        auditType: 'Report Downloaded',
        user: actor.address,
        eventInfo: `Report "${pick(random, ['Threat Dashboard', 'Message Volume', 'Attachment Protection', 'URL Protection'])}" downloaded by ${actor.address}, ${stamp}, Format: ${pick(random, ['PDF', 'CSV'])}`,
      }),
    ]),
  },
  {
    code: 'user_account_and_role_logs',
    id: 'mc-audit-category-09',
    name: 'User Account and Role Logs',
    weight: 8,
    templates: t([
      ({ actor, other, stamp, ip }) => ({
        auditType: 'User Password Changed',
        user: actor.address,
        eventInfo: `Password changed for ${other.address} by ${actor.address}, ${stamp}, IP: ${ip}`,
      }),
      ({ random, actor, other, stamp }) => ({
        auditType: 'User Role Changed',
        user: actor.address,
        eventInfo: `Role "${pick(random, ['Basic Administrator', 'Full Administrator', 'Discovery Officer', 'Help Desk'])}" ${pick(random, ['assigned to', 'removed from'])} ${other.address} by ${actor.address}, ${stamp}`,
      }),
    ]),
  },
  {
    code: 'policy_logs',
    id: 'mc-audit-category-10',
    name: 'Policy Logs',
    weight: 6,
    templates: t([
      ({ random, actor, stamp }) => ({
        auditType: 'Policy Modified',
        user: actor.address,
        eventInfo: `Policy "${pick(random, ['Block Executables', 'Anti-Spoofing', 'Impersonation Protect', 'Secure Messaging'])}" ${pick(random, ['created', 'modified', 'deleted'])} by ${actor.address}, ${stamp}, Policy Type: ${pick(random, ['Attachment Management', 'Anti-Spoofing', 'Impersonation Protection'])}, Applies From: Everyone, Applies To: ${pick(random, ['Internal Addresses', 'Finance', 'Everyone'])}`,
      }),
    ]),
  },
  {
    code: 'journaling_logs',
    id: 'mc-audit-category-11',
    name: 'Journaling Logs',
    weight: 2,
    templates: t([
      ({ random, actor, stamp }) => ({
        auditType: 'Journal Service Updated',
        user: actor.address,
        eventInfo: `Journal connector updated by ${actor.address}, ${stamp}, Connector: ${pick(random, ['Exchange Online', 'Exchange 2019', 'Google Workspace'])}, Status: ${pick(random, ['Enabled', 'Disabled'])}`,
      }),
    ]),
  },
  {
    code: 'awareness_training_logs',
    id: 'mc-audit-category-12',
    name: 'Awareness Training Logs',
    weight: 3,
    templates: t([
      ({ random, actor, other, stamp }) => ({
        auditType: 'Awareness Training Assigned',
        user: actor.address,
        eventInfo: `Module "${pick(random, ['Phishing Basics', 'Password Hygiene', 'Data Handling'])}" assigned to ${other.address} by ${actor.address}, ${stamp}, Campaign: ${pick(random, ['Q1 Refresh', 'New Starters', 'Finance Focus'])}`,
      }),
    ]),
  },
  {
    code: 'continuity_services_logs',
    id: 'mc-audit-category-13',
    name: 'Continuity Services Logs',
    weight: 2,
    templates: t([
      ({ random, actor, stamp }) => ({
        auditType: 'Continuity Event Started',
        user: actor.address,
        eventInfo: `Continuity event ${pick(random, ['started', 'ended'])} by ${actor.address}, ${stamp}, Event ID: ${uuid(random)}, Reason: ${pick(random, ['Exchange outage', 'Planned maintenance', 'Test'])}`,
      }),
    ]),
  },
];

/** Every known category code. */
export const CATEGORY_CODES: ReadonlySet<string> = new Set(CATEGORIES.map((category) => category.code));

const TOTAL_WEIGHT = CATEGORIES.reduce((sum, category) => sum + category.weight, 0);

/** Picks a category by weight (authentication events dominate, as in real accounts). */
export function pickCategory(random: Random): CategoryDefinition {
  let roll = random() * TOTAL_WEIGHT;
  for (const category of CATEGORIES) {
    roll -= category.weight;
    if (roll < 0) return category;
  }
  // Floating-point rounding can leave a tiny remainder: fall back to the last one.
  return CATEGORIES[CATEGORIES.length - 1] as CategoryDefinition;
}

/** A documentation-range address (RFC 5737 / RFC 3849), sometimes IPv6. */
export function pickIp(random: Random): string {
  const roll = random();
  if (roll < 0.45) return `203.0.113.${intBetween(random, 1, 254)}`;
  if (roll < 0.75) return `198.51.100.${intBetween(random, 1, 254)}`;
  if (roll < 0.92) return `192.0.2.${intBetween(random, 1, 254)}`;
  return `2001:db8::${hex(random, 4)}`;
}
