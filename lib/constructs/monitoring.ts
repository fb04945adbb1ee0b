/**
 * On-call monitoring: one encrypted SNS topic, per-source alarms on what actually matters
 * (is the archive fresh? can we authenticate? are we losing or skipping data?), API alarms,
 * and a dashboard. Metric names come from functions/core/observability.ts, the same module the
 * functions emit with, so an alarm cannot watch a metric nobody emits.
 */

import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  CollectorMetric,
  CompactorMetric,
  METRICS_NAMESPACE,
  SOURCE_DIMENSION,
} from '#core/observability.js';

/** What monitoring needs to know about one source's collector. */
export interface MonitoredSource {
  sourceId: string;
  function: lambda.IFunction;
  deadLetterQueue: sqs.IQueue;
}

/** Props of the Monitoring construct. */
export interface MonitoringProps {
  /** The stack key: the created topic is encrypted with it. */
  key: kms.IKey;
  /** Subscribed to the created topic (each confirms once). */
  alarmEmails: readonly string[];
  /** An existing topic to notify instead of creating one. */
  alarmTopicArn?: string | undefined;
  sources: MonitoredSource[];
  scheduleMinutes: number;
  freshnessThresholdMinutes: number;
  notConfiguredAlarmHours: number;
  queryFunction: lambda.IFunction;
  httpApi: apigwv2.IHttpApi;
  /** The compactor, when compaction is on. */
  compactorFunction?: lambda.IFunction | undefined;
  /** Minutes between scheduled compactor runs. */
  compactionScheduleMinutes?: number | undefined;
}

/** Consecutive periods with runs stopped by Mimecast throttling before it counts as sustained. */
export const THROTTLING_PERIODS = 3;

/** API 5xx responses per 5 minutes that page someone (a single upstream hiccup does not). */
export const API_5XX_THRESHOLD = 5;

/** Failed runs page when they happen in this many of the last COLLECTOR_ERROR_PERIODS periods (one the next run repairs does not). */
export const COLLECTOR_ERROR_DATAPOINTS = 2;
export const COLLECTOR_ERROR_PERIODS = 3;

/** CloudWatch accepts at most this many alarms in one alarm-status widget. */
export const ALARMS_PER_STATUS_WIDGET = 100;

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

/** Alarms created once per stack (they watch every source at once); the name suffix is the kind. */
export const STACK_ALARM_KINDS = ['not-configured', 'query-api-errors', 'query-api-5xx'] as const;

/** Stack-wide alarms of the compactor (when compaction is on). */
export const COMPACTOR_ALARM_KINDS = ['compactor-errors', 'compaction-failures', 'compaction-lag'] as const;

/** Closed days without a Parquet copy that make the lag alarm fire (a day's compaction takes seconds). */
export const COMPACTION_LAG_DAYS = 3;

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

/** The `aws:SourceArn` pattern matching every alarm of the stack (their names all start with the stack name). */
export function stackAlarmArnPattern(stackName: string): string {
  return `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${stackName}-*`;
}

/** SNS topic, alarms and dashboard. */
export class Monitoring extends Construct {
  /** Where the alarms notify (created, or the configured existing topic). */
  readonly topic: sns.ITopic;
  /** True when the stack created the topic. */
  readonly topicCreated: boolean;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.topicCreated = props.alarmTopicArn === undefined;
    this.topic = props.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : this.createTopic(stackName, props);
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
    const once = {
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    } as const;

    for (const source of props.sources) {
      const sid = source.sourceId;
      const prefix = `Source-${sid}`;
      const sum = (name: (typeof CollectorMetric)[keyof typeof CollectorMetric]) =>
        collectorMetric(name, sid, 'Sum', period);
      alarm(
        `${prefix}-CollectorErrors`,
        `${sid}-collector-errors`,
        `Runs of the collector of source "${sid}" failed in ${COLLECTOR_ERROR_DATAPOINTS} of the last ${COLLECTOR_ERROR_PERIODS} periods (credential failures alarm apart, at once). See lastError in GET /v1/status and the function's logs; every run retries the pending window. Clears when runs succeed again.`,
        {
          threshold: 1,
          evaluationPeriods: COLLECTOR_ERROR_PERIODS,
          datapointsToAlarm: COLLECTOR_ERROR_DATAPOINTS,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        new cloudwatch.MathExpression({
          expression: 'FILL(failures, 0) - FILL(auth, 0) - FILL(binding, 0) - FILL(secret, 0)',
          usingMetrics: {
            failures: sum(CollectorMetric.RunFailures),
            auth: sum(CollectorMetric.AuthFailures),
            binding: sum(CollectorMetric.BindingExpired),
            secret: sum(CollectorMetric.SecretFailures),
          },
          label: 'Failed runs (not credentials)',
          period,
        }),
      );
      alarm(
        `${prefix}-DeadLetters`,
        `${sid}-dead-letters`,
        `EventBridge Scheduler could not deliver a scheduled run of the collector of source "${sid}" to Lambda (the message is in the source's dead-letter queue). Look at the message's error attributes (permissions, a deleted function); runs are not happening. Clears in the next period without new messages; purge the queue after fixing the cause.`,
        { threshold: 1, ...once },
        // New messages, not depth: depth stays up until someone purges the queue and would hide
        // every later failure. The queue's only senders (the scheduler's delivery) call
        // SendMessage, which NumberOfMessagesSent counts
        // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
        source.deadLetterQueue.metric('NumberOfMessagesSent', { period, statistic: 'Sum' }),
      );
      alarm(
        `${prefix}-Freshness`,
        `${sid}-freshness`,
        `Archive of source "${sid}" is more than ${props.freshnessThresholdMinutes} minutes behind, or the collector stopped reporting. Expected during the first backfill; otherwise check the other alarms and the function's logs. Quiet while the source is not configured yet (see the not-configured alarm). Clears when the collector has caught up.`,
        {
          threshold: props.freshnessThresholdMinutes * 60,
          // Three periods in a row: one late run does not page, a stopped collector does.
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          // No data means the collector is not running (or not reporting): that is the failure to catch.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
        new cloudwatch.MathExpression({
          // Not configured yet: there is nothing to be fresh about. No report at all: breaching.
          expression: `IF(FILL(unconfigured, 0) > 0, 0, FILL(lag, ${props.freshnessThresholdMinutes * 60 + 1}))`,
          usingMetrics: {
            lag: collectorMetric(CollectorMetric.LagSeconds, sid, 'Maximum', period),
            unconfigured: sum(CollectorMetric.NotConfigured),
          },
          label: 'Lag (seconds)',
          period,
        }),
      );
      alarm(
        `${prefix}-Credentials`,
        `${sid}-credentials`,
        `The credentials of source "${sid}" do not work: Mimecast rejected them (401/403), the API 1.0 binding expired (418), or the secret cannot be read or is malformed (the run's lastError names the field or the reason, never a value). Issue or fix the credentials and put them into the source's secret; the next run uses them. Clears after a period without such failures.`,
        { threshold: 1, ...once },
        new cloudwatch.MathExpression({
          expression: 'FILL(auth, 0) + FILL(binding, 0) + FILL(secret, 0)',
          usingMetrics: {
            auth: sum(CollectorMetric.AuthFailures),
            binding: sum(CollectorMetric.BindingExpired),
            secret: sum(CollectorMetric.SecretFailures),
          },
          label: 'Credential failures',
          period,
        }),
      );
      alarm(
        `${prefix}-Throttling`,
        `${sid}-throttling`,
        `Runs of source "${sid}" keep ending early because Mimecast throttles (429) for ${THROTTLING_PERIODS} periods in a row. Check other consumers of the same Mimecast API application/user, or lengthen scheduleMinutes. Clears after a period without such a stop.`,
        {
          threshold: 1,
          evaluationPeriods: THROTTLING_PERIODS,
          datapointsToAlarm: THROTTLING_PERIODS,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        sum(CollectorMetric.ThrottledStops),
      );
      alarm(
        `${prefix}-Gap`,
        `${sid}-gap`,
        `Source "${sid}" skipped history that fell out of Mimecast's 60 days (the collector was down too long). The range is recorded on the cursor (GET /v1/status); it cannot be collected any more. Clears in the next period.`,
        { ...once, threshold: 0, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD },
        sum(CollectorMetric.GapSeconds),
      );
      alarm(
        `${prefix}-Incomplete`,
        `${sid}-incomplete`,
        `Source "${sid}" has history it could not read or re-check: Mimecast would not page through some seconds however narrowly they were searched (recorded as unreadable), or a window's due rescan for late events could not be made. GET /v1/status lists the unreadable ranges and the skipped rescans; the runbook says what to do. Clears in the next period.`,
        { ...once, threshold: 0, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD },
        new cloudwatch.MathExpression({
          expression: 'FILL(unreadable, 0) + FILL(skipped, 0)',
          usingMetrics: {
            unreadable: sum(CollectorMetric.UnreadableSeconds),
            skipped: sum(CollectorMetric.RescansSkipped),
          },
          label: 'Unreadable seconds + skipped rescans',
          period,
        }),
      );
      alarm(
        `${prefix}-MalformedEvents`,
        `${sid}-malformed-events`,
        `Warning: source "${sid}" received events without an id or a parseable eventTime, or a second copy of an archived id with different content (ConflictingCopies; the first copy stays the record); they were quarantined under the "-malformed" prefix, not archived. Inspect them; report to Mimecast if it persists. Clears in the next period.`,
        { ...once, threshold: 0, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD },
        new cloudwatch.MathExpression({
          expression: 'malformed + conflicting',
          usingMetrics: {
            malformed: sum(CollectorMetric.MalformedEvents),
            conflicting: sum(CollectorMetric.ConflictingCopies),
          },
          label: 'Malformed events + conflicting copies',
          period,
        }),
      );
    }

    // One alarm for every source: a Metrics Insights query grouped by source, so each source is a
    // contributor of its own and the notification names it
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html).
    // Such alarms may look back at most 3 hours, so the collector reports how long the source has
    // been unconfigured instead of the alarm counting hours of "not configured" runs.
    const notConfiguredPeriod = Duration.minutes(15);
    alarm(
      'NotConfigured',
      'not-configured',
      `A source has had no Mimecast credentials in its secret for more than ${props.notConfiguredAlarmHours} hours (the notification names it; GET /v1/status shows not_configured). Put the credentials into the source's secret (deployment guide: "Fill in the Mimecast credentials"); the next run starts collecting. Clears once the source runs configured.`,
      {
        threshold: props.notConfiguredAlarmHours * 3600,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      new cloudwatch.MathExpression({
        expression: `SELECT MAX(${CollectorMetric.NotConfiguredSeconds}) FROM SCHEMA("${METRICS_NAMESPACE}", ${SOURCE_DIMENSION}) GROUP BY ${SOURCE_DIMENSION}`,
        usingMetrics: {},
        label: 'Seconds without credentials',
        period: notConfiguredPeriod,
      }),
    );

    const apiPeriod = Duration.minutes(5);
    alarm(
      'QueryFunctionErrors',
      'query-api-errors',
      'The query API function threw (an unhandled error, i.e. a bug or a misconfiguration). See its logs by request id. Clears after 5 minutes without one.',
      { threshold: 1, ...once },
      props.queryFunction.metricErrors({ period: apiPeriod, statistic: 'Sum' }),
    );
    alarm(
      'Api5xx',
      'query-api-5xx',
      `The query API answered at least ${API_5XX_THRESHOLD} 5xx responses in 5 minutes (Mimecast failing or unreachable, or the function failing). See the API access logs and the function's logs. Clears after 5 quieter minutes.`,
      { threshold: API_5XX_THRESHOLD, ...once },
      props.httpApi.metricServerError({ period: apiPeriod, statistic: 'Sum' }),
    );

    if (props.compactorFunction) {
      const compactorPeriod = Duration.minutes(
        Math.min(60, Math.max(5, props.compactionScheduleMinutes ?? 60)),
      );
      const perSource = (metric: string, stat: 'SUM' | 'MAX', label: string) =>
        new cloudwatch.MathExpression({
          expression: `SELECT ${stat}(${metric}) FROM SCHEMA("${METRICS_NAMESPACE}", ${SOURCE_DIMENSION}) GROUP BY ${SOURCE_DIMENSION}`,
          usingMetrics: {},
          label,
          period: compactorPeriod,
        });
      alarm(
        'CompactorErrors',
        'compactor-errors',
        "The compactor function failed (an unhandled error or a timeout). Queries stay complete (the view reads the NDJSON of days without a Parquet copy), only slower and dearer. See the compactor's logs. Clears after a period without one.",
        { threshold: 1, ...once },
        props.compactorFunction.metricErrors({ period: compactorPeriod, statistic: 'Sum' }),
      );
      alarm(
        'CompactionFailures',
        'compaction-failures',
        "Days of a source could not be compacted (the notification names the source; the compactor's log line 'Day compaction failed' names the day and the reason, e.g. a day over COMPACTION_MAX_DAY_RECORDS). Those days stay readable from their NDJSON. Fix the cause, then rebuild the days (docs/operate.md). Clears after a period without failures.",
        { threshold: 1, ...once },
        perSource(CompactorMetric.CompactionFailures, 'SUM', 'Days that failed to compact'),
      );
      alarm(
        'CompactionLag',
        'compaction-lag',
        `A source has ${COMPACTION_LAG_DAYS} or more closed days without a current Parquet copy after a compactor run (falling behind, or failing). Queries stay complete but read more NDJSON. Check the compaction-failures alarm and the compactor's logs. Clears when it has caught up.`,
        { ...once, threshold: COMPACTION_LAG_DAYS, evaluationPeriods: 2 },
        perSource(CompactorMetric.UncompactedClosedDays, 'MAX', 'Closed days not compacted'),
      );
    }

    this.dashboard = this.buildDashboard(stackName, props, period);
  }

  /**
   * The encrypted alarm topic. Its policy must allow CloudWatch to publish: a topic policy
   * replaces the default one, so the TLS-only Deny alone would leave CloudWatch unauthorized
   * (AWS Knowledge Center "cloudwatch-receive-sns-for-alarm-trigger"). Both the topic policy and
   * the key policy limit CloudWatch to this account's alarms of this stack (aws:SourceAccount,
   * aws:SourceArn), against the confused deputy
   * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
   */
  private createTopic(stackName: string, props: MonitoringProps): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Mimecast audit lake alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': stackAlarmArnPattern(stackName) },
    };
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarmsToPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    for (const email of props.alarmEmails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
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
        title: 'Scheduler deliveries dead-lettered (new messages)',
        left: props.sources.map((s) =>
          s.deadLetterQueue.metric('NumberOfMessagesSent', { period, statistic: 'Sum', label: s.sourceId }),
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
    // CloudWatch refuses an alarm-status widget with more than 100 alarms: one widget per 100.
    for (let i = 0; i < this.alarms.length; i += ALARMS_PER_STATUS_WIDGET) {
      const part = this.alarms.slice(i, i + ALARMS_PER_STATUS_WIDGET);
      const many = this.alarms.length > ALARMS_PER_STATUS_WIDGET;
      dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({
          title: many ? `Alarms ${i + 1}–${i + part.length} of ${this.alarms.length}` : 'Alarms',
          alarms: part,
          width: 24,
        }),
      );
    }
    return dashboard;
  }
}
