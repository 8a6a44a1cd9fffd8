import { ArnFormat, Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIT_ACTION } from '../lambda/health/audit-event.js';
import { ACTIVE_KEYS_WARNING } from '../lambda/health/verdict.js';
import { MAX_ACTIVE_KEYS } from '../lambda/keys/key-management.js';
import { parseScheduleExpression, rotationGaps } from '../lambda/settings/schedule-expression.js';
import { type MetricName, SECRET_NAME_DIMENSION } from '../lambda/telemetry/metrics.js';
import { revokeScheduleArnPattern } from './revoke-scheduling.js';

/** A rotated secret as the monitoring names it. */
export interface MonitoredSecret {
  /** Complete ARN, which the audit event carries. */
  readonly arn: string;
  /** The name, which the function's metrics carry as their SecretName dimension. */
  readonly name: string;
}

export interface RotationMonitoringProps {
  readonly rotationFunction: lambda.Function;
  /** The policy that holds the function's permissions besides logging: the audit's reads go there. */
  readonly rotationPolicy: iam.Policy;
  readonly secrets: readonly MonitoredSecret[];
  readonly alertTopic: sns.ITopic;
  readonly metricsNamespace: string;
  /** The rotation ScheduleExpression, to draw the age a key may reach on the dashboard. */
  readonly scheduleExpression: string;
  /** Whether the function schedules revocations (a grace period): the audit then reads those schedules. */
  readonly schedulesRevocations: boolean;
}

/** When the stack runs the audit: every day at 05:00 UTC. */
const AUDIT_SCHEDULE = events.Schedule.cron({ minute: '0', hour: '5' });
/** EventBridge rule targets take at most 8192 characters of input: 20 complete ARNs fit with room to spare. */
const SECRETS_PER_AUDIT_TARGET = 20;
/** A failed asynchronous invocation (a scheduled revocation, the audit) is retried twice, for at most 6 hours. */
const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

const HOUR = Duration.hours(1);
/**
 * The audit publishes once a day. An hourly alarm that needs all of 25 datapoints breaching, missing ones
 * counting as breaching, sees a day with no audit as breaching and a day whose audit said 0 as not: it fires
 * on a bad audit result and when the audit stops running (or cannot check the secret), and clears with the
 * next good audit.
 */
const HEARTBEAT_PERIODS = 25;

/**
 * What tells an operator that rotation is going wrong before anyone notices: the daily audit and its schedule,
 * the alarms on its metrics, the on-failure queue of the function's asynchronous invocations (scheduled
 * revocations and audits that failed every retry) with its alarm, and a dashboard.
 */
export class RotationMonitoring extends Construct {
  /** The rules that invoke the audit daily, each with up to 20 secrets. */
  readonly auditRules: readonly events.Rule[];
  /** Where Lambda puts an asynchronous invocation that failed every retry or grew too old. */
  readonly failureQueue: sqs.Queue;
  readonly asyncInvokeConfig: lambda.EventInvokeConfig;
  /** Per secret, in the order of the secrets: rotation overdue or disabled (or the audit not running). */
  readonly overdueAlarms: readonly cloudwatch.Alarm[];
  readonly currentKeyNotActiveAlarms: readonly cloudwatch.Alarm[];
  readonly stuckAlarms: readonly cloudwatch.Alarm[];
  readonly activeKeysAlarms: readonly cloudwatch.Alarm[];
  readonly replacedKeyNotRevokedAlarms: readonly cloudwatch.Alarm[];
  readonly failedInvocationsAlarm: cloudwatch.Alarm;
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
    this.allowAuditReads();
    this.auditRules = this.scheduleAudit();
    this.failureQueue = this.createFailureQueue();
    this.asyncInvokeConfig = this.configureAsyncInvoke();

    const perSecret = (
      kind: string,
      metric: MetricName,
      make: (secret: MonitoredSecret, metric: cloudwatch.Metric) => cloudwatch.AlarmProps,
    ) =>
      props.secrets.map((secret, index) =>
        this.alarm(
          `${kind}${index}`,
          make(secret, this.metric(metric, secret, { statistic: 'Maximum', period: HOUR })),
        ),
      );
    this.overdueAlarms = perSecret('RotationOverdue', 'RotationOverdue', (secret, metric) => ({
      metric,
      threshold: 1,
      evaluationPeriods: HEARTBEAT_PERIODS,
      datapointsToAlarm: HEARTBEAT_PERIODS,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      alarmDescription:
        `Factify key rotation of secret ${secret.name} is overdue or disabled, or the daily audit has not checked it ` +
        `for a day. Run: factify-rotation status ${secret.name}. Rotation disabled: redeploy the stack (npx cdk deploy) ` +
        'to turn it back on. Overdue: factify-rotation rotate <secret> --wait shows the step that fails. No audit: ' +
        'the function\'s log (message "Audit could not check the secret") and the failed-invocations queue say why.',
    }));
    // These keep their state between daily audits: the next audit that finds the secret well clears them.
    const untilNextAudit = (
      kind: string,
      metric: MetricName,
      threshold: number,
      describe: (name: string) => string,
    ) =>
      perSecret(kind, metric, (secret, alarmMetric) => ({
        metric: alarmMetric,
        threshold,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        alarmDescription: describe(secret.name),
      }));
    this.currentKeyNotActiveAlarms = untilNextAudit(
      'CurrentKeyNotActive',
      'CurrentKeyNotActive',
      1,
      (name) =>
        `The current Factify key of secret ${name} is revoked, expired or unknown at Factify: every consumer ` +
        `of the secret is failing now. Run: factify-rotation status ${name}. Put a working key of the ` +
        'organization in the secret at once (aws secretsmanager put-secret-value, as status shows), then find out ' +
        'who revoked it (Factify dashboard: Manage > API Keys).',
    );
    this.stuckAlarms = untilNextAudit(
      'RotationStuck',
      'RotationStuck',
      1,
      (name) =>
        `A rotation of secret ${name} is stuck: AWSPENDING sits on a version that never became current, and ` +
        `Secrets Manager refuses every new rotation. Run: factify-rotation status ${name} (it prints the log ` +
        `command for the failing step), fix the cause, then factify-rotation recover ${name}.`,
    );
    this.activeKeysAlarms = untilNextAudit(
      'ActiveKeys',
      'ActiveKeys',
      ACTIVE_KEYS_WARNING,
      (name) =>
        `The Factify organization of secret ${name} has ${ACTIVE_KEYS_WARNING} or more of its ${MAX_ACTIVE_KEYS} active keys: ` +
        `the next rotation may fail to create its key. Run: factify-rotation status ${name}; ` +
        `factify-rotation recover ${name} revokes this secret's leftovers; revoke keys no one uses in the ` +
        'Factify dashboard (Manage > API Keys).',
    );
    this.replacedKeyNotRevokedAlarms = untilNextAudit(
      'ReplacedKeyNotRevoked',
      'ReplacedKeysNotRevoked',
      1,
      (name) =>
        `A key that a rotation of secret ${name} replaced is still active after its grace period: its ` +
        `revocation failed or was lost. Run: factify-rotation status ${name}, then ` +
        `factify-rotation recover ${name} to revoke it.`,
    );
    this.failedInvocationsAlarm = this.alarm('FailedInvocations', {
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'An asynchronous invocation of the Factify key rotation function (a scheduled revocation of a replaced ' +
        'key, or the daily audit) failed every retry and is in the failed-invocations queue: a replaced key may ' +
        `still be active. Read the message in queue ${this.failureQueue.queueName} (its requestPayload names the ` +
        'secret), run factify-rotation status <secret>, and factify-rotation recover <secret> to revoke the key; ' +
        'then delete the message.',
    });
    this.dashboard = this.createDashboard();
  }

  /** Every alarm, for the alert topic's publishing policy. */
  get alarms(): cloudwatch.Alarm[] {
    return [
      ...this.overdueAlarms,
      ...this.currentKeyNotActiveAlarms,
      ...this.stuckAlarms,
      ...this.activeKeysAlarms,
      ...this.replacedKeyNotRevokedAlarms,
      this.failedInvocationsAlarm,
    ];
  }

  /**
   * One statement for all of these alarms, by name prefix: five alarms per secret, each named by ARN, would
   * outgrow the topic policy's 30 KB at about fifty secrets.
   */
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

  /** The audit reads what `status` reads: the versions' creation dates, and the revocation schedules. */
  private allowAuditReads(): void {
    this.props.rotationPolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'AuditListVersions',
        actions: ['secretsmanager:ListSecretVersionIds'],
        resources: this.props.secrets.map((secret) => secret.arn),
      }),
    );
    if (this.props.schedulesRevocations) {
      this.props.rotationPolicy.addStatements(
        new iam.PolicyStatement({
          sid: 'AuditReadRevocationSchedules',
          actions: ['scheduler:GetSchedule'],
          resources: [revokeScheduleArnPattern(this)],
        }),
      );
    }
  }

  private scheduleAudit(): events.Rule[] {
    const rules: events.Rule[] = [];
    const { secrets } = this.props;
    for (let start = 0; start < secrets.length; start += SECRETS_PER_AUDIT_TARGET) {
      const batch = secrets.slice(start, start + SECRETS_PER_AUDIT_TARGET);
      const rule = new events.Rule(this, rules.length === 0 ? 'AuditRule' : `AuditRule${rules.length}`, {
        description: 'Runs the daily audit of the Factify key rotation',
        schedule: AUDIT_SCHEDULE,
      });
      // Adds the function's invoke permission for this rule only (SourceArn).
      rule.addTarget(
        new targets.LambdaFunction(this.props.rotationFunction, {
          event: events.RuleTargetInput.fromObject({
            Action: AUDIT_ACTION,
            SecretIds: batch.map((secret) => secret.arn),
          }),
        }),
      );
      rules.push(rule);
    }
    return rules;
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

  private metric(
    name: MetricName,
    secret: MonitoredSecret,
    options: { statistic: string; period: Duration },
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.metricsNamespace,
      metricName: name,
      dimensionsMap: { [SECRET_NAME_DIMENSION]: secret.name },
      ...options,
    });
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      alarmName: `${this.alarmNamePrefix}-${id}`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...props,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.props.alertTopic));
    return alarm;
  }

  private createDashboard(): cloudwatch.Dashboard {
    const day = Duration.days(1);
    // Labelled for the graphs only: a labelled metric turns an alarm into a metric-math alarm.
    const each = (name: MetricName, statistic: string, period: Duration) =>
      this.props.secrets.map((secret) =>
        this.metric(name, secret, { statistic, period }).with({ label: secret.name }),
      );
    // The longest a key may wait for its rotation: the interval of a rate, the longest gap of a cron.
    const schedule = parseScheduleExpression(this.props.scheduleExpression).schedule;
    const longest = schedule && rotationGaps(schedule).longest;
    const scheduleDays = longest && longest.hours / 24;
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(35) });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rotations completed per day',
        left: each('RotationsCompleted', 'Sum', day),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Failed steps per day (and function errors)',
        left: [
          ...each('StepFailed', 'Sum', day),
          this.props.rotationFunction.metricErrors({
            period: day,
            statistic: 'Sum',
            label: 'function errors',
          }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Current key age in days against the schedule (${this.props.scheduleExpression})`,
        left: each('DaysSinceRotation', 'Maximum', day),
        leftAnnotations: scheduleDays ? [{ value: scheduleDays, label: 'rotation due' }] : [],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Active keys in the organization',
        left: each('ActiveKeys', 'Maximum', day),
        leftAnnotations: [
          { value: ACTIVE_KEYS_WARNING, label: 'alarm', color: cloudwatch.Color.ORANGE },
          { value: MAX_ACTIVE_KEYS, label: "Factify's limit", color: cloudwatch.Color.RED },
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Audit findings (1 = found)',
        left: [
          ...each('RotationOverdue', 'Maximum', day),
          ...each('CurrentKeyNotActive', 'Maximum', day),
          ...each('RotationStuck', 'Maximum', day),
        ].map((metric) => metric.with({ label: `${metric.metricName} ${metric.label}` })),
        right: [
          ...each('OrphanedKeys', 'Maximum', day),
          ...each('ReplacedKeysNotRevoked', 'Maximum', day),
        ].map((metric) => metric.with({ label: `${metric.metricName} ${metric.label}` })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Factify throttling: 429 answers and retries per hour',
        left: [...each('FactifyThrottles', 'Sum', HOUR), ...each('FactifyRetries', 'Sum', HOUR)].map(
          (metric) => metric.with({ label: `${metric.metricName} ${metric.label}` }),
        ),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
    return dashboard;
  }
}
