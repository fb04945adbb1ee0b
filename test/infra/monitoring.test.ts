import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CollectorMetric, METRICS_NAMESPACE } from '#core/observability.js';
import { SOURCE_ALARM_KINDS } from '#lib/constructs/monitoring.js';
import {
  buildStack,
  type CfnResourceJson,
  collectorFunction,
  flatten,
  resourcesOf,
  single,
} from './helpers.js';

let template: Template;
let quiet: Template;

beforeAll(() => {
  template = buildStack({
    stackName: 'Lake',
    sources: [{ id: 'eu' }, { id: 'us' }],
    alarmEmail: 'soc@example.com',
    freshnessThresholdMinutes: 90,
  }).template;
  quiet = buildStack().template;
});

function alarm(name: string): CfnResourceJson {
  return single(template, 'AWS::CloudWatch::Alarm', (r) => r.Properties.AlarmName === name)[1];
}

/** Every metric an alarm watches, whether directly or inside metric math. */
function watchedMetrics(
  a: CfnResourceJson,
): Array<{ Namespace: string; MetricName: string; Dimensions: unknown[] }> {
  const p = a.Properties;
  if (p.MetricName)
    return [
      {
        Namespace: String(p.Namespace),
        MetricName: String(p.MetricName),
        Dimensions: p.Dimensions as unknown[],
      },
    ];
  return (
    (p.Metrics as Array<{
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } };
    }>) ?? []
  ).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
}

describe('alarms', () => {
  it('creates every alarm kind for every source', () => {
    const names = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName,
    );

    for (const source of ['eu', 'us']) {
      for (const kind of SOURCE_ALARM_KINDS) expect(names).toContain(`Lake-${source}-${kind}`);
    }
    expect(names).toContain('Lake-query-api-errors');
    expect(names).toContain('Lake-query-api-5xx');
  });

  it('alarms on data freshness: lag above the threshold, and missing data counts as breaching', () => {
    const a = alarm('Lake-eu-freshness');

    expect(a.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: CollectorMetric.LagSeconds,
      Dimensions: [{ Name: 'Source', Value: 'eu' }],
      Statistic: 'Maximum',
      Threshold: 90 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
  });

  it("alarms on any collector function error of that source's function", () => {
    const [fnId] = collectorFunction(template, 'us');
    const a = alarm('Lake-us-collector-errors');

    expect(a.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect((a.Properties.Dimensions as Array<{ Value: unknown }>).map((d) => flatten(d.Value))).toEqual([
      `<${fnId}>`,
    ]);
  });

  it('alarms when a message reaches the dead-letter queue', () => {
    const a = alarm('Lake-eu-dead-letters');

    expect(a.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on authentication failures and expired bindings together', () => {
    const metrics = watchedMetrics(alarm('Lake-eu-credentials'));

    expect(metrics.map((m) => m.MetricName).sort()).toEqual(
      [CollectorMetric.AuthFailures, CollectorMetric.BindingExpired].sort(),
    );
    expect(alarm('Lake-eu-credentials').Properties).toMatchObject({
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on sustained throttling, recorded gaps and (as a warning) malformed events', () => {
    expect(alarm('Lake-eu-throttling').Properties).toMatchObject({
      MetricName: CollectorMetric.ThrottledStops,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    expect(alarm('Lake-eu-gap').Properties).toMatchObject({
      MetricName: CollectorMetric.GapSeconds,
      Threshold: 0,
    });
    expect(alarm('Lake-eu-malformed-events').Properties).toMatchObject({
      MetricName: CollectorMetric.MalformedEvents,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
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

  it('notifies the topic on alarm and on recovery', () => {
    const [topicId] = single(template, 'AWS::SNS::Topic');

    for (const a of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });
});

describe('topic subscription and dashboard', () => {
  it('subscribes the configured e-mail address, and nothing when none is configured', () => {
    const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'));

    expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([
      ['email', 'soc@example.com'],
    ]);
    expect(Object.keys(resourcesOf(quiet, 'AWS::SNS::Subscription'))).toEqual([]);
  });

  it('draws events written, lag, throttling and errors per source, and the API', () => {
    const [, dashboard] = single(template, 'AWS::CloudWatch::Dashboard');
    const body = flatten(dashboard.Properties.DashboardBody);

    expect(dashboard.Properties.DashboardName).toBe('Lake');
    for (const metric of [
      'EventsWritten',
      'LagSeconds',
      'ThrottledStops',
      'RunFailures',
      '"Errors"',
      '"5xx"',
      '"Latency"',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('"Source","eu"');
    expect(body).toContain('"Source","us"');
  });
});
