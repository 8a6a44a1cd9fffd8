// Props that would pass synth and then fail at deploy or at the first rotation are refused (or warned about) at
// synth, and the function's runtime is one its bundle is tested on.
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, describe, expect, it } from 'vitest';
import { FactifyKeyRotation, type FactifyKeyRotationProps } from '../../infra/factify-key-rotation.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import {
  ACCOUNT,
  buildRotation,
  importSecret,
  newStack,
  OTHER_SECRET_ARN,
  problemsOf,
  REGION,
  removeTempDirs,
  SECRET_ARN,
} from './support.js';

afterAll(removeTempDirs);

describe('the runtime', () => {
  it('is Node.js 24 by default', () => {
    buildRotation().template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x' });
  });

  it('may be Node.js 22, the other runtime the bundle is tested on', () => {
    buildRotation(() => ({ runtime: lambda.Runtime.NODEJS_22_X })).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x' },
    );
  });

  it.each([
    ['nodejs26.x', new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS)],
    ['nodejs20.x', lambda.Runtime.NODEJS_20_X],
    ['python3.13', lambda.Runtime.PYTHON_3_13],
  ])('refuses %s, on which the bundle is not tested', (name, runtime) => {
    expect(problemsOf(() => ({ runtime }))).toEqual([
      `runtime: the function's bundle is tested on nodejs22.x and nodejs24.x only, got ${name}: choose one of ` +
        'them (lambda.Runtime.NODEJS_24_X, the default, or NODEJS_22_X).',
    ]);
  });
});

describe('props that would fail at deploy or at the first rotation', () => {
  it.each([
    [
      'a KMS alias imported by name',
      (stack: Stack) => ({ encryptionKey: kms.Alias.fromAliasName(stack, 'Alias', 'alias/factify') }),
      /^encryptionKey: alias\/factify is a KMS alias: IAM policies do not match a key by its alias.*Key\.fromKeyArn\(/,
    ],
    [
      'a KMS alias the stack creates',
      (stack: Stack) => ({
        encryptionKey: new kms.Alias(stack, 'Alias', {
          aliasName: 'alias/factify',
          targetKey: new kms.Key(stack, 'K'),
        }),
      }),
      /^encryptionKey: Test\/Alias is a KMS alias.*Give the key itself \(the alias's targetKey/,
    ],
    [
      'a log retention CloudWatch Logs does not offer',
      () => ({ logRetention: 2 as logs.RetentionDays }),
      /^logRetention: CloudWatch Logs keeps logs for 1, 3, 5, 7, .* 3653 days or forever \(RetentionDays\.INFINITE\), got 2\.$/,
    ],
    [
      'a metrics namespace with a character CloudWatch refuses',
      () => ({ metricsNamespace: 'Team$Rotation' }),
      /^metricsNamespace: "Team\$Rotation" is not a CloudWatch namespace.*letters, digits, spaces and \. - _ \/ # :/,
    ],
    [
      'a metrics namespace of spaces only',
      () => ({ metricsNamespace: '   ' }),
      /^metricsNamespace: " {3}" is not a CloudWatch namespace/,
    ],
    [
      'a secret the stack generates a random value for',
      (stack: Stack) => ({ secrets: [new secretsmanager.Secret(stack, 'Generated')] }),
      /^secrets\[0\] \(Test\/Generated\) is a new secret with a generated value, which is not a Factify key.*Secret\.fromSecretCompleteArn/,
    ],
    [
      'a secret generated from a template',
      (stack: Stack) => ({
        secrets: [
          new secretsmanager.Secret(stack, 'Generated', {
            generateSecretString: { secretStringTemplate: '{"apiKeyId":"x"}', generateStringKey: 'apiKey' },
          }),
        ],
      }),
      /^secrets\[0\] \(Test\/Generated\) is a new secret with a generated value/,
    ],
  ])('%s is refused', (_, options, message) => {
    expect(problemsOf(options)).toEqual([expect.stringMatching(message)]);
  });

  it('accepts every retention CloudWatch Logs offers, forever included', () => {
    for (const retention of [
      logs.RetentionDays.ONE_DAY,
      logs.RetentionDays.TEN_YEARS,
      logs.RetentionDays.INFINITE,
    ]) {
      expect(problemsOf(() => ({ logRetention: retention }))).toEqual([]);
    }
  });

  it("accepts a namespace of every character CloudWatch's documentation allows", () => {
    expect(problemsOf(() => ({ metricsNamespace: 'Team Rotation/Keys_v1.2#blue:green-a' }))).toEqual([]);
  });

  it('refuses a secret that a second construct of the same stack already rotates', () => {
    const stack = newStack();
    new FactifyKeyRotation(stack, 'First', { secrets: [importSecret(stack, SECRET_ARN)] });
    let problems: readonly string[] = [];
    try {
      new FactifyKeyRotation(stack, 'Second', {
        secrets: [
          importSecret(stack, OTHER_SECRET_ARN),
          stack.node.findChild('factify|api-key-AbCdEf') as secretsmanager.ISecret,
        ],
      });
    } catch (error) {
      problems = (error as { problems: string[] }).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(
        /^secrets\[1\]: .*factify\/api-key-AbCdEf already has a rotation schedule in this stack \(Test\/First\/.*\): a secret has one rotation configuration/,
      ),
    ]);
  });

  it('refuses, at synth, a rotation schedule added after the construct for one of its secrets', () => {
    const stack = newStack();
    const rotation = new FactifyKeyRotation(stack, 'Rotation', {
      secrets: [importSecret(stack, SECRET_ARN)],
    });
    new secretsmanager.CfnRotationSchedule(stack, 'ByHand', {
      secretId: SECRET_ARN,
      rotationLambdaArn: rotation.rotationFunction.functionArn,
      rotationRules: { scheduleExpression: 'rate(10 days)' },
    });
    expect(() => Template.fromStack(stack)).toThrow(
      /Test\/ByHand schedules the rotation of .*factify\/api-key-AbCdEf, which Test\/Rotation already rotates: a secret has one rotation configuration/,
    );
  });

  it('lets two stacks rotate different secrets with a construct each', () => {
    const first = newStack();
    new FactifyKeyRotation(first, 'Rotation', { secrets: [importSecret(first, SECRET_ARN)] });
    const second = new Stack(first.node.scope as never, 'Other', {
      env: { account: ACCOUNT, region: REGION },
    });
    expect(
      () => new FactifyKeyRotation(second, 'Rotation', { secrets: [importSecret(second, OTHER_SECRET_ARN)] }),
    ).not.toThrow();
  });
});

describe('a grace period longer than the rotation interval', () => {
  const warnings = (options: Partial<FactifyKeyRotationProps>) =>
    Annotations.fromStack(buildRotation(() => options).stack).findWarning(
      '*',
      Match.stringLikeRegexp('revokeGracePeriod'),
    );

  it('is warned about at synth: a replaced key would outlive the next rotation', () => {
    expect(
      warnings({
        revokeGracePeriod: Duration.days(8),
        rotationSchedule: KeyRotationSchedule.cron('cron(0 4 ? * SUN *)'),
      }),
    ).toEqual([
      expect.objectContaining({
        id: '/Test/Rotation',
        entry: expect.objectContaining({
          data: expect.stringMatching(
            /^revokeGracePeriod: 8 days is longer than the 7 days between two rotations of cron\(0 4 \? \* SUN \*\): .*replaced key/,
          ),
        }),
      }),
    ]);
    expect(warnings({ revokeGracePeriod: Duration.days(31) })).toHaveLength(1);
  });

  it('is not warned about when the grace ends before the next rotation', () => {
    expect(warnings({ revokeGracePeriod: Duration.days(30) })).toEqual([]);
    expect(warnings({ revokeGracePeriod: Duration.hours(1) })).toEqual([]);
  });
});

describe("the alarm on the function log group's EMF validation errors", () => {
  const { stack, rotation, template } = buildRotation();

  it('fires when CloudWatch Logs cannot extract the metrics, and notifies the alert topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Logs',
      MetricName: 'EMFValidationErrors',
      Dimensions: [
        {
          Name: 'LogGroupName',
          Value: { Ref: stack.getLogicalId(rotation.logGroup.node.defaultChild as never) },
        },
      ],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlertTopic') }],
      AlarmDescription: Match.stringLikeRegexp('metrics'),
    });
    expect(rotation.metricsDroppedAlarm).toBeDefined();
  });
});
