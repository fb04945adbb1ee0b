import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CollectorMetric, METRICS_NAMESPACE } from '#core/observability.js';
import {
  ALARMS_PER_STATUS_WIDGET,
  COMPACTOR_ALARM_KINDS,
  SOURCE_ALARM_KINDS,
  STACK_ALARM_KINDS,
} from '#lib/constructs/monitoring.js';
import { buildStack, type CfnResourceJson, flatten, resourcesOf, single } from './helpers.js';

let template: Template;
let quiet: Template;

beforeAll(() => {
  template = buildStack({
    stackName: 'Lake',
    sources: [{ id: 'eu' }, { id: 'us' }],
    alarmEmails: ['soc@example.com', 'oncall@example.com'],
    alarmEmail: 'soc@example.com',
    freshnessThresholdMinutes: 90,
    notConfiguredAlarmHours: 12,
  }).template;
  quiet = buildStack().template;
});

function alarm(name: string, t: Template = template): CfnResourceJson {
  return single(t, 'AWS::CloudWatch::Alarm', (r) => r.Properties.AlarmName === name)[1];
}

interface WatchedMetric {
  Namespace: string;
  MetricName: string;
  Dimensions: unknown[];
}

/** Every metric an alarm watches, whether directly or inside metric math. */
function watchedMetrics(a: CfnResourceJson): WatchedMetric[] {
  const p = a.Properties;
  if (p.MetricName)
    return [
      {
        Namespace: String(p.Namespace),
        MetricName: String(p.MetricName),
        Dimensions: p.Dimensions as unknown[],
      },
    ];
  return ((p.Metrics as Array<{ MetricStat?: { Metric: WatchedMetric } }>) ?? []).flatMap((m) =>
    m.MetricStat ? [m.MetricStat.Metric] : [],
  );
}

/** The expression an alarm on metric math evaluates (the one metric that returns data). */
function expressionOf(a: CfnResourceJson): string {
  const metrics = (a.Properties.Metrics as Array<{ Expression?: string; ReturnData?: boolean }>) ?? [];
  return metrics.find((m) => m.ReturnData !== false && m.Expression !== undefined)?.Expression ?? '';
}

// ----- a tiny IAM evaluator, enough to check that CloudWatch may publish as the policies are written

const CONTEXT = { region: 'eu-west-1', account: '111122223333', partition: 'aws' };

/** A CloudFormation value with pseudo parameters replaced by the test account's values. */
function resolve(value: unknown): string {
  return flatten(value)
    .replace(/<AWS::Region>/g, CONTEXT.region)
    .replace(/<AWS::AccountId>/g, CONTEXT.account)
    .replace(/<AWS::Partition>/g, CONTEXT.partition);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const glob = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

interface Request {
  principalService: string;
  action: string;
  context: Record<string, string>;
}

/** Whether `statement` applies to `request` (principal, action with wildcards, conditions). */
function applies(statement: Record<string, unknown>, request: Request): boolean {
  const principal = statement.Principal as { Service?: unknown; AWS?: unknown } | string | undefined;
  const services = typeof principal === 'object' ? asList(principal.Service).map(resolve) : [];
  const anyone =
    principal === '*' || (typeof principal === 'object' && asList(principal.AWS).map(resolve).includes('*'));
  if (!anyone && !services.includes(request.principalService)) return false;
  if (!asList(statement.Action).some((a) => glob(String(a), request.action))) return false;
  const conditions = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
  for (const [operator, entries] of Object.entries(conditions)) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = request.context[key];
      const values = asList(expected).map(resolve);
      if (actual === undefined) return false;
      if (operator === 'StringEquals' && !values.includes(actual)) return false;
      if (operator === 'ArnLike' && !values.some((v) => glob(v, actual))) return false;
      if (operator === 'Bool' && !values.includes(actual)) return false;
    }
  }
  return true;
}

/** Allowed: some Allow statement applies and no Deny does. */
function allowed(statements: Array<Record<string, unknown>>, request: Request): boolean {
  const matching = statements.filter((s) => applies(s, request));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

describe('alarms', () => {
  it('creates every alarm kind for every source, and the stack-wide ones once', () => {
    const names = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName,
    );

    for (const source of ['eu', 'us']) {
      for (const kind of SOURCE_ALARM_KINDS) expect(names).toContain(`Lake-${source}-${kind}`);
    }
    for (const kind of [...STACK_ALARM_KINDS, ...COMPACTOR_ALARM_KINDS]) {
      expect(names.filter((n) => n === `Lake-${kind}`)).toHaveLength(1);
    }
    expect(names).toHaveLength(
      2 * SOURCE_ALARM_KINDS.length + STACK_ALARM_KINDS.length + COMPACTOR_ALARM_KINDS.length,
    );
  });

  it('alarms on freshness: lag above the threshold or no report at all, but not while the source is unconfigured', () => {
    const a = alarm('Lake-eu-freshness');

    expect(a.Properties).toMatchObject({
      Threshold: 90 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    expect(
      watchedMetrics(a)
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual([CollectorMetric.LagSeconds, CollectorMetric.NotConfigured].sort());
    // No lag reported is filled with a breaching value; a not-configured run yields 0.
    expect(expressionOf(a)).toMatch(/^IF\(FILL\(\w+, 0\) > 0, 0, FILL\(\w+, 5401\)\)$/);
  });

  it('pages on failed runs only when they happen in 2 of the last 3 periods, leaving credential failures to their own alarm', () => {
    const a = alarm('Lake-us-collector-errors');

    expect(a.Properties).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(
      watchedMetrics(a)
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual(
      [
        CollectorMetric.RunFailures,
        CollectorMetric.AuthFailures,
        CollectorMetric.BindingExpired,
        CollectorMetric.SecretFailures,
      ].sort(),
    );
    expect(expressionOf(a)).toMatch(/^FILL\(\w+, 0\)( - FILL\(\w+, 0\)){3}$/);
  });

  it('alarms on new dead-letter messages (not queue depth), so it clears without a purge', () => {
    const a = alarm('Lake-eu-dead-letters');

    expect(a.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms at once on rejected credentials, expired bindings and unreadable or malformed secrets', () => {
    const a = alarm('Lake-eu-credentials');

    expect(
      watchedMetrics(a)
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual(
      [CollectorMetric.AuthFailures, CollectorMetric.BindingExpired, CollectorMetric.SecretFailures].sort(),
    );
    expect(a.Properties).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('has one not-configured alarm for the stack: a Metrics Insights query grouped by source, above the configured hours', () => {
    const a = alarm('Lake-not-configured');
    const metrics = a.Properties.Metrics as Array<{ Expression?: string; Period?: number }>;

    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.Expression).toBe(
      `SELECT MAX(${CollectorMetric.NotConfiguredSeconds}) FROM SCHEMA("${METRICS_NAMESPACE}", Source) GROUP BY Source`,
    );
    // Metrics Insights alarms look back at most three hours.
    expect((metrics[0]?.Period ?? 0) * Number(a.Properties.EvaluationPeriods)).toBeLessThanOrEqual(3 * 3600);
    expect(a.Properties).toMatchObject({ Threshold: 12 * 3600, TreatMissingData: 'notBreaching' });
  });

  it('alarms on sustained throttling, recorded gaps, unreadable history and (as a warning) malformed events', () => {
    expect(alarm('Lake-eu-throttling').Properties).toMatchObject({
      MetricName: CollectorMetric.ThrottledStops,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    expect(alarm('Lake-eu-gap').Properties).toMatchObject({
      MetricName: CollectorMetric.GapSeconds,
      Threshold: 0,
    });
    expect(
      watchedMetrics(alarm('Lake-eu-incomplete'))
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual([CollectorMetric.RescansSkipped, CollectorMetric.UnreadableSeconds].sort());
    expect(alarm('Lake-eu-malformed-events').Properties).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // Malformed events and conflicting copies both end in the quarantine: one warning for both.
    expect(
      watchedMetrics(alarm('Lake-eu-malformed-events'))
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual([CollectorMetric.ConflictingCopies, CollectorMetric.MalformedEvents].sort());
  });

  it('watches only metrics the collector emits, with the Source dimension it emits them with', () => {
    const emitted = new Set<string>(Object.values(CollectorMetric));
    const custom = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))
      .flatMap(watchedMetrics)
      .filter((m) => m.Namespace === METRICS_NAMESPACE);

    expect(custom.length).toBeGreaterThan(0);
    for (const m of custom) {
      expect(emitted.has(m.MetricName)).toBe(true);
      expect(m.Dimensions.map((d) => (d as { Name: string }).Name)).toEqual(['Source']);
    }
  });
});

describe('alarm delivery', () => {
  it('notifies the topic on alarm and on recovery, from every alarm', () => {
    const [topicId] = single(template, 'AWS::SNS::Topic');

    for (const a of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it("lets every alarm's notification through the topic policy and the key policy as written, and no other account's alarm", () => {
    const [, policy] = single(template, 'AWS::SNS::TopicPolicy');
    const topicStatements = (
      policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }
    ).Statement;
    const [, key] = single(template, 'AWS::KMS::Key');
    const keyStatements = (key.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> })
      .Statement;
    const request = (alarmName: string, account = CONTEXT.account, action = 'sns:Publish'): Request => ({
      principalService: 'cloudwatch.amazonaws.com',
      action,
      context: {
        'aws:SourceAccount': account,
        'aws:SourceArn': `arn:aws:cloudwatch:${CONTEXT.region}:${account}:alarm:${alarmName}`,
        'aws:SecureTransport': 'true',
      },
    });

    const names = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((a) =>
      String(a.Properties.AlarmName),
    );
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      expect(allowed(topicStatements, request(name)), `${name} may publish`).toBe(true);
      expect(
        allowed(keyStatements, request(name, CONTEXT.account, 'kms:GenerateDataKey')),
        `${name} key`,
      ).toBe(true);
      expect(allowed(keyStatements, request(name, CONTEXT.account, 'kms:Decrypt')), `${name} key`).toBe(true);
    }
    // Confused deputy: another stack's alarm, or an alarm of another account, may not.
    expect(allowed(topicStatements, request('OtherStack-eu-freshness'))).toBe(false);
    expect(allowed(topicStatements, request('Lake-eu-freshness', '999999999999'))).toBe(false);
    expect(allowed(keyStatements, request('OtherStack-x', CONTEXT.account, 'kms:Decrypt'))).toBe(false);
    // And nobody may publish without TLS.
    expect(
      allowed(topicStatements, {
        ...request('Lake-eu-freshness'),
        context: { ...request('Lake-eu-freshness').context, 'aws:SecureTransport': 'false' },
      }),
    ).toBe(false);
  });

  it('subscribes every configured e-mail address once, and nothing when none is configured', () => {
    const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'));

    expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint]).sort()).toEqual(
      [
        ['email', 'oncall@example.com'],
        ['email', 'soc@example.com'],
      ].sort(),
    );
    expect(Object.keys(resourcesOf(quiet, 'AWS::SNS::Subscription'))).toEqual([]);
  });

  it('notifies an existing topic instead of creating one when alarmTopicArn is set', () => {
    const arn = 'arn:aws:sns:eu-west-1:111122223333:soc-alarms';
    const { template: existing } = buildStack({ alarmTopicArn: arn });

    expect(Object.keys(resourcesOf(existing, 'AWS::SNS::Topic'))).toEqual([]);
    expect(Object.keys(resourcesOf(existing, 'AWS::SNS::TopicPolicy'))).toEqual([]);
    for (const a of Object.values(resourcesOf(existing, 'AWS::CloudWatch::Alarm'))) {
      expect(a.Properties.AlarmActions).toEqual([arn]);
    }
  });
});

describe('dashboard', () => {
  it('draws events written, lag, throttling, errors and late events per source, and the API', () => {
    const [, dashboard] = single(template, 'AWS::CloudWatch::Dashboard');
    const body = flatten(dashboard.Properties.DashboardBody);

    expect(dashboard.Properties.DashboardName).toBe('Lake');
    for (const metric of [
      'EventsWritten',
      'LagSeconds',
      'ThrottledStops',
      'RunFailures',
      'LateEvents',
      '"5xx"',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('"Source","eu"');
    expect(body).toContain('"Source","us"');
  });

  it('splits the alarm status into widgets of at most 100 alarms', () => {
    const sources = Array.from({ length: 14 }, (_, i) => ({ id: `s${i}` }));
    const { template: many } = buildStack({ sources });
    const [, dashboard] = single(many, 'AWS::CloudWatch::Dashboard');
    const widgets = (
      JSON.parse(flatten(dashboard.Properties.DashboardBody)) as { widgets: Array<Record<string, unknown>> }
    ).widgets
      .filter((w) => w.type === 'alarm')
      .map((w) => ((w.properties as { alarms: unknown[] }).alarms ?? []).length);
    const alarms = Object.keys(resourcesOf(many, 'AWS::CloudWatch::Alarm')).length;

    expect(alarms).toBeGreaterThan(ALARMS_PER_STATUS_WIDGET);
    expect(widgets.every((n) => n <= ALARMS_PER_STATUS_WIDGET)).toBe(true);
    expect(widgets.reduce((a, b) => a + b, 0)).toBe(alarms);
  });
});

describe('runbook', () => {
  it('has an entry for every alarm saying what to do and how it clears', () => {
    // The runbook is the on-call engineer's page: docs/operate.md, its alarms section only.
    const operate = readFileSync(new URL('../../docs/operate.md', import.meta.url), 'utf8');
    const heading = '## Alarms: what they mean and what to do\n';
    expect(operate, 'docs/operate.md has the runbook section').toContain(heading);
    const start = operate.indexOf(heading) + heading.length;
    const next = operate.slice(start).search(/^## /m);
    const section = next === -1 ? operate.slice(start) : operate.slice(start, start + next);
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));

    for (const kind of [...SOURCE_ALARM_KINDS.map((k) => `<source>-${k}`), ...STACK_ALARM_KINDS]) {
      const row = rows.find((r) => r.startsWith(`| \`${kind}\``));
      expect(row, `runbook row for ${kind}`).toBeDefined();
      // Columns: alarm | fires when | what to do | how it clears.
      expect(row?.split(' | ').length, `${kind} row has all four columns`).toBeGreaterThanOrEqual(4);
    }
  });
});
