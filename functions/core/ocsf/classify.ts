/**
 * Which OCSF class, activity and status an archived Mimecast audit event becomes.
 *
 * Table-driven: CLASSIFICATION_RULES is an ordered list, the first rule that matches wins and
 * the last one matches everything (Base Event), so no event is ever dropped. A rule matches on
 * `audit_type` (every pattern must match), on `category` (one of the codes), or both. The
 * activity is either fixed or read from the event's verbs (`details.action`, then the free text
 * of `details.summary` without its quoted names and `<addresses>`, then `audit_type`); the first
 * word found in the rule's verb table decides. docs/ocsf.md renders the table.
 */
import type { AuditRecord } from '#core/archive/record.js';

/** The OCSF classes this module produces. */
export type OcsfClassUid = 0 | 3001 | 3002 | 3004 | 3006 | 6003;

/** What the mapper needs to know about a class (names as OCSF 1.1.0 spells them). */
export interface OcsfClassInfo {
  readonly className: string;
  readonly categoryUid: number;
  readonly categoryName: string;
  readonly activities: Readonly<Record<number, string>>;
  /** Whether the class has `src_endpoint` (Entity and Group Management and Base Event do not in 1.1.0). */
  readonly srcEndpoint: boolean;
  /** How the class has `actor`: not at all, as its own attribute, or only through the `host` profile. */
  readonly actor: 'none' | 'class' | 'host-profile';
}

const IAM = { categoryUid: 3, categoryName: 'Identity & Access Management' } as const;
const CRUD = { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' } as const;

export const OCSF_CLASSES: Readonly<Record<OcsfClassUid, OcsfClassInfo>> = {
  0: {
    className: 'Base Event',
    categoryUid: 0,
    categoryName: 'Uncategorized',
    activities: { 0: 'Unknown', 99: 'Other' },
    srcEndpoint: false,
    actor: 'none',
  },
  3001: {
    className: 'Account Change',
    ...IAM,
    activities: {
      0: 'Unknown',
      1: 'Create',
      2: 'Enable',
      3: 'Password Change',
      4: 'Password Reset',
      5: 'Disable',
      6: 'Delete',
      7: 'Attach Policy',
      8: 'Detach Policy',
      9: 'Lock',
      10: 'MFA Factor Enable',
      11: 'MFA Factor Disable',
      99: 'Other',
    },
    srcEndpoint: true,
    actor: 'class',
  },
  3002: {
    className: 'Authentication',
    ...IAM,
    activities: {
      0: 'Unknown',
      1: 'Logon',
      2: 'Logoff',
      3: 'Authentication Ticket',
      4: 'Service Ticket Request',
      5: 'Service Ticket Renew',
      99: 'Other',
    },
    srcEndpoint: true,
    actor: 'class',
  },
  3004: {
    className: 'Entity Management',
    ...IAM,
    activities: CRUD,
    srcEndpoint: false,
    actor: 'host-profile',
  },
  3006: {
    className: 'Group Management',
    ...IAM,
    activities: {
      0: 'Unknown',
      1: 'Assign Privileges',
      2: 'Revoke Privileges',
      3: 'Add User',
      4: 'Remove User',
      5: 'Delete',
      6: 'Create',
      99: 'Other',
    },
    srcEndpoint: false,
    actor: 'host-profile',
  },
  6003: {
    className: 'API Activity',
    categoryUid: 6,
    categoryName: 'Application Activity',
    activities: CRUD,
    srcEndpoint: true,
    actor: 'class',
  },
};

export const SEVERITY = { 1: 'Informational', 2: 'Low' } as const;
export const STATUS = { 0: 'Unknown', 1: 'Success', 2: 'Failure', 99: 'Other' } as const;
export type SeverityId = keyof typeof SEVERITY;
export type StatusId = keyof typeof STATUS;

/** Words (lower case) → activity id. */
export interface VerbTable {
  readonly name: string;
  readonly words: Readonly<Record<string, number>>;
}

const verbs = (name: string, groups: Record<number, readonly string[]>): VerbTable => {
  const words: Record<string, number> = Object.create(null);
  for (const [id, list] of Object.entries(groups)) for (const word of list) words[word] = Number(id);
  return { name, words };
};

export const CRUD_VERBS = verbs('create / read / update / delete', {
  1: ['create', 'created', 'add', 'added', 'new'],
  2: [
    'read',
    'view',
    'viewed',
    'download',
    'downloaded',
    'export',
    'exported',
    'search',
    'searched',
    'accessed',
    'retrieved',
    'listed',
  ],
  3: [
    'update',
    'updated',
    'modify',
    'modified',
    'change',
    'changed',
    'edit',
    'edited',
    'enable',
    'enabled',
    'disable',
    'disabled',
    'rename',
    'renamed',
    'configure',
    'configured',
    'close',
    'closed',
  ],
  4: ['delete', 'deleted', 'remove', 'removed', 'purge', 'purged'],
});

export const ACCOUNT_VERBS = verbs('account', {
  1: ['create', 'created', 'add', 'added'],
  2: ['enable', 'enabled', 'unlock', 'unlocked', 'reactivated'],
  5: ['disable', 'disabled', 'suspend', 'suspended', 'deactivated'],
  6: ['delete', 'deleted', 'remove', 'removed'],
  9: ['lock', 'locked'],
});
export const PASSWORD_VERBS = verbs('password', {
  3: ['change', 'changed', 'set', 'updated'],
  4: ['reset'],
});
export const ROLE_VERBS = verbs('role', {
  7: ['assign', 'assigned', 'add', 'added', 'grant', 'granted'],
  8: ['remove', 'removed', 'revoke', 'revoked', 'unassign', 'unassigned'],
});
export const GROUP_VERBS = verbs('group', {
  1: ['grant', 'granted'],
  2: ['revoke', 'revoked'],
  3: ['add', 'added', 'join', 'joined'],
  4: ['remove', 'removed', 'leave', 'left'],
  5: ['delete', 'deleted'],
  6: ['create', 'created'],
});

/** A fixed activity, or the first verb of the event found in a table (else `otherwise`). */
export type ActivityRule =
  | { readonly id: number }
  | { readonly verbs: VerbTable; readonly otherwise: number };

/**
 * - `inferred`: Failure when `audit_type` has a failure word (fail…, denied, unsuccessful, refused), else Success
 *   (an audit entry records something that happened).
 * - `challenge`: Failure on a failure word, else Other (`Challenge Required`): the logon is not complete yet.
 * - `unknown`: Failure on a failure word, else Unknown (the fallback: we do not know what happened).
 */
export type StatusRule = 'inferred' | 'challenge' | 'unknown';

/** Entity Management: the entity's type and the `details` keys its name and uid may come from. */
export interface EntitySpec {
  readonly type: string;
  readonly nameKeys?: readonly string[];
  readonly uidKeys?: readonly string[];
}

export interface ClassificationRule {
  /** Stable name (tests, docs). */
  readonly id: string;
  /** What matches, in words (docs/ocsf.md). */
  readonly when: string;
  /** Every pattern must match `audit_type`. */
  readonly auditType?: readonly RegExp[];
  /** `category` must be one of these codes. */
  readonly categories?: readonly string[];
  readonly classUid: OcsfClassUid;
  readonly activity: ActivityRule;
  readonly status: StatusRule;
  readonly entity?: EntitySpec;
  /** Authentication: who authenticated, when it is not the event's actor. */
  readonly subject?: 'mimecast-support';
}

const LOGON = /\b(?:log(?:ged)? ?(?:on|in)s?|sign(?:ed)? ?(?:on|in)s?|authenticat\w*)\b/i;
const LOGOFF = /\b(?:log(?:ged)? ?(?:off|out)|sign(?:ed)? ?(?:off|out))\b/i;
/** Words that make an event a failure (tested on `audit_type` only: `details` are partly attacker-influenced). */
export const FAILURE = /\b(?:fail\w*|denied|unsuccessful|refused)\b/i;
const CHALLENGE = /\bchallenge\w*/i;

const entity = (
  id: string,
  when: string,
  auditType: readonly RegExp[] | null,
  spec: EntitySpec,
  categories?: readonly string[],
): ClassificationRule => ({
  id,
  when,
  ...(auditType ? { auditType } : {}),
  ...(categories ? { categories } : {}),
  classUid: 3004,
  activity: { verbs: CRUD_VERBS, otherwise: 99 },
  status: 'inferred',
  entity: spec,
});

const POLICY: EntitySpec = { type: 'Policy', nameKeys: ['policy', 'definition'], uidKeys: ['policy_id'] };
const JOURNAL: EntitySpec = { type: 'Journal Connector', nameKeys: ['connector'] };
const ARCHIVE: EntitySpec = { type: 'Archive', nameKeys: ['source'] };
const CASE: EntitySpec = { type: 'Case' };
const REPORT: EntitySpec = { type: 'Report', nameKeys: ['report'] };

/** The rules, in order; the first that matches wins. */
export const CLASSIFICATION_RULES: readonly ClassificationRule[] = [
  {
    id: 'logoff',
    when: 'audit type says log off / log out / sign out',
    auditType: [LOGOFF],
    classUid: 3002,
    activity: { id: 2 },
    status: 'inferred',
  },
  {
    id: 'support-logon',
    when: 'audit type says support and logon / login (e.g. `Mimecast Support Login`)',
    auditType: [/\bsupport\b/i, LOGON],
    classUid: 3002,
    activity: { id: 1 },
    status: 'inferred',
    subject: 'mimecast-support',
  },
  {
    id: 'logon-failed',
    when: 'audit type says logon / login / authentication and fail… / denied (e.g. `Logon Authentication Failed`)',
    auditType: [LOGON, FAILURE],
    classUid: 3002,
    activity: { id: 1 },
    status: 'inferred',
  },
  {
    id: 'logon-challenge',
    when: 'audit type says logon and challenge (e.g. `Logon Requires Challenge`)',
    auditType: [LOGON, CHALLENGE],
    classUid: 3002,
    activity: { id: 1 },
    status: 'challenge',
  },
  {
    id: 'logon',
    when: 'audit type says logon / logged on / login / sign in / authentication (e.g. `User Logged On`)',
    auditType: [LOGON],
    classUid: 3002,
    activity: { id: 1 },
    status: 'inferred',
  },
  {
    id: 'api-access',
    when: 'audit type says API and access / call / request / invoked / used',
    auditType: [/\bapi\b/i, /\b(?:access\w*|call\w*|request\w*|invok\w*|usage|used)\b/i],
    classUid: 6003,
    activity: { verbs: CRUD_VERBS, otherwise: 99 },
    status: 'inferred',
  },
  {
    id: 'group',
    when: 'audit type says group (e.g. `Group Membership Changed`)',
    auditType: [/\bgroups?\b/i],
    classUid: 3006,
    activity: { verbs: GROUP_VERBS, otherwise: 99 },
    status: 'inferred',
  },
  entity(
    'account-settings',
    'audit type says account and setting(s) (e.g. `Account Settings Changed`)',
    [/\baccounts?\b/i, /\bsettings?\b/i],
    {
      type: 'Account Setting',
      nameKeys: ['setting'],
    },
  ),
  entity('policy', 'audit type says policy (e.g. `Policy Modified`)', [/\bpolic(?:y|ies)\b/i], POLICY),
  {
    id: 'password',
    when: 'audit type says password (e.g. `User Password Changed`)',
    auditType: [/\bpasswords?\b/i],
    classUid: 3001,
    activity: { verbs: PASSWORD_VERBS, otherwise: 3 },
    status: 'inferred',
  },
  {
    id: 'role',
    when: 'audit type says role (e.g. `User Role Changed`)',
    auditType: [/\broles?\b/i],
    classUid: 3001,
    activity: { verbs: ROLE_VERBS, otherwise: 99 },
    status: 'inferred',
  },
  {
    id: 'user-account',
    when: 'audit type says user / account / mailbox / admin and created / deleted / enabled / disabled / locked …',
    auditType: [
      /\b(?:users?|accounts?|mailbox(?:es)?|admin\w*)\b/i,
      /\b(?:creat\w*|add(?:ed)?|delet\w*|remov\w*|enabl\w*|disabl\w*|lock\w*|unlock\w*|suspend\w*)\b/i,
    ],
    classUid: 3001,
    activity: { verbs: ACCOUNT_VERBS, otherwise: 99 },
    status: 'inferred',
  },
  entity('message', 'audit type says message (e.g. `Message Action`)', [/\bmessages?\b/i], {
    type: 'Message',
    uidKeys: ['message_id'],
  }),
  entity('route', 'audit type says route / routing', [/\b(?:routes?|routing)\b/i], {
    type: 'Route',
    nameKeys: ['route'],
    uidKeys: ['route_id'],
  }),
  entity(
    'connector',
    'audit type says connector / integration (e.g. `Connectors Management`)',
    [/\b(?:connectors?|integrations?)\b/i],
    {
      type: 'Connector',
      nameKeys: ['connector'],
      uidKeys: ['connector_id'],
    },
  ),
  entity('journal', 'audit type says journal… (e.g. `Journal Service Updated`)', [/\bjournal\w*/i], JOURNAL),
  entity(
    'application',
    'audit type says API / application / app (e.g. `API Application Key Created`)',
    [/\b(?:api|applications?|apps?)\b/i],
    {
      type: 'Application',
      uidKeys: ['application_id'],
    },
  ),
  entity(
    'configuration',
    'audit type says definition / setting / configuration',
    [/\b(?:definitions?|settings?|configurations?)\b/i],
    {
      type: 'Configuration',
      nameKeys: ['setting', 'definition'],
    },
  ),
  entity('report', 'audit type says report (e.g. `Report Downloaded`)', [/\breports?\b/i], REPORT),
  entity('export', 'audit type says export (e.g. `Archive Mailbox Export Download`)', [/\bexports?\b/i], {
    type: 'Export',
    uidKeys: ['export_id'],
  }),
  entity('search', 'audit type says search (e.g. `Search Action`)', [/\bsearch\w*/i], ARCHIVE),
  entity('case', 'audit type says case (e.g. `Case Action`)', [/\bcases?\b/i], CASE),
  // Category fallbacks: an audit type none of the above recognise, in a category that says enough.
  {
    id: 'category-authentication',
    when: 'category `authentication_logs`',
    categories: ['authentication_logs'],
    classUid: 3002,
    activity: { id: 1 },
    status: 'inferred',
  },
  {
    id: 'category-mimecast-access',
    when: 'category `mimecast_access_logs`',
    categories: ['mimecast_access_logs'],
    classUid: 3002,
    activity: { id: 1 },
    status: 'inferred',
    subject: 'mimecast-support',
  },
  {
    id: 'category-user-account',
    when: 'category `user_account_and_role_logs`',
    categories: ['user_account_and_role_logs'],
    classUid: 3001,
    activity: { verbs: ACCOUNT_VERBS, otherwise: 99 },
    status: 'inferred',
  },
  {
    id: 'category-group',
    when: 'category `profile_group_logs`',
    categories: ['profile_group_logs'],
    classUid: 3006,
    activity: { verbs: GROUP_VERBS, otherwise: 99 },
    status: 'inferred',
  },
  entity('category-policy', 'category `policy_logs`', null, POLICY, ['policy_logs']),
  entity('category-journal', 'category `journaling_logs`', null, JOURNAL, ['journaling_logs']),
  entity('category-archive', 'category `archive_service_logs`', null, ARCHIVE, ['archive_service_logs']),
  entity('category-case', 'category `case_review_logs`', null, CASE, ['case_review_logs']),
  entity('category-report', 'category `reporting_logs`', null, REPORT, ['reporting_logs']),
  entity('category-account', 'category `account_logs`', null, { type: 'Account', nameKeys: ['setting'] }, [
    'account_logs',
  ]),
  {
    id: 'fallback',
    when: 'anything else (e.g. `Completed Directory Sync`, `Awareness Training Assigned`, `Continuity Event Started`)',
    classUid: 0,
    activity: { id: 99 },
    status: 'unknown',
  },
];

/** The outcome for one event. */
export interface Classification {
  readonly rule: ClassificationRule;
  readonly classUid: OcsfClassUid;
  readonly activityId: number;
  readonly activityName: string;
  readonly statusId: StatusId;
  readonly statusName: string;
  readonly severityId: SeverityId;
  /** Whether `activityName` came from `details.action` (the mapper then counts that key as mapped). */
  readonly activityFromAction: boolean;
}

/** What classification reads from a record. */
export type ClassifyInput = Pick<AuditRecord, 'audit_type' | 'category' | 'details'>;

function matches(rule: ClassificationRule, auditType: string, category: string | null): boolean {
  if (rule.categories && (category === null || !rule.categories.includes(category))) return false;
  if (rule.auditType) for (const pattern of rule.auditType) if (!pattern.test(auditType)) return false;
  return true;
}

/** Free text with quoted names and `<addresses>` blanked: a policy called "Delete me" is not a verb. */
export const stripNames = (text: string): string => text.replace(/"[^"]*"|<[^>]*>/g, ' ');

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

function firstVerb(table: VerbTable, texts: readonly (string | undefined)[]): number | undefined {
  for (const text of texts) {
    if (!text) continue;
    for (const word of text.toLowerCase().split(WORD_SPLIT)) {
      const id = table.words[word];
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

/** The rule for a record: the first of CLASSIFICATION_RULES that matches (the last matches everything). */
export function findRule(input: Pick<AuditRecord, 'audit_type' | 'category'>): ClassificationRule {
  const auditType = input.audit_type ?? '';
  for (const rule of CLASSIFICATION_RULES) if (matches(rule, auditType, input.category)) return rule;
  // Unreachable: the last rule has no condition.
  return CLASSIFICATION_RULES[CLASSIFICATION_RULES.length - 1] as ClassificationRule;
}

/** Classifies one record. Never throws; every record gets a class. */
export function classify(input: ClassifyInput): Classification {
  const rule = findRule(input);
  const info = OCSF_CLASSES[rule.classUid];
  const details = input.details;
  const action = details.action || undefined;
  const auditType = input.audit_type || undefined;

  let activityId =
    'id' in rule.activity
      ? rule.activity.id
      : (firstVerb(rule.activity.verbs, [
          action,
          details.summary === undefined ? undefined : stripNames(details.summary),
          auditType,
        ]) ?? rule.activity.otherwise);
  // "Other" needs a name from the source; with none at all, the activity is simply unknown.
  const otherName = action ?? auditType;
  if (activityId === 99 && otherName === undefined) activityId = 0;
  const activityFromAction = activityId === 99 && action !== undefined;
  const activityName = activityId === 99 ? (otherName as string) : (info.activities[activityId] ?? 'Unknown');

  const failed = auditType !== undefined && FAILURE.test(auditType);
  let statusId: StatusId;
  let statusName: string;
  if (failed) [statusId, statusName] = [2, STATUS[2]];
  else if (rule.status === 'inferred') [statusId, statusName] = [1, STATUS[1]];
  else if (rule.status === 'challenge') [statusId, statusName] = [99, 'Challenge Required'];
  else [statusId, statusName] = [0, STATUS[0]];

  // A failed authentication is worth a look; everything else in an audit log is informational.
  const severityId: SeverityId = failed && rule.classUid === 3002 ? 2 : 1;
  return {
    rule,
    classUid: rule.classUid,
    activityId,
    activityName,
    statusId,
    statusName,
    severityId,
    activityFromAction,
  };
}
