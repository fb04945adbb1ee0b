/**
 * docs/ocsf.md's tables, rendered from the code (functions/core/ocsf/classify.ts), so the
 * documentation cannot drift from the rules: test/unit/ocsf/docs.test.ts checks the document
 * holds them verbatim and prints them when it does not.
 */
import {
  ACCOUNT_VERBS,
  CLASSIFICATION_RULES,
  type ClassificationRule,
  CRUD_VERBS,
  FAILURE,
  GROUP_VERBS,
  OCSF_CLASSES,
  type OcsfClassUid,
  PASSWORD_VERBS,
  ROLE_VERBS,
  type VerbTable,
} from '#core/ocsf/index.js';

const STATUS_TEXT: Record<ClassificationRule['status'], string> = {
  inferred: 'Success',
  challenge: 'Other (`Challenge Required`)',
  unknown: 'Unknown',
};

function activityText(rule: ClassificationRule): string {
  const activities = OCSF_CLASSES[rule.classUid].activities;
  if ('id' in rule.activity) {
    return rule.activity.id === 99
      ? 'Other, named after the audit type (Unknown without one)'
      : `${activities[rule.activity.id]}`;
  }
  const otherwise = rule.activity.otherwise === 99 ? 'Other' : activities[rule.activity.otherwise];
  return `${rule.activity.verbs.name} verbs, else ${otherwise}`;
}

function classText(rule: ClassificationRule): string {
  const info = OCSF_CLASSES[rule.classUid];
  const entity = rule.entity ? `, entity type ${rule.entity.type}` : '';
  const subject = rule.subject === 'mimecast-support' ? ', user `Mimecast Support`' : '';
  return `${info.className} (${rule.classUid})${entity}${subject}`;
}

/** The classification rules, in order. */
export function ruleTable(): string {
  const rows = CLASSIFICATION_RULES.map(
    (rule, i) =>
      `| ${i + 1} | \`${rule.id}\` | ${rule.when} | ${classText(rule)} | ${activityText(rule)} | ${rule.auditType?.includes(FAILURE) ? 'Failure' : STATUS_TEXT[rule.status]} |`,
  );
  return ['| # | Rule | Matches | Class | Activity | Status |', '| - | - | - | - | - | - |', ...rows].join(
    '\n',
  );
}

/** The verb tables: which words give which activity. */
export function verbTable(): string {
  const tables: [VerbTable, OcsfClassUid][] = [
    [CRUD_VERBS, 3004],
    [ACCOUNT_VERBS, 3001],
    [PASSWORD_VERBS, 3001],
    [ROLE_VERBS, 3001],
    [GROUP_VERBS, 3006],
  ];
  const rows: string[] = [];
  for (const [table, classUid] of tables) {
    const byActivity = new Map<number, string[]>();
    for (const [word, id] of Object.entries(table.words))
      byActivity.set(id, [...(byActivity.get(id) ?? []), word]);
    for (const [id, words] of [...byActivity].sort(([a], [b]) => a - b)) {
      rows.push(`| ${table.name} | ${OCSF_CLASSES[classUid].activities[id]} | ${words.join(', ')} |`);
    }
  }
  return ['| Verbs | Activity | Words |', '| - | - | - |', ...rows].join('\n');
}
