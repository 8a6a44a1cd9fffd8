import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { FactifyKeyRotation, type FactifyKeyRotationProps } from '../../infra/factify-key-rotation.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import {
  ACCOUNT,
  importSecret,
  logicalId,
  newStack,
  OTHER_SECRET_ARN,
  REGION,
  removeTempDirs,
  SECRET_ARN,
} from './support.js';

afterAll(removeTempDirs);

function build(
  secretArns: string[] = [SECRET_ARN, OTHER_SECRET_ARN],
  props: Partial<FactifyKeyRotationProps> = {},
) {
  const stack = newStack();
  const rotation = new FactifyKeyRotation(stack, 'Rotation', {
    ...props,
    secrets: secretArns.map((arn) => importSecret(stack, arn)),
  });
  return { stack, rotation, template: Template.fromStack(stack) };
}

describe('the daily audit', () => {
  const { stack, rotation, template } = build();

  it('invokes the function once a day with the audit event, which names no secret: the function finds them', () => {
    template.resourceCountIs('AWS::Events::Rule', 2); // the audit and the failure forwarding
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 5 * * ? *)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(stack, rotation.rotationFunction), 'Arn'] },
          Id: Match.anyValue(),
          Input: JSON.stringify({ Action: 'audit' }),
        },
      ],
    });
  });

  it('tells the function its metrics namespace, and alarms on that namespace', () => {
    const custom = build([SECRET_ARN], { metricsNamespace: 'Payments/KeyRotation' }).template;
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'Payments/KeyRotation' }) },
    });
    custom.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Payments/KeyRotation',
      MetricName: 'SecretsOverdue',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'FactifyKeyRotation' }) },
    });
  });
});

describe('the opt-in alarms of each listed secret', () => {
  const { stack, rotation, template } = build(undefined, { perSecretAlarms: true });
  const topic = { Ref: logicalId(stack, rotation.alertTopic) };
  const alarmOf = (metric: string, secretName: string) => ({
    Namespace: 'FactifyKeyRotation',
    MetricName: metric,
    Dimensions: [{ Name: 'SecretName', Value: secretName }],
    Statistic: 'Maximum',
    Period: 3600,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    AlarmActions: [topic],
  });

  it('fire when rotation is overdue or disabled, and when the audit stops running (missing data breaches)', () => {
    for (const name of ['factify/api-key', 'billing-key']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarmOf('RotationOverdue', name),
        Threshold: 1,
        // 25 hourly datapoints, one audit a day: a day without an audit is all breaching.
        EvaluationPeriods: 25,
        DatapointsToAlarm: 25,
        TreatMissingData: 'breaching',
        AlarmDescription: Match.stringLikeRegexp(
          `overdue or disabled, or the daily audit has not checked it.*Run: factify-rotation status ${name}\\. Runbook: `,
        ),
      });
    }
  });

  it.each([
    [
      'CurrentKeyNotActive',
      1,
      /every consumer of the secret is failing.*factify-rotation status billing-key/,
    ],
    ['RotationStuck', 1, /stuck.*factify-rotation status billing-key/],
    ['ActiveKeys', 4, /4 or more of its 5 active keys.*factify-rotation status billing-key/],
    ['ReplacedKeysNotRevoked', 1, /still active after its grace period.*factify-rotation status billing-key/],
  ])('fire on %s >= %i and keep their state between audits', (metric, threshold, description) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmOf(metric, 'billing-key'),
      Threshold: threshold,
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
      AlarmDescription: Match.stringLikeRegexp(description.source),
    });
  });

  it('are named with one prefix, by which alone the alert topic lets CloudWatch publish for them', () => {
    const prefix = rotation.monitoring.alarmNamePrefix;
    expect(prefix).toMatch(/^Test-Rotation-Monitoring-[0-9A-F]{8}$/);
    expect(rotation.monitoring.alarms).toHaveLength(2 * 5 + 11);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).flatMap((alarm) =>
      alarm.Properties.AlarmName === undefined ? [] : [alarm.Properties.AlarmName as string],
    );
    expect(names).toHaveLength(rotation.monitoring.alarms.length);
    for (const name of names) {
      expect(name.startsWith(`${prefix}-`)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(255);
    }
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AuditAlarmsPublish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: {
              ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${prefix}-*` },
            },
          }),
        ]),
      },
    });
  });

  it('are one set per secret, on top of the fleet alarms, and none without perSecretAlarms', () => {
    expect(rotation.monitoring.perSecretAlarms).toHaveLength(2 * 5);
    // 5 per secret, 9 on the fleet metrics, the two queues', and the construct's errors, alert delivery and
    // metrics-dropped alarms.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * 5 + 9 + 2 + 3);
    build().template.resourceCountIs('AWS::CloudWatch::Alarm', 9 + 2 + 3);
  });
});

describe('asynchronous invocations that fail', () => {
  const { stack, rotation, template } = build();
  const queue = rotation.monitoring.failureQueue;

  it('are retried twice for up to 6 hours, then sent to an encrypted queue instead of dropped', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, rotation.rotationFunction) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, queue), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86400,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('are configured only once the function may send to the queue', () => {
    const [config] = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(config?.DependsOn).toContain(logicalId(stack, rotation.rotationPolicy));
  });

  it('raise an alarm as soon as one is in the queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, queue), 'QueueName'] } }],
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack, rotation.alertTopic) }],
    });
    const [alarm] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: 'ApproximateNumberOfMessagesVisible' },
      }),
    );
    // The description names the queue, whose name CloudFormation chooses.
    expect(JSON.stringify(alarm?.Properties.AlarmDescription)).toMatch(
      /scheduled revocation.*Read the message in queue.*QueueName.*factify-rotation recover <secret>/,
    );
  });
});

describe('the dashboard', () => {
  const { template } = build();

  it('shows the fleet findings, rotations and failures, throttling, key age and active keys, naming no secret', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of [
      'Audit: secrets audited and not checked',
      'Audit findings',
      'Rotations completed and failed steps per day',
      'Factify throttling',
      'Current key age in days per secret, against the schedule (rate(30 days))',
      'Active keys',
      'Fleet alarms',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of [
      'SecretsAudited',
      'SecretsOverdue',
      'SecretsStuck',
      'OrphanedKeys',
      'SecretsNotChecked',
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    // Per-secret metrics come from search expressions evaluated when the dashboard is viewed.
    for (const metric of [
      'RotationsCompleted',
      'StepFailed',
      'DaysSinceRotation',
      'ActiveKeys',
      'FactifyThrottles',
    ]) {
      expect(body).toContain(
        `SEARCH('{\\\\\\"FactifyKeyRotation\\\\\\",SecretName} MetricName=\\\\\\"${metric}\\\\\\"'`,
      );
    }
    expect(body).not.toMatch(/billing-key|factify\/api-key/);
    // The schedule's 30 days as the line a key's age should not cross.
    expect(body).toContain(`{\\"value\\":30,\\"label\\":\\"rotation due\\"`);
  });

  it("draws the longest gap of a cron() schedule as the line a key's age should not cross", () => {
    const dashboards = build([SECRET_ARN], {
      rotationSchedule: KeyRotationSchedule.cron('cron(0 4 1,15 * ? *)'),
    }).template.findResources('AWS::CloudWatch::Dashboard');
    // From the 15th to the 1st of the next month: 17 days after a 31-day month.
    expect(JSON.stringify(dashboards)).toContain(`{\\"value\\":17,\\"label\\":\\"rotation due\\"`);
  });
});
