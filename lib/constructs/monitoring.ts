/**
 * On-call monitoring: one encrypted SNS topic, per-source alarms on what actually matters
 * (is the archive fresh? can we authenticate? are we losing or skipping data?), API alarms,
 * and a dashboard. Metric names come from functions/core/observability.ts, the same module the
 * functions emit with, so an alarm cannot watch a metric nobody emits.
 */

import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CollectorMetric, METRICS_NAMESPACE, SOURCE_DIMENSION } from '#core/observability.js';

/** What monitoring needs to know about one source's collector. */
export interface MonitoredSource {
  sourceId: string;
  function: lambda.IFunction;
  deadLetterQueue: sqs.IQueue;
}

/** Props of the Monitoring construct. */
export interface MonitoringProps {
  key: kms.IKey;
  alarmEmail?: string | undefined;
  sources: MonitoredSource[];
  scheduleMinutes: number;
  freshnessThresholdMinutes: number;
  queryFunction: lambda.IFunction;
  httpApi: apigwv2.IHttpApi;
}

/** Consecutive periods with runs stopped by Mimecast throttling before it counts as sustained. */
export const THROTTLING_PERIODS = 3;

/** API 5xx responses per 5 minutes that page someone (a single upstream hiccup does not). */
export const API_5XX_THRESHOLD = 5;

/** The alarm kinds created per source; the name suffix is `<source>-<kind>`. */
export const SOURCE_ALARM_KINDS = [
  'collector-errors',
  'dead-letters',
  'freshness',
  'credentials',
  'throttling',
  'gap',
  'incomplete',
  'malformed-events',
] as const;

/**
 * A collector metric of one source. CloudWatch matches a metric's whole dimension set; the
 * collector clears Powertools' default `service` dimension, so `Source` is the only one.
 */
export function collectorMetric(
  name: (typeof CollectorMetric)[keyof typeof CollectorMetric],
  sourceId: string,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [SOURCE_DIMENSION]: sourceId },
    statistic,
    period,
  });
}

/** SNS topic, alarms and dashboard. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;

    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Mimecast audit lake alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

    // One period per schedule tick (at least 5 minutes) so a healthy collector reports in every period.
    const period = Duration.minutes(Math.max(5, props.scheduleMinutes));
    const alarm = (
      idSuffix: string,
      name: string,
      description: string,
      options: Omit<cloudwatch.CreateAlarmOptions, 'alarmName' | 'alarmDescription'>,
      metric: cloudwatch.IMetric,
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, idSuffix, {
        ...options,
        metric,
        alarmName: `${stackName}-${name}`,
        alarmDescription: description,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    for (const source of props.sources) {
      const sid = source.sourceId;
      const prefix = `Source-${sid}`;
      alarm(
        `${prefix}-CollectorErrors`,
        `${sid}-collector-errors`,
        `Collector run of source "${sid}" failed. Look at the function's logs (lastError also shows in GET /v1/status); the next run retries the pending window.`,
        {
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        source.function.metricErrors({ period, statistic: 'Sum' }),
      );
      alarm(
        `${prefix}-DeadLetters`,
        `${sid}-dead-letters`,
        `An invocation of the collector of source "${sid}" was dropped into its dead-letter queue (failed run, schedule delivery failure, or stuck for 6 hours). Inspect the message, fix the cause, then purge the queue.`,
        {
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        source.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      );
      alarm(
        `${prefix}-Freshness`,
        `${sid}-freshness`,
        `Archive of source "${sid}" is more than ${props.freshnessThresholdMinutes} minutes behind, or the collector stopped reporting. Expected during the first backfill; otherwise check the other alarms and the function's logs.`,
        {
          threshold: props.freshnessThresholdMinutes * 60,
          // Three periods in a row: one late run does not page, a stopped collector does.
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          // No data means the collector is not running (or not reporting): that is the failure to catch.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
        collectorMetric(CollectorMetric.LagSeconds, sid, 'Maximum', period),
      );
      alarm(
        `${prefix}-Credentials`,
        `${sid}-credentials`,
        `Mimecast rejected the credentials of source "${sid}" (401/403) or the API 1.0 binding expired (418). Issue new credentials in Mimecast and put them into the source's secret.`,
        {
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        new cloudwatch.MathExpression({
          expression: 'FILL(auth, 0) + FILL(binding, 0)',
          usingMetrics: {
            auth: collectorMetric(CollectorMetric.AuthFailures, sid, 'Sum', period),
            binding: collectorMetric(CollectorMetric.BindingExpired, sid, 'Sum', period),
          },
          label: 'Authentication failures + expired bindings',
          period,
        }),
      );
      alarm(
        `${prefix}-Throttling`,
        `${sid}-throttling`,
        `Runs of source "${sid}" keep ending early because Mimecast throttles (429) for ${THROTTLING_PERIODS} periods in a row. Check other consumers of the same Mimecast API application/user, or lengthen scheduleMinutes.`,
        {
          threshold: 1,
          evaluationPeriods: THROTTLING_PERIODS,
          datapointsToAlarm: THROTTLING_PERIODS,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        collectorMetric(CollectorMetric.ThrottledStops, sid, 'Sum', period),
      );
      alarm(
        `${prefix}-Gap`,
        `${sid}-gap`,
        `Source "${sid}" skipped history that fell out of Mimecast's 60 days (the collector was down too long). The range is recorded on the cursor (GET /v1/status); it cannot be collected any more.`,
        {
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        collectorMetric(CollectorMetric.GapSeconds, sid, 'Sum', period),
      );
      alarm(
        `${prefix}-Incomplete`,
        `${sid}-incomplete`,
        `Source "${sid}" has history it could not read or re-check: Mimecast would not page through some seconds however narrowly they were searched (recorded as unreadable), or a window's due rescan for late events could not be made. GET /v1/status lists the unreadable ranges and the skipped rescans; the runbook says what to do.`,
        {
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        new cloudwatch.MathExpression({
          expression: 'FILL(unreadable, 0) + FILL(skipped, 0)',
          usingMetrics: {
            unreadable: collectorMetric(CollectorMetric.UnreadableSeconds, sid, 'Sum', period),
            skipped: collectorMetric(CollectorMetric.RescansSkipped, sid, 'Sum', period),
          },
          label: 'Unreadable seconds + skipped rescans',
          period,
        }),
      );
      alarm(
        `${prefix}-MalformedEvents`,
        `${sid}-malformed-events`,
        `Warning: source "${sid}" received events without an id or a parseable eventTime; they were quarantined under the "-malformed" prefix, not archived. Inspect them; report to Mimecast if it persists.`,
        {
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        collectorMetric(CollectorMetric.MalformedEvents, sid, 'Sum', period),
      );
    }

    const apiPeriod = Duration.minutes(5);
    alarm(
      'QueryFunctionErrors',
      'query-api-errors',
      'The query API function threw (an unhandled error, i.e. a bug or a misconfiguration). See its logs by request id.',
      {
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      props.queryFunction.metricErrors({ period: apiPeriod, statistic: 'Sum' }),
    );
    alarm(
      'Api5xx',
      'query-api-5xx',
      `The query API answered at least ${API_5XX_THRESHOLD} 5xx responses in 5 minutes (Mimecast failing or unreachable, or the function failing). See the API access logs and the function's logs.`,
      {
        threshold: API_5XX_THRESHOLD,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      props.httpApi.metricServerError({ period: apiPeriod, statistic: 'Sum' }),
    );

    this.dashboard = this.buildDashboard(stackName, props, period);
  }

  private buildDashboard(stackName: string, props: MonitoringProps, period: Duration): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: stackName,
      defaultInterval: Duration.days(1),
    });
    const per = (name: (typeof CollectorMetric)[keyof typeof CollectorMetric], statistic: string) =>
      props.sources.map((s) =>
        collectorMetric(name, s.sourceId, statistic, period).with({ label: s.sourceId }),
      );

    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${stackName}\nCollector health per source, then the query API. Alarms go to the SNS topic of this stack.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events written',
        left: per(CollectorMetric.EventsWritten, 'Sum'),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lag (seconds behind now)',
        left: per(CollectorMetric.LagSeconds, 'Maximum'),
        leftAnnotations: [{ value: props.freshnessThresholdMinutes * 60, label: 'freshness alarm' }],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Mimecast throttling (waits / runs stopped)',
        left: per(CollectorMetric.ThrottledWaits, 'Sum'),
        right: per(CollectorMetric.ThrottledStops, 'Sum'),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors (function errors / failed runs)',
        left: props.sources.map((s) =>
          s.function.metricErrors({ period, statistic: 'Sum', label: s.sourceId }),
        ),
        right: per(CollectorMetric.RunFailures, 'Sum'),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Credentials, gaps and malformed events',
        left: [
          ...per(CollectorMetric.AuthFailures, 'Sum').map((m) => m.with({ label: `${m.label} auth` })),
          ...per(CollectorMetric.BindingExpired, 'Sum').map((m) => m.with({ label: `${m.label} binding` })),
          ...per(CollectorMetric.MalformedEvents, 'Sum').map((m) =>
            m.with({ label: `${m.label} malformed` }),
          ),
        ],
        right: per(CollectorMetric.GapSeconds, 'Sum'),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Late-indexed events found by rescans (all / at the last rescan)',
        left: per(CollectorMetric.LateEvents, 'Sum'),
        right: per(CollectorMetric.LateEventsAtLastRescan, 'Sum'),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        left: props.sources.map((s) =>
          s.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Maximum',
            label: s.sourceId,
          }),
        ),
        width: 12,
      }),
    );
    const apiPeriod = Duration.minutes(5);
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Query API requests (all / 4xx / 5xx)',
        left: [
          props.httpApi.metricCount({ period: apiPeriod, statistic: 'Sum', label: 'requests' }),
          props.httpApi.metricClientError({ period: apiPeriod, statistic: 'Sum', label: '4xx' }),
          props.httpApi.metricServerError({ period: apiPeriod, statistic: 'Sum', label: '5xx' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Query API latency (ms)',
        left: [
          props.httpApi.metricLatency({ period: apiPeriod, statistic: 'p50', label: 'p50' }),
          props.httpApi.metricLatency({ period: apiPeriod, statistic: 'p90', label: 'p90' }),
          props.httpApi.metricLatency({ period: apiPeriod, statistic: 'Maximum', label: 'max' }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
    return dashboard;
  }
}
