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
import type { MimecastErrorKind } from '#core/mimecast/errors.js';
import {
  CollectorMetric,
  CompactorMetric,
  DispatcherMetric,
  KIND_DIMENSION,
  METRICS_NAMESPACE,
  SOURCE_DIMENSION,
} from '#core/observability.js';
import type { Phase } from '#core/sync/run-context.js';

/** What monitoring needs to know about one source's collector. */
export interface MonitoredSource {
  sourceId: string;
  function: lambda.IFunction;
  deadLetterQueue: sqs.IQueue;
}

/** What monitoring needs to know about the fleet (fleet mode: one collector for every source). */
export interface MonitoredFleet {
  collectorFunction: lambda.IFunction;
  /** The collector's on-failure destination. */
  failureQueue: sqs.IQueue;
  dispatcherFunction: lambda.IFunction;
  /** Threshold of the fleet freshness alarm (minutes). */
  freshnessThresholdMinutes: number;
}

/** Props of the Monitoring construct. */
export interface MonitoringProps {
  /** The stack key: the created topic is encrypted with it. */
  key: kms.IKey;
  /** Subscribed to the created topic (each confirms once). */
  alarmEmails: readonly string[];
  /** An existing topic to notify instead of creating one. */
  alarmTopicArn?: string | undefined;
  /** The per-source collectors (none in fleet mode). */
  sources: MonitoredSource[];
  /** Fleet mode: alarms and dashboard over all sources at once instead of per source. */
  fleet?: MonitoredFleet | undefined;
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

/**
 * Alarms of fleet mode, created once however many sources there are. Most are Metrics Insights
 * alarms grouped by `Source`: every source is a contributor of its own, and the notification
 * names the ones in alarm.
 */
export const FLEET_ALARM_KINDS = [
  'fleet-freshness',
  'fleet-collector-errors',
  'fleet-credentials',
  'fleet-throttling',
  'fleet-gap',
  'fleet-unreadable',
  'fleet-rescans-skipped',
  'fleet-malformed-events',
  'fleet-conflicting-copies',
  'fleet-dispatch-failures',
  'fleet-failed-invocations',
  'dispatcher-errors',
  'dispatcher-stopped',
] as const;

/** The `Kind` of a failed run, as the collector's engine reports it (RunFailuresByKind). */
type FailureKind = MimecastErrorKind | Exclude<Phase, 'fetch'> | 'internal';
/** Failures only a human fixes by changing the credentials or the secret: the credentials alarm. */
type CredentialKind = Extract<
  FailureKind,
  'authentication' | 'binding_expired' | 'credentials' | 'configuration'
>;
const CREDENTIAL_KINDS: Record<CredentialKind, true> = {
  authentication: true,
  binding_expired: true,
  credentials: true,
  configuration: true,
};
/**
 * Every other kind. A Record over the type, so a new error kind is a compile error here until it
 * is sorted into one list or the other. Metrics Insights filters only with `=`, `!=` and `AND`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html),
 * so each alarm excludes the other list.
 */
const OTHER_FAILURE_KINDS: Record<Exclude<FailureKind, CredentialKind>, true> = {
  rate_limited: true,
  retryable: true,
  fatal: true,
  cursor: true,
  storage: true,
  internal: true,
};

/**
 * Sources a fleet alarm evaluates at most: the worst ones by the alarm's own statistic. A
 * multi-time-series alarm needs GROUP BY and ORDER BY, names at most 100 contributors in ALARM
 * and reports PARTIAL_DATA above 500 time series
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html),
 * so the query returns the top 100 and stays complete for any number of sources.
 */
export const FLEET_ALARM_CONTRIBUTORS = 100;

/** Sources a fleet dashboard widget draws (the top ones by the widget's statistic). */
export const FLEET_WIDGET_SOURCES = 20;

/**
 * A Metrics Insights query over every source: `stat(metric)` per `Source`, worst first. `kinds`:
 * the `Kind` values to leave out (RunFailuresByKind only, whose dimensions are Kind and Source).
 */
export function fleetQuery(
  stat: 'MAX' | 'SUM',
  metric: string,
  limit: number,
  excludeKinds?: readonly string[],
): string {
  const schema =
    excludeKinds === undefined
      ? `SCHEMA("${METRICS_NAMESPACE}", ${SOURCE_DIMENSION})`
      : `SCHEMA("${METRICS_NAMESPACE}", ${KIND_DIMENSION}, ${SOURCE_DIMENSION})`;
  const where =
    excludeKinds === undefined || excludeKinds.length === 0
      ? ''
      : ` WHERE ${excludeKinds.map((k) => `${KIND_DIMENSION} != '${k}'`).join(' AND ')}`;
  return `SELECT ${stat}(${metric}) FROM ${schema}${where} GROUP BY ${SOURCE_DIMENSION} ORDER BY ${stat}() DESC LIMIT ${limit}`;
}

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

    if (props.fleet) addFleetAlarms(alarm, props.fleet, period);

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
        // Fleet mode: worst first and at most the contributors an alarm names, for any number of sources.
        expression: props.fleet
          ? fleetQuery('MAX', CollectorMetric.NotConfiguredSeconds, FLEET_ALARM_CONTRIBUTORS)
          : `SELECT MAX(${CollectorMetric.NotConfiguredSeconds}) FROM SCHEMA("${METRICS_NAMESPACE}", ${SOURCE_DIMENSION}) GROUP BY ${SOURCE_DIMENSION}`,
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
          expression: props.fleet
            ? fleetQuery(stat, metric, FLEET_ALARM_CONTRIBUTORS)
            : `SELECT ${stat}(${metric}) FROM SCHEMA("${METRICS_NAMESPACE}", ${SOURCE_DIMENSION}) GROUP BY ${SOURCE_DIMENSION}`,
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
        "Days of a source could not be compacted (the notification names the source; the compactor's log line 'Day compaction failed' names the day and the reason, e.g. a day over COMPACTION_MAX_DAY_RECORDS). Those days stay readable from their NDJSON. Fix the cause, then rebuild the days (docs/operate.md). Source ~view: the view could not be rewritten; ~catalog (fleet mode): the registry could not be listed or a source could not be added to Athena's partition projection (docs/mssp.md). Clears after a period without failures.",
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

    this.dashboard = props.fleet
      ? this.buildFleetDashboard(stackName, props, props.fleet, period)
      : this.buildDashboard(stackName, props, period);
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

  /**
   * Fleet mode: Metrics Insights widgets over every source (the worst FLEET_WIDGET_SOURCES of each
   * figure, named by source), the dispatcher and the one collector function, then the query API.
   */
  private buildFleetDashboard(
    stackName: string,
    props: MonitoringProps,
    fleet: MonitoredFleet,
    period: Duration,
  ): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: stackName,
      defaultInterval: Duration.days(1),
    });
    const top = (stat: 'MAX' | 'SUM', metric: string) =>
      new cloudwatch.MathExpression({
        expression: fleetQuery(stat, metric, FLEET_WIDGET_SOURCES),
        usingMetrics: {},
        period,
      });
    const total = (metric: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SELECT SUM(${metric}) FROM SCHEMA("${METRICS_NAMESPACE}", ${SOURCE_DIMENSION})`,
        usingMetrics: {},
        label,
        period,
      });
    const dispatcherTotal = (metric: string, label: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: metric,
        statistic: 'Sum',
        period,
        label,
      });

    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${stackName} (fleet mode)\nEvery source at once: each graph shows the ${FLEET_WIDGET_SOURCES} sources worst (or busiest) by its figure, named by source. Alarms go to the SNS topic of this stack; the notification names the sources in alarm.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Lag (seconds behind now), worst ${FLEET_WIDGET_SOURCES} sources`,
        left: [top('MAX', CollectorMetric.LagSeconds)],
        leftAnnotations: [{ value: fleet.freshnessThresholdMinutes * 60, label: 'freshness alarm' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: `Failed runs, top ${FLEET_WIDGET_SOURCES} sources`,
        left: [top('SUM', CollectorMetric.RunFailures)],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Events written, top ${FLEET_WIDGET_SOURCES} sources`,
        left: [top('SUM', CollectorMetric.EventsWritten)],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Events written, all sources',
        left: [total(CollectorMetric.EventsWritten, 'events written')],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Runs stopped by Mimecast throttling, top ${FLEET_WIDGET_SOURCES} sources`,
        left: [top('SUM', CollectorMetric.ThrottledStops)],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dispatcher (sources due / dispatched; failures right)',
        left: [
          dispatcherTotal(DispatcherMetric.SourcesDue, 'due'),
          dispatcherTotal(DispatcherMetric.SourcesDispatched, 'dispatched'),
        ],
        right: [total(DispatcherMetric.DispatchFailures, 'dispatch failures')],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Collector function (invocations / errors / throttles)',
        left: [
          fleet.collectorFunction.metricInvocations({ period, statistic: 'Sum', label: 'invocations' }),
          fleet.collectorFunction.metricErrors({ period, statistic: 'Sum', label: 'errors' }),
          fleet.collectorFunction.metricThrottles({ period, statistic: 'Sum', label: 'throttles' }),
        ],
        right: [
          fleet.failureQueue.metric('NumberOfMessagesSent', {
            period,
            statistic: 'Sum',
            label: 'failed or expired invocations',
          }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Collector runs at once (the reservation is fleet.maxConcurrentRuns)',
        left: [
          fleet.collectorFunction.metric('ConcurrentExecutions', {
            period,
            statistic: 'Maximum',
            label: 'concurrent runs',
          }),
        ],
        width: 12,
      }),
    );
    this.addApiWidgets(dashboard, props);
    this.addAlarmWidgets(dashboard);
    return dashboard;
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
    this.addApiWidgets(dashboard, props);
    this.addAlarmWidgets(dashboard);
    return dashboard;
  }

  private addApiWidgets(dashboard: cloudwatch.Dashboard, props: MonitoringProps): void {
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
  }

  private addAlarmWidgets(dashboard: cloudwatch.Dashboard): void {
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
  }
}

/** Creates one alarm notifying the topic (the Monitoring constructor's `alarm`). */
type AlarmFactory = (
  idSuffix: string,
  name: string,
  description: string,
  options: Omit<cloudwatch.CreateAlarmOptions, 'alarmName' | 'alarmDescription'>,
  metric: cloudwatch.IMetric,
) => cloudwatch.Alarm;

/**
 * Fleet mode's alarms: the per-source alarms' conditions, each as one Metrics Insights alarm over
 * every source (so they cost the same for 1 source as for 2 000, and a source added to the
 * registry is watched as soon as it reports), plus the dispatcher and the collector's
 * invocations. A source that stops reporting drops out of a grouped alarm (its contributor
 * returns to OK), so a stopped dispatcher or failing invocations have alarms of their own.
 */
function addFleetAlarms(alarm: AlarmFactory, fleet: MonitoredFleet, period: Duration): void {
  const query = (stat: 'MAX' | 'SUM', metric: string, label: string, excludeKinds?: readonly string[]) =>
    new cloudwatch.MathExpression({
      expression: fleetQuery(stat, metric, FLEET_ALARM_CONTRIBUTORS, excludeKinds),
      usingMetrics: {},
      label,
      period,
    });
  const once = {
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  } as const;
  const anyAtAll = {
    ...once,
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  } as const;
  const names = 'The notification names the sources in alarm';

  alarm(
    'FleetFreshness',
    'fleet-freshness',
    `A source's archive is more than ${fleet.freshnessThresholdMinutes} minutes behind in 3 periods in a row. ${names} (the ${FLEET_ALARM_CONTRIBUTORS} worst are watched). Expected during a source's first backfill; otherwise check the other fleet alarms and the collector's logs (field sourceId). Sources not configured yet report no lag (see the not-configured alarm); a source that stops reporting altogether drops out of this alarm, which is why the dispatcher and the collector's invocations have alarms of their own. Clears when the sources have caught up.`,
    {
      threshold: fleet.freshnessThresholdMinutes * 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    },
    query('MAX', CollectorMetric.LagSeconds, 'Lag (seconds)'),
  );
  alarm(
    'FleetCollectorErrors',
    'fleet-collector-errors',
    `Runs of a source failed in ${COLLECTOR_ERROR_DATAPOINTS} of the last ${COLLECTOR_ERROR_PERIODS} periods (credential failures alarm apart, at once). ${names}. See lastError in GET /v1/status and the collector's logs; every run retries the pending window. Clears when its runs succeed again.`,
    {
      threshold: 1,
      evaluationPeriods: COLLECTOR_ERROR_PERIODS,
      datapointsToAlarm: COLLECTOR_ERROR_DATAPOINTS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    },
    query(
      'SUM',
      CollectorMetric.RunFailuresByKind,
      'Failed runs (not credentials)',
      Object.keys(CREDENTIAL_KINDS),
    ),
  );
  alarm(
    'FleetCredentials',
    'fleet-credentials',
    `A source's credentials do not work: Mimecast rejected them (401/403), the API 1.0 binding expired (418), or its secret cannot be read or is malformed (also when the secret lacks the mimecast-source tag the run's access depends on). ${names}. Fix the credentials or the secret's tag; the next run uses them. Clears after a period without such failures.`,
    { threshold: 1, ...once },
    query('SUM', CollectorMetric.RunFailuresByKind, 'Credential failures', Object.keys(OTHER_FAILURE_KINDS)),
  );
  alarm(
    'FleetThrottling',
    'fleet-throttling',
    `Runs of a source keep ending early because Mimecast throttles (429), for ${THROTTLING_PERIODS} periods in a row. ${names}. Check other consumers of the same Mimecast API application, or lengthen the source's scheduleMinutes (npm run sources). Clears after a period without such a stop.`,
    {
      threshold: 1,
      evaluationPeriods: THROTTLING_PERIODS,
      datapointsToAlarm: THROTTLING_PERIODS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    },
    query('SUM', CollectorMetric.ThrottledStops, 'Runs stopped by throttling'),
  );
  alarm(
    'FleetGap',
    'fleet-gap',
    `A source skipped history that fell out of Mimecast's 60 days (its collector was not running long enough). ${names}. The range is recorded on its cursor (GET /v1/status); it cannot be collected any more. Clears in the next period.`,
    anyAtAll,
    query('SUM', CollectorMetric.GapSeconds, 'Seconds lost'),
  );
  alarm(
    'FleetUnreadable',
    'fleet-unreadable',
    `A source has seconds of history Mimecast would not page through however narrowly they were searched (recorded as unreadable). ${names}. GET /v1/status lists the ranges; the runbook says what to do. Clears in the next period.`,
    anyAtAll,
    query('SUM', CollectorMetric.UnreadableSeconds, 'Unreadable seconds'),
  );
  alarm(
    'FleetRescansSkipped',
    'fleet-rescans-skipped',
    `A source's due rescan for late events could not be made (the window fell out of Mimecast's history, or was unreadable). ${names}. GET /v1/status lists the skipped rescans. Clears in the next period.`,
    anyAtAll,
    query('SUM', CollectorMetric.RescansSkipped, 'Rescans skipped'),
  );
  alarm(
    'FleetMalformedEvents',
    'fleet-malformed-events',
    `Warning: a source received events without an id or a parseable eventTime; they were quarantined under the "-malformed" prefix, not archived. ${names}. Inspect them; report to Mimecast if it persists. Clears in the next period.`,
    anyAtAll,
    query('SUM', CollectorMetric.MalformedEvents, 'Malformed events'),
  );
  alarm(
    'FleetConflictingCopies',
    'fleet-conflicting-copies',
    `Warning: a source received a second copy of an archived event id with different content (the first copy stays the record; the other is quarantined under the "-malformed" prefix). ${names}. Report to Mimecast if it persists. Clears in the next period.`,
    anyAtAll,
    query('SUM', CollectorMetric.ConflictingCopies, 'Conflicting copies'),
  );
  alarm(
    'FleetDispatchFailures',
    'fleet-dispatch-failures',
    `The dispatcher could not start a source's run (recording the dispatch or invoking the collector failed) in ${COLLECTOR_ERROR_DATAPOINTS} of the last ${COLLECTOR_ERROR_PERIODS} periods. ${names}. See the dispatcher's log lines "Dispatch run summary" and the failure per source; the source runs again in its next slot. Clears when its dispatches succeed.`,
    {
      threshold: 1,
      evaluationPeriods: COLLECTOR_ERROR_PERIODS,
      datapointsToAlarm: COLLECTOR_ERROR_DATAPOINTS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    },
    query('SUM', DispatcherMetric.DispatchFailures, 'Failed dispatches'),
  );
  alarm(
    'FleetFailedInvocations',
    'fleet-failed-invocations',
    "Collector invocations failed in Lambda (the function crashed, timed out, or could not start: its source's role could not be assumed) or waited in Lambda's queue longer than their maximum age (more runs at once than fleet.maxConcurrentRuns allows). Each one's record, with the source id in its request payload, is in the fleet's failure queue. Clears in the next period without new messages; purge the queue after fixing the cause.",
    { threshold: 1, ...once },
    // New messages, not depth: depth stays up until someone purges the queue.
    fleet.failureQueue.metric('NumberOfMessagesSent', { period, statistic: 'Sum' }),
  );
  const dispatcherPeriod = Duration.minutes(5);
  alarm(
    'DispatcherErrors',
    'dispatcher-errors',
    `The dispatcher failed (an unhandled error or a timeout, e.g. the registry could not be read) in ${COLLECTOR_ERROR_DATAPOINTS} of the last ${COLLECTOR_ERROR_PERIODS} five-minute periods: no source is started while it fails. See the dispatcher's logs. Clears when its runs succeed again.`,
    {
      threshold: 1,
      evaluationPeriods: COLLECTOR_ERROR_PERIODS,
      datapointsToAlarm: COLLECTOR_ERROR_DATAPOINTS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    },
    fleet.dispatcherFunction.metricErrors({ period: dispatcherPeriod, statistic: 'Sum' }),
  );
  alarm(
    'DispatcherStopped',
    'dispatcher-stopped',
    'The dispatcher was not invoked for 10 minutes (its 1-minute schedule rule is disabled or deleted, or EventBridge cannot invoke it): no source is being collected. Check the rule and the function. Clears when it runs again.',
    {
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No invocations means no datapoint at all: exactly what this alarm is for.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    },
    fleet.dispatcherFunction.metricInvocations({ period: dispatcherPeriod, statistic: 'Sum' }),
  );
}
