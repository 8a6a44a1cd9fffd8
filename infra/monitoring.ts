import { ArnFormat, Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { AUDIT_ACTION } from '../lambda/health/audit-event.js';
import { ACTIVE_KEYS_WARNING } from '../lambda/health/verdict.js';
import { MAX_ACTIVE_KEYS } from '../lambda/keys/key-management.js';
import { parseScheduleExpression, rotationGaps } from '../lambda/settings/schedule-expression.js';
import {
  FLEET_METRICS,
  type FleetMetricName,
  type MetricName,
  SECRET_NAME_DIMENSION,
} from '../lambda/telemetry/metrics.js';
import { markPerSecretResource } from './stack-limits.js';

/** The fleet metrics that say how much the audit covered, rather than what it found. */
const AUDIT_COVERAGE: readonly FleetMetricName[] = ['SecretsAudited', 'SecretsNotChecked'];

/** A secret that asked for alarms of its own, as the monitoring names it. */
export interface MonitoredSecret {
  /** The secret's construct: its per-secret alarms are keyed by `Names.uniqueId` of it, never by position. */
  readonly construct: Construct;
  /** The name, which the function's metrics carry as their SecretName dimension. */
  readonly name: string;
}

export interface RotationMonitoringProps {
  readonly rotationFunction: lambda.Function;
  /** The policy that holds the function's permissions besides logging: the failure queue's grant goes there. */
  readonly rotationPolicy: iam.Policy;
  /** The secrets that get five alarms each besides the fleet's (opt-in, for small fleets). */
  readonly alarmedSecrets: readonly MonitoredSecret[];
  /** The revocation schedules' dead-letter queue, alarmed with the failed-invocations queue. */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly alertTopic: sns.ITopic;
  readonly metricsNamespace: string;
  /** The rotation ScheduleExpression, to draw the age a key may reach on the dashboard. */
  readonly scheduleExpression: string;
  /** Where each alarm description points for what to do: a link, not the runbook. */
  readonly runbook: string;
}

/** When the stack runs the audit: every day at 05:00 UTC. */
const AUDIT_SCHEDULE = events.Schedule.cron({ minute: '0', hour: '5' });
/** A failed asynchronous invocation (a scheduled revocation, the audit) is retried twice, for at most 6 hours. */
const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

const HOUR = Duration.hours(1);
const DAY = Duration.days(1);
/**
 * The audit publishes once a day. An hourly alarm that needs all of 25 datapoints breaching, missing ones
 * counting as breaching, sees a day with no audit as breaching and a day whose audit said 0 as not: it fires
 * on a bad audit result and when the audit stops running, and clears with the next good audit.
 */
const HEARTBEAT_PERIODS = 25;

/**
 * What tells an operator that rotation is going wrong before anyone notices, at a cost that does not grow with
 * the fleet: the daily audit of every secret this function rotates, a fixed set of alarms on its fleet metrics
 * and on the queues where failed invocations end up, and a dashboard whose body names no secret. Alarms per
 * secret are opt-in, for small fleets.
 */
export class RotationMonitoring extends Construct {
  /** Invokes the audit daily with `{"Action":"audit"}`: the function finds its secrets itself. */
  readonly auditRule: events.Rule;
  /** Where Lambda puts an asynchronous invocation that failed every retry or grew too old. */
  readonly failureQueue: sqs.Queue;
  readonly asyncInvokeConfig: lambda.EventInvokeConfig;
  /** The fleet's alarms, by the fleet metric they watch (and `AuditCoverageDropped`); their number is fixed. */
  readonly fleetAlarms: { readonly [metric: string]: cloudwatch.Alarm };
  readonly failedInvocationsAlarm: cloudwatch.Alarm;
  readonly scheduleDeadLetterAlarm: cloudwatch.Alarm;
  /** The opt-in alarms of each secret, five per secret. */
  readonly perSecretAlarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm's name starts with it: the alert topic lets CloudWatch publish for alarms of that name. */
  readonly alarmNamePrefix: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: RotationMonitoringProps,
  ) {
    super(scope, id);
    this.alarmNamePrefix = Names.uniqueResourceName(this, { maxLength: 120, separator: '-' });
    this.allowAlarmsToPublish();
    this.auditRule = this.scheduleAudit();
    this.failureQueue = this.createFailureQueue();
    this.asyncInvokeConfig = this.configureAsyncInvoke();
    this.fleetAlarms = this.createFleetAlarms();
    this.failedInvocationsAlarm = this.queueAlarm(
      'FailedInvocations',
      this.failureQueue,
      'An asynchronous invocation of the Factify key rotation function (a scheduled revocation of a replaced ' +
        'key, or the daily audit) failed every retry and is in the failed-invocations queue: a replaced key may ' +
        `still be active. Read the message in queue ${this.failureQueue.queueName} (its requestPayload names the ` +
        'secret), run factify-rotation status <secret>, and factify-rotation recover <secret> to revoke the key; ' +
        `then delete the message. Runbook: ${props.runbook}`,
    );
    this.scheduleDeadLetterAlarm = this.queueAlarm(
      'ScheduleDeadLetters',
      props.scheduleDeadLetterQueue,
      'EventBridge Scheduler could not deliver a scheduled revocation of a replaced Factify key (the scheduler ' +
        `role changed, a permissions boundary, a deleted function): it is in queue ${props.scheduleDeadLetterQueue.queueName}. ` +
        'Its message names the secret: run factify-rotation recover <secret> to revoke the key, then delete the ' +
        `message. Runbook: ${props.runbook}`,
    );
    this.perSecretAlarms = props.alarmedSecrets.flatMap((secret) => this.secretAlarms(secret));
    for (const alarm of this.perSecretAlarms) markPerSecretResource(alarm.node.defaultChild as IConstruct);
    this.dashboard = this.createDashboard();
  }

  /** Every alarm, for the alert topic's publishing policy. */
  get alarms(): cloudwatch.Alarm[] {
    return [
      ...Object.values(this.fleetAlarms),
      this.failedInvocationsAlarm,
      this.scheduleDeadLetterAlarm,
      ...this.perSecretAlarms,
    ];
  }

  /** One statement for all of these alarms, by name prefix: it stays the same size whatever their number. */
  private allowAlarmsToPublish(): void {
    const topic = this.props.alertTopic;
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${this.alarmNamePrefix}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }

  private scheduleAudit(): events.Rule {
    const rule = new events.Rule(this, 'AuditRule', {
      description: 'Runs the daily audit of every secret the Factify key rotation function rotates',
      schedule: AUDIT_SCHEDULE,
    });
    // Adds the function's invoke permission for this rule only (SourceArn).
    rule.addTarget(
      new targets.LambdaFunction(this.props.rotationFunction, {
        event: events.RuleTargetInput.fromObject({ Action: AUDIT_ACTION }),
      }),
    );
    return rule;
  }

  private createFailureQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'FailedInvocations', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the function's on-failure destination, itself the last stop of a failed asynchronous " +
        'invocation: an operator reads its messages (an alarm says when there is one), nothing consumes them, so ' +
        'there is nothing to redrive.',
    });
    return queue;
  }

  /**
   * Lambda retries a failed asynchronous invocation (EventBridge Scheduler's revocations, the audit rule) and
   * then sends it to the queue instead of dropping it. The permission to send sits in the rotation policy, which
   * Lambda checks when the configuration is created.
   */
  private configureAsyncInvoke(): lambda.EventInvokeConfig {
    this.props.rotationPolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'SendFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [this.failureQueue.queueArn],
      }),
    );
    const queueArn = this.failureQueue.queueArn;
    const config = new lambda.EventInvokeConfig(this, 'AsyncInvoke', {
      function: this.props.rotationFunction,
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
      onFailure: { bind: () => ({ destination: queueArn }) },
    });
    config.node.addDependency(this.props.rotationPolicy);
    return config;
  }

  /**
   * One alarm per fleet metric. Each finding alarm keeps its state between daily audits (missing data ignored):
   * the next audit that finds no such secret clears it. Its description says which command lists the secrets.
   */
  private createFleetAlarms(): Record<FleetMetricName | 'AuditCoverageDropped', cloudwatch.Alarm> {
    const fleet = `factify-rotation status --all --function ${this.props.rotationFunction.functionName}`;
    const runbook = `Runbook: ${this.props.runbook}`;
    const finding = (metric: FleetMetricName, threshold: number, what: string) =>
      this.alarm(metric, metric, {
        metric: this.fleetMetric(metric, 'Maximum', HOUR),
        threshold,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        alarmDescription: `${what} Run: ${fleet} (it lists which secrets and what to do). ${runbook}`,
      });
    return {
      SecretsAudited: this.alarm('SecretsAudited', 'SecretsAudited', {
        metric: this.fleetMetric('SecretsAudited', 'Maximum', HOUR),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: HEARTBEAT_PERIODS,
        datapointsToAlarm: HEARTBEAT_PERIODS,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription:
          'The daily audit of the Factify key rotation has not run for a day, or found no secret rotated by the ' +
          "function: nothing checks the keys. The function's log and the failed-invocations queue say why; " +
          `run: ${fleet}. ${runbook}`,
      }),
      // DIFF is each audit's count minus the previous one's: two daily periods hold two audits.
      AuditCoverageDropped: this.alarm('AuditCoverageDropped', 'AuditCoverageDropped', {
        metric: new cloudwatch.MathExpression({
          expression: 'DIFF(audited)',
          usingMetrics: { audited: this.fleetMetric('SecretsAudited', 'Minimum', DAY) },
          period: DAY,
          label: 'Change in secrets audited',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          'The daily audit covered fewer secrets than the day before: a secret was deleted or moved to another ' +
          'rotation function (expected), or the audit ran out of time or permissions before reaching it. Run: ' +
          `${fleet}. ${runbook}`,
      }),
      SecretsNotChecked: finding(
        'SecretsNotChecked',
        1,
        'The daily audit ran out of time or could not read some secrets, and reported them as not checked.',
      ),
      SecretsOverdue: finding(
        'SecretsOverdue',
        1,
        'Rotation of at least one Factify key secret is overdue or disabled.',
      ),
      SecretsStuck: finding(
        'SecretsStuck',
        1,
        'A rotation is stuck: AWSPENDING sits on a version that never became current, and Secrets Manager refuses ' +
          'every new rotation of that secret; fix the cause, then factify-rotation recover <secret>.',
      ),
      SecretsCurrentKeyNotActive: finding(
        'SecretsCurrentKeyNotActive',
        1,
        'The current Factify key of at least one secret is revoked, expired or unknown at Factify: every consumer ' +
          'of that secret is failing now.',
      ),
      SecretsReplacedKeyNotRevoked: finding(
        'SecretsReplacedKeyNotRevoked',
        1,
        'A key that a rotation replaced is still active after its grace period: its revocation failed or was lost.',
      ),
      SecretsNearKeyLimit: finding(
        'SecretsNearKeyLimit',
        1,
        `At least one Factify organization holds ${ACTIVE_KEYS_WARNING} or more of its ${MAX_ACTIVE_KEYS} active ` +
          'keys: its next rotation may fail to create a key.',
      ),
      OrphanedKeys: finding(
        'OrphanedKeys',
        1,
        'A Factify key that a rotation created is active but held by no version of its secret.',
      ),
    };
  }

  private queueAlarm(id: string, queue: sqs.IQueue, description: string): cloudwatch.Alarm {
    return this.alarm(id, id, {
      metric: queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
  }

  /** The five alarms of one secret, keyed by the secret's construct so that reordering the list changes nothing. */
  private secretAlarms(secret: MonitoredSecret): cloudwatch.Alarm[] {
    const key = Names.uniqueId(secret.construct);
    // The alarm's name ends with the secret's, cut to fit CloudWatch's 255 characters with its hash kept.
    const nameKey = Names.uniqueResourceName(secret.construct, { maxLength: 100 });
    const runbook = `Runbook: ${this.props.runbook}`;
    const status = `Run: factify-rotation status ${secret.name}.`;
    const metric = (name: MetricName) =>
      new cloudwatch.Metric({
        namespace: this.props.metricsNamespace,
        metricName: name,
        dimensionsMap: { [SECRET_NAME_DIMENSION]: secret.name },
        statistic: 'Maximum',
        period: HOUR,
      });
    const untilNextAudit = (kind: string, name: MetricName, threshold: number, what: string) =>
      this.alarm(`${kind}${key}`, `${kind}${nameKey}`, {
        metric: metric(name),
        threshold,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        alarmDescription: `${what} ${status} ${runbook}`,
      });
    return [
      this.alarm(`RotationOverdue${key}`, `RotationOverdue${nameKey}`, {
        metric: metric('RotationOverdue'),
        threshold: 1,
        evaluationPeriods: HEARTBEAT_PERIODS,
        datapointsToAlarm: HEARTBEAT_PERIODS,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription:
          'Factify key rotation of this secret is overdue or disabled, or the daily audit has not checked it ' +
          `for a day. ${status} ${runbook}`,
      }),
      untilNextAudit(
        'CurrentKeyNotActive',
        'CurrentKeyNotActive',
        1,
        'The current Factify key of this secret is revoked, expired or unknown at Factify: every consumer of ' +
          'the secret is failing now.',
      ),
      untilNextAudit('RotationStuck', 'RotationStuck', 1, 'A rotation of this secret is stuck.'),
      untilNextAudit(
        'ActiveKeys',
        'ActiveKeys',
        ACTIVE_KEYS_WARNING,
        `The Factify organization of this secret has ${ACTIVE_KEYS_WARNING} or more of its ${MAX_ACTIVE_KEYS} ` +
          'active keys.',
      ),
      untilNextAudit(
        'ReplacedKeyNotRevoked',
        'ReplacedKeysNotRevoked',
        1,
        'A key that a rotation of this secret replaced is still active after its grace period.',
      ),
    ];
  }

  private fleetMetric(name: FleetMetricName, statistic: string, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.metricsNamespace,
      metricName: name,
      statistic,
      period,
    });
  }

  /**
   * Every secret's metric of one name, found by a search expression when the dashboard is viewed: the body names
   * no secret, so it stays the same size for any fleet. `total` sums them into one line.
   */
  private search(name: MetricName, statistic: string, period: Duration, total?: string): cloudwatch.IMetric {
    const namespace = this.props.metricsNamespace.replace(/["'\\]/g, '\\$&');
    const search = `SEARCH('{"${namespace}",${SECRET_NAME_DIMENSION}} MetricName="${name}"', '${statistic}', ${period.toSeconds()})`;
    return new cloudwatch.MathExpression({
      expression: total ? `SUM(${search})` : search,
      usingMetrics: {},
      period,
      ...(total ? { label: total } : {}),
    });
  }

  /** An alarm named `<prefix>-<name>` (at most 120 + 1 + 134 characters), notifying the topic. */
  private alarm(id: string, name: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      alarmName: `${this.alarmNamePrefix}-${name}`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...props,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.props.alertTopic));
    return alarm;
  }

  private createDashboard(): cloudwatch.Dashboard {
    // The longest a key may wait for its rotation: the interval of a rate, the longest gap of a cron.
    const schedule = parseScheduleExpression(this.props.scheduleExpression).schedule;
    const longest = schedule && rotationGaps(schedule).longest;
    const scheduleDays = longest && longest.hours / 24;
    const fleet = (names: readonly FleetMetricName[]) =>
      names.map((name) => this.fleetMetric(name, 'Maximum', DAY).with({ label: name }));
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(35) });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Audit: secrets audited and not checked',
        left: fleet(AUDIT_COVERAGE),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Audit findings: secrets in each state (run factify-rotation status --all for which)',
        left: fleet(FLEET_METRICS.filter((name) => !AUDIT_COVERAGE.includes(name))),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rotations completed and failed steps per day, all secrets',
        left: [
          this.search('RotationsCompleted', 'Sum', DAY, 'rotations completed'),
          this.search('StepFailed', 'Sum', DAY, 'failed steps'),
          this.props.rotationFunction.metricErrors({
            period: DAY,
            statistic: 'Sum',
            label: 'function errors',
          }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Factify throttling: 429 answers and retries per hour, all secrets',
        left: [
          this.search('FactifyThrottles', 'Sum', HOUR, '429 answers'),
          this.search('FactifyRetries', 'Sum', HOUR, 'retries'),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Current key age in days per secret, against the schedule (${this.props.scheduleExpression})`,
        left: [this.search('DaysSinceRotation', 'Maximum', DAY)],
        leftAnnotations: scheduleDays ? [{ value: scheduleDays, label: 'rotation due' }] : [],
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Active keys in each secret's organization",
        left: [this.search('ActiveKeys', 'Maximum', DAY)],
        leftAnnotations: [
          { value: ACTIVE_KEYS_WARNING, label: 'near the limit', color: cloudwatch.Color.ORANGE },
          { value: MAX_ACTIVE_KEYS, label: "Factify's limit", color: cloudwatch.Color.RED },
        ],
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Fleet alarms',
        alarms: [
          ...Object.values(this.fleetAlarms),
          this.failedInvocationsAlarm,
          this.scheduleDeadLetterAlarm,
        ],
        width: 24,
      }),
    );
    return dashboard;
  }
}
