import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { FactifyKeyRotationEnrollment } from '../../infra/enrollment.js';
import { FactifyKeyRotation, FactifyKeyRotationConfigError } from '../../infra/factify-key-rotation.js';
import * as packageApi from '../../infra/index.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import { FLEET_METRICS } from '../../lambda/telemetry/metrics.js';
import { fleetSecretArn, resourcesOf, synthesizeFleet, type TemplateJson } from './fleet-app.js';
import { evaluate, type Statement } from './iam-evaluator.js';
import {
  ACCOUNT,
  importSecret,
  KMS_KEY_ARN,
  logicalId,
  newStack,
  REGION,
  removeTempDirs,
  SECRET_ARN,
} from './support.js';

afterAll(removeTempDirs);

const secretArn = fleetSecretArn;

describe('a platform that does not grow', () => {
  const two = synthesizeFleet(2);
  const thousand = synthesizeFleet(1000);

  it('synthesizes the same platform template, role policy and alarms for 2 and for 1,000 enrolled secrets', () => {
    expect(JSON.stringify(thousand.platformTemplate)).toBe(JSON.stringify(two.platformTemplate));
    const alarms = resourcesOf(thousand.platformTemplate, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeLessThanOrEqual(15);
    const policies = resourcesOf(thousand.platformTemplate, 'AWS::IAM::Policy');
    expect(JSON.stringify(policies)).not.toContain('team-');
    expect(thousand.rolePolicyChars).toBe(two.rolePolicyChars);
    // Far below IAM's 10,240 characters for a role's inline policies.
    expect(thousand.rolePolicyChars).toBeLessThan(5000);
  });

  it('puts only rotation schedules in the application stacks, one per secret', () => {
    expect(thousand.appTemplates).toHaveLength(4);
    const types = thousand.appTemplates.flatMap((template) =>
      Object.values(template.Resources).map((resource) => resource.Type),
    );
    expect(new Set(types)).toEqual(new Set(['AWS::SecretsManager::RotationSchedule']));
    expect(types).toHaveLength(1000);
    const last = thousand.appTemplates[3] as TemplateJson;
    expect(last.Resources).toEqual(
      expect.objectContaining({
        [Object.keys(last.Resources)[0] as string]: {
          Type: 'AWS::SecretsManager::RotationSchedule',
          Properties: {
            SecretId: secretArn(750),
            // A reference to the platform stack's function, resolved by CloudFormation.
            RotationLambdaARN: expect.any(Object),
            RotateImmediatelyOnUpdate: false,
            RotationRules: { ScheduleExpression: 'rate(30 days)' },
          },
        },
      }),
    );
  });

  it('lets Secrets Manager invoke the function with one permission for the account, not one per secret', () => {
    const permissions = resourcesOf(thousand.platformTemplate, 'AWS::Lambda::Permission').filter(
      (resource) => resource.Properties.Principal === 'secretsmanager.amazonaws.com',
    );
    expect(permissions.map((permission) => permission.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: expect.anything(),
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: ACCOUNT,
      },
    ]);
  });

  it('fits 400 secrets listed in one stack, with the same role policy as one', () => {
    const policyOf = (count: number) => {
      const stack = newStack();
      new FactifyKeyRotation(stack, 'Rotation', {
        secrets: Array.from({ length: count }, (_, index) => importSecret(stack, secretArn(index))),
      });
      const template = Template.fromStack(stack).toJSON() as TemplateJson;
      expect(Object.keys(template.Resources).length).toBeLessThan(500);
      // CloudFormation takes a template of up to 1 MB (from S3, as cdk deploy uploads it).
      expect(JSON.stringify(template).length).toBeLessThan(1_000_000);
      return JSON.stringify(resourcesOf(template, 'AWS::IAM::Policy'));
    };
    expect(policyOf(400)).toBe(policyOf(1));
  });
});

describe('limits checked at synth', () => {
  const synthError = (build: (stack: Stack) => void): string => {
    const stack = newStack();
    build(stack);
    try {
      Template.fromStack(stack);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the synth to fail');
  };

  it('refuses more listed secrets than CloudFormation takes, saying how many fit and what to do', () => {
    const message = synthError((stack) => {
      new FactifyKeyRotation(stack, 'Rotation', {
        secrets: Array.from({ length: 520 }, (_, index) => importSecret(stack, secretArn(index))),
      });
    });
    expect(message).toMatch(/would hold 5\d\d resources, over CloudFormation's limit of 500/);
    expect(message).toMatch(
      /at most 4\d\d fit in this stack\. Enroll the others with FactifyKeyRotationEnrollment/,
    );
  });

  it('refuses more enrollments than one application stack takes', () => {
    const message = synthError((stack) => {
      for (let index = 0; index < 500; index++) {
        new FactifyKeyRotationEnrollment(stack, `Enroll${index}`, {
          secret: importSecret(stack, secretArn(index)),
          rotationFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:factify-rotation`,
        });
      }
    });
    expect(message).toMatch(/would hold 501 resources.*at most 499 fit in this stack\. Enroll the others/s);
  });

  it('counts the per-secret alarms too', () => {
    const message = synthError((stack) => {
      new FactifyKeyRotation(stack, 'Rotation', {
        perSecretAlarms: true,
        secrets: Array.from({ length: 100 }, (_, index) => importSecret(stack, secretArn(index))),
      });
    });
    expect(message).toMatch(/cost 6 resource\(s\) each.*at most 7\d fit.*leave perSecretAlarms off/s);
  });
});

describe('the new props are checked at synth', () => {
  it('refuses a secret name prefix with a wildcard and a runbook link too long for alarm descriptions', () => {
    const stack = newStack();
    let problems: readonly string[] = [];
    try {
      new FactifyKeyRotation(stack, 'Rotation', {
        secretNamePrefix: 'team-*',
        runbookUrl: `https://${'x'.repeat(300)}`,
      });
    } catch (error) {
      if (!(error instanceof FactifyKeyRotationConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      'runbookUrl: give a link of 1 to 300 characters, got 308.',
      expect.stringMatching(/^secretNamePrefix: "team-\*" is not the start of a secret name/),
    ]);
  });
});

describe('the function acts only on secrets whose rotation is configured to use it', () => {
  const build = (props: { secretNamePrefix?: string } = {}) => {
    const stack = newStack();
    const rotation = new FactifyKeyRotation(stack, 'Rotation', {
      ...props,
      adminSecret: importSecret(stack, `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:admin-QwErTy`),
      encryptionKeys: [kms.Key.fromKeyArn(stack, 'Key', KMS_KEY_ARN)],
    });
    const functionId = logicalId(stack, rotation.rotationFunction);
    const template = Template.fromStack(stack);
    const roleId = logicalId(stack, rotation.role);
    // The role's statements, with the function's ARN as it resolves at deploy time.
    const resolved = JSON.stringify(
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement),
    ).replaceAll(JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }), JSON.stringify(FUNCTION_ARN));
    return JSON.parse(resolved) as Statement[];
  };
  const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:factify-rotation`;
  const OTHER_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other-rotation`;
  const statements = build();
  const rotationActions = [
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
    'secretsmanager:UpdateSecretVersionStage',
    'secretsmanager:ListSecretVersionIds',
  ];
  const onSecret = (action: string, resource: string, rotationLambda?: string, extra = {}) =>
    evaluate(statements, {
      action,
      resource,
      context: {
        ...(rotationLambda ? { 'secretsmanager:resource/AllowRotationLambdaArn': rotationLambda } : {}),
        ...extra,
      },
    });

  it.each(rotationActions)('allows %s on any secret of the account that names this function', (action) => {
    expect(onSecret(action, secretArn(999), FUNCTION_ARN)).toBe('allowed');
    expect(onSecret(action, SECRET_ARN, FUNCTION_ARN)).toBe('allowed');
  });

  it.each(rotationActions)('denies %s on a secret rotated by another function, or by none', (action) => {
    expect(onSecret(action, SECRET_ARN, OTHER_FUNCTION_ARN)).toBe('implicitly denied');
    expect(onSecret(action, SECRET_ARN)).toBe('implicitly denied');
    expect(onSecret(action, SECRET_ARN.replace(ACCOUNT, '210987654321'), FUNCTION_ARN)).toBe(
      'implicitly denied',
    );
  });

  it('starts a rotation only of its own secrets and only through itself', () => {
    expect(onSecret('secretsmanager:RotateSecret', SECRET_ARN, FUNCTION_ARN)).toBe('allowed');
    expect(
      onSecret('secretsmanager:RotateSecret', SECRET_ARN, FUNCTION_ARN, {
        'secretsmanager:RotationLambdaARN': OTHER_FUNCTION_ARN,
      }),
    ).toBe('implicitly denied');
    expect(onSecret('secretsmanager:RotateSecret', SECRET_ARN, OTHER_FUNCTION_ARN)).toBe('implicitly denied');
  });

  it('may list secrets (the audit finds its own), and change nothing it was not given', () => {
    expect(onSecret('secretsmanager:ListSecrets', '*')).toBe('allowed');
    for (const action of [
      'secretsmanager:DeleteSecret',
      'secretsmanager:PutResourcePolicy',
      'secretsmanager:RotateSecret',
    ]) {
      expect(onSecret(action, SECRET_ARN)).toBe('implicitly denied');
    }
  });

  it('uses each customer-managed key only through Secrets Manager, for secrets of its account', () => {
    const kmsRequest = (action: string, context: Record<string, string>) =>
      evaluate(statements, { action, resource: KMS_KEY_ARN, context });
    const via = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
    expect(kmsRequest('kms:Decrypt', { ...via, 'kms:EncryptionContext:SecretARN': secretArn(5) })).toBe(
      'allowed',
    );
    expect(
      kmsRequest('kms:GenerateDataKey', { ...via, 'kms:EncryptionContext:SecretARN': secretArn(5) }),
    ).toBe('allowed');
    expect(kmsRequest('kms:Decrypt', { 'kms:EncryptionContext:SecretARN': secretArn(5) })).toBe(
      'implicitly denied',
    );
    expect(
      kmsRequest('kms:Decrypt', {
        ...via,
        'kms:EncryptionContext:SecretARN': secretArn(5).replace(ACCOUNT, '210987654321'),
      }),
    ).toBe('implicitly denied');
    expect(kmsRequest('kms:Encrypt', { ...via, 'kms:EncryptionContext:SecretARN': secretArn(5) })).toBe(
      'implicitly denied',
    );
  });

  it('with a secret name prefix, reaches no secret outside it even if it names this function', () => {
    const prefixed = build({ secretNamePrefix: 'team-1' });
    const request = (resource: string) =>
      evaluate(prefixed, {
        action: 'secretsmanager:GetSecretValue',
        resource,
        context: { 'secretsmanager:resource/AllowRotationLambdaArn': FUNCTION_ARN },
      });
    expect(request(secretArn(12))).toBe('allowed');
    expect(request(secretArn(2))).toBe('implicitly denied');
  });

  it('scopes Secrets Manager invoke permission and failure alerts to the prefix', () => {
    const stack = newStack();
    new FactifyKeyRotation(stack, 'Rotation', { secretNamePrefix: 'team-1' });
    const template = Template.fromStack(stack);
    const pattern = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team-1*`;
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: ACCOUNT,
      SourceArn: pattern,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ additionalEventData: { SecretId: [{ prefix: pattern.slice(0, -1) }] } }),
      }),
    });
  });
});

describe('enrollment where the secret lives', () => {
  const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:factify-rotation`;

  it('is exported by the package', () => {
    expect(packageApi.FactifyKeyRotationEnrollment).toBe(FactifyKeyRotationEnrollment);
  });

  it('creates the rotation schedule and nothing else, from a function ARN given as text (across apps)', () => {
    const stack = newStack();
    const enrollment = new FactifyKeyRotationEnrollment(stack, 'Enrollment', {
      secret: importSecret(stack, SECRET_ARN),
      rotationFunctionArn: FUNCTION_ARN,
      rotationSchedule: KeyRotationSchedule.cron('cron(0 4 ? * SUN *)'),
      rotationWindow: Duration.hours(3),
      rotateImmediatelyOnUpdate: true,
    });
    const template = Template.fromStack(stack).toJSON();
    expect(template.Resources).toEqual({
      [logicalId(stack, enrollment.rotationSchedule)]: {
        Type: 'AWS::SecretsManager::RotationSchedule',
        Properties: {
          SecretId: SECRET_ARN,
          RotationLambdaARN: FUNCTION_ARN,
          RotateImmediatelyOnUpdate: true,
          RotationRules: { ScheduleExpression: 'cron(0 4 ? * SUN *)', Duration: '3h' },
        },
      },
    });
  });

  it("in the platform's own stack, is created only once the function may be invoked and may rotate", () => {
    const stack = newStack();
    const platform = new FactifyKeyRotation(stack, 'Rotation', { revokeGracePeriod: Duration.hours(1) });
    const enrollment = new FactifyKeyRotationEnrollment(stack, 'Enrollment', {
      secret: importSecret(stack, SECRET_ARN),
      rotationFunctionArn: platform.rotationFunction.functionArn,
    });
    const template = Template.fromStack(stack);
    const schedule = template.findResources('AWS::SecretsManager::RotationSchedule')[
      logicalId(stack, enrollment.rotationSchedule)
    ];
    expect(schedule?.DependsOn).toEqual(
      expect.arrayContaining([
        logicalId(stack, platform.invokePermission),
        logicalId(stack, platform.rotationPolicy),
        logicalId(stack, platform.revokeSchedulerRole as IConstruct),
      ]),
    );
  });

  it('validates the schedule as the platform does, the secret ARN and the function ARN, all at once', () => {
    const stack = newStack();
    let problems: readonly string[] = [];
    try {
      new FactifyKeyRotationEnrollment(stack, 'Enrollment', {
        secret: secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'factify/by-name'),
        rotationFunctionArn: `${FUNCTION_ARN}:live`,
        rotationSchedule: KeyRotationSchedule.cron('cron(30 4 ? * SUN *)'),
      });
    } catch (error) {
      if (!(error instanceof FactifyKeyRotationConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^secret \(Test\/ByName\) was imported without its complete ARN/),
      expect.stringMatching(/^rotationFunctionArn: ".*:live" is not an unqualified Lambda function ARN/),
      expect.stringMatching(/^rotationSchedule: the minutes field .* must be 0/),
    ]);
  });
});

describe('schedules of their own', () => {
  const stack = newStack();
  const rotation = new FactifyKeyRotation(stack, 'Rotation', { revokeGracePeriod: Duration.hours(1) });
  const template = Template.fromStack(stack);
  const group = rotation.revokeScheduling.scheduleGroup;
  const groupName = { Ref: logicalId(stack, group) };
  const dlq = rotation.revokeScheduling.deadLetterQueue;
  const schedulerRole = rotation.revokeSchedulerRole as NonNullable<typeof rotation.revokeSchedulerRole>;

  it('creates a schedule group that the stack deletes, taking its pending schedules with it', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    const [resource] = Object.values(template.findResources('AWS::Scheduler::ScheduleGroup'));
    expect(resource?.DeletionPolicy ?? 'Delete').toBe('Delete');
  });

  it('tells the function its group and the dead-letter queue, which the scheduler role may send to', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REVOKE_SCHEDULE_GROUP: groupName,
          REVOKE_SCHEDULE_DLQ_ARN: { 'Fn::GetAtt': [logicalId(stack, dlq), 'Arn'] },
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, schedulerRole) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'DeadLetterUndeliveredRevocations',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [logicalId(stack, dlq), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('alarms as soon as a revocation is in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, dlq), 'QueueName'] } }],
      Threshold: 1,
    });
    const [alarm] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('ScheduleDeadLetters') },
      }),
    );
    expect(JSON.stringify(alarm?.Properties.AlarmDescription)).toMatch(
      /EventBridge Scheduler could not deliver a scheduled revocation.*QueueName.*factify-rotation recover <secret>/,
    );
  });
});

describe('fleet monitoring', () => {
  const build = (count: number, props: { perSecretAlarms?: boolean; order?: 'reversed' } = {}) => {
    const stack = newStack();
    const arns = Array.from({ length: count }, (_, index) => secretArn(index));
    const rotation = new FactifyKeyRotation(stack, 'Rotation', {
      perSecretAlarms: props.perSecretAlarms,
      secrets: (props.order === 'reversed' ? arns.reverse() : arns).map((arn) => importSecret(stack, arn)),
    });
    return { stack, rotation, template: Template.fromStack(stack) };
  };
  const { stack, rotation, template } = build(2);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => alarm.Properties as Record<string, unknown>,
  );

  it('audits daily with {"Action":"audit"}: the function finds its secrets itself', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 5 * * ? *)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ Action: 'audit' }) })],
    });
  });

  it('watches every fleet metric, with no dimension, in at most 15 alarms', () => {
    expect(alarms.length).toBeLessThanOrEqual(15);
    for (const metric of FLEET_METRICS) {
      expect(alarms.some((alarm) => alarm.MetricName === metric && alarm.Dimensions === undefined)).toBe(
        true,
      );
    }
  });

  it('says what to run to see which secrets, in descriptions under 1,024 characters', () => {
    for (const alarm of alarms) {
      expect(JSON.stringify(alarm.AlarmDescription).length).toBeLessThan(1024);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SecretsOverdue',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmDescription: {
        'Fn::Join': [
          '',
          [
            Match.stringLikeRegexp('Run: factify-rotation status --all --function $'),
            { Ref: logicalId(stack, rotation.rotationFunction) },
            Match.stringLikeRegexp('which secrets'),
          ],
        ],
      },
    });
  });

  it('fires the heartbeat when the audit stops, and when it covers fewer secrets than before', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SecretsAudited',
      Statistic: 'Maximum',
      Period: 3600,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 25,
      DatapointsToAlarm: 25,
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 0,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'DIFF(audited)', ReturnData: true }),
        Match.objectLike({
          Id: 'audited',
          MetricStat: Match.objectLike({
            Metric: { MetricName: 'SecretsAudited', Namespace: 'FactifyKeyRotation' },
          }),
        }),
      ]),
    });
  });

  it('keeps the same alarms and dashboard for 2 and 300 listed secrets without per-secret alarms', () => {
    const big = build(300).template;
    expect(Object.keys(big.findResources('AWS::CloudWatch::Alarm'))).toEqual(
      Object.keys(template.findResources('AWS::CloudWatch::Alarm')),
    );
    expect(JSON.stringify(big.findResources('AWS::CloudWatch::Dashboard'))).toBe(
      JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard')),
    );
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'))).toContain('SEARCH(');
  });

  it("keeps per-secret alarm names and descriptions within CloudWatch's limits for the longest secret names", () => {
    const stack = newStack();
    // Names that differ only at the end, as long as a CloudWatch dimension value may be (255, as CDK checks it).
    const longName = (last: string) => `${'team/'.repeat(50)}k${last}`.padEnd(255, 'z');
    const arns = ['a', 'b'].map(
      (last) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${longName(last)}-AbCdEf`,
    );
    new FactifyKeyRotation(stack, 'Rotation', {
      perSecretAlarms: true,
      runbookUrl: `https://runbooks.example.com/${'x'.repeat(150)}`,
      secrets: arns.map((arn, index) =>
        secretsmanager.Secret.fromSecretCompleteArn(stack, `${'S'.repeat(200)}${index}`, arn),
      ),
    });
    const long = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties,
    );
    expect(long).toHaveLength(alarms.length + 10);
    for (const alarm of long) {
      expect(JSON.stringify(alarm.AlarmDescription).length).toBeLessThan(1024);
      expect((alarm.AlarmName ?? '').length).toBeLessThanOrEqual(255);
    }
    const names = long.flatMap((alarm) => alarm.AlarmName ?? []);
    expect(new Set(names).size).toBe(names.length);
  });

  it('adds five alarms per listed secret on request, keyed by the secret, not by its position', () => {
    const ids = (order?: 'reversed') =>
      Object.keys(
        build(3, { perSecretAlarms: true, order }).template.findResources('AWS::CloudWatch::Alarm'),
      ).sort();
    const forward = ids();
    expect(forward).toHaveLength(alarms.length + 15);
    expect(ids('reversed')).toEqual(forward);
    const perSecret = build(3, { perSecretAlarms: true }).rotation.monitoring.perSecretAlarms;
    expect(perSecret).toHaveLength(15);
  });
});
