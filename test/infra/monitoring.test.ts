import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { FactifyKeyRotation, type FactifyKeyRotationProps } from '../../infra/factify-key-rotation.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import {
  ACCOUNT,
  importSecret,
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

const logicalId = (stack: Stack, construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

describe('the daily audit', () => {
  const { stack, rotation, template } = build();

  it('invokes the function once a day with the audit event naming every secret', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 5 * * ? *)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(stack, rotation.rotationFunction), 'Arn'] },
          Id: Match.anyValue(),
          Input: JSON.stringify({ Action: 'audit', SecretIds: [SECRET_ARN, OTHER_SECRET_ARN] }),
        },
      ],
    });
  });

  it('splits the secrets into audit events of at most 20, each within EventBridge input limits', () => {
    const arns = Array.from(
      { length: 45 },
      (_, index) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app-${index}-AbCdEf`,
    );
    const big = build(arns);
    const inputs = Object.values(big.template.findResources('AWS::Events::Rule'))
      .flatMap((rule) => rule.Properties.Targets ?? [])
      .flatMap((target: { Input?: string }) => (target.Input ? [JSON.parse(target.Input)] : []));
    expect(inputs.map((input) => input.SecretIds.length)).toEqual([20, 20, 5]);
    expect(inputs.flatMap((input) => input.SecretIds)).toEqual(arns);
    expect(big.rotation.monitoring.auditRules).toHaveLength(3);
  });

  it('may read the versions of its secrets, and nothing more than the rotation may', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AuditListVersions',
            Effect: 'Allow',
            Action: 'secretsmanager:ListSecretVersionIds',
            Resource: [SECRET_ARN, OTHER_SECRET_ARN].sort(),
          },
        ]),
      },
    });
  });

  it('tells the function its metrics namespace, and alarms on that namespace', () => {
    const custom = build([SECRET_ARN], { metricsNamespace: 'Payments/KeyRotation' }).template;
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'Payments/KeyRotation' }) },
    });
    custom.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Payments/KeyRotation',
      MetricName: 'RotationOverdue',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'FactifyKeyRotation' }) },
    });
  });
});

describe('the alarms on the audit metrics', () => {
  const { stack, rotation, template } = build();
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
          `overdue or disabled, or the daily audit has not checked it.*Run: factify-rotation status ${name}\\.`,
        ),
      });
    }
  });

  it.each([
    [
      'CurrentKeyNotActive',
      1,
      /every consumer of the secret is failing.*factify-rotation status billing-key.*put-secret-value/,
    ],
    ['RotationStuck', 1, /stuck.*factify-rotation status billing-key.*factify-rotation recover billing-key/],
    ['ActiveKeys', 4, /4 or more of its 5 active keys.*factify-rotation status billing-key/],
    [
      'ReplacedKeysNotRevoked',
      1,
      /still active after its grace period.*factify-rotation recover billing-key/,
    ],
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
    expect(rotation.monitoring.alarms).toHaveLength(2 * 5 + 1);
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

  it('are one set per secret', () => {
    expect(rotation.monitoring.overdueAlarms).toHaveLength(2);
    // 5 per secret, the failed-invocations alarm, and the construct's errors, alert delivery and metrics-dropped alarms.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * 5 + 1 + 3);
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

  it('shows rotations and failures per day, key age against the schedule, audit findings and throttling', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of [
      'Rotations completed per day',
      'Failed steps per day',
      'Current key age in days against the schedule (rate(30 days))',
      'Audit findings',
      'Factify throttling',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of [
      'RotationsCompleted',
      'StepFailed',
      'DaysSinceRotation',
      'RotationOverdue',
      'CurrentKeyNotActive',
      'RotationStuck',
      'OrphanedKeys',
      'ActiveKeys',
      'FactifyThrottles',
      'FactifyRetries',
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
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
