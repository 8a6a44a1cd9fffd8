import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_DIR,
  FactifyKeyRotation,
  FactifyKeyRotationConfigError,
  type FactifyKeyRotationProps,
} from '../../infra/factify-key-rotation.js';
import { propsProblems } from '../../infra/props-validation.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import {
  ACCOUNT,
  ADMIN_SECRET_ARN,
  importSecret,
  KMS_KEY_ARN,
  logicalId,
  newStack,
  OTHER_SECRET_ARN,
  REGION,
  removeTempDirs,
  SECRET_ARN,
} from './support.js';

afterAll(removeTempDirs);

const BUNDLE_FILE = join(BUNDLE_DIR, 'index.mjs');

type Options = Omit<FactifyKeyRotationProps, 'secrets' | 'adminSecret' | 'encryptionKey'> & {
  secretArns?: string[];
  adminSecretArn?: string;
  kmsKeyArn?: string;
};

function build(options: Options = {}): { stack: Stack; rotation: FactifyKeyRotation; template: Template } {
  const stack = newStack();
  const { secretArns = [SECRET_ARN], adminSecretArn, kmsKeyArn, ...props } = options;
  const rotation = new FactifyKeyRotation(stack, 'Rotation', {
    ...props,
    secrets: secretArns.map((arn) => importSecret(stack, arn)),
    adminSecret: adminSecretArn === undefined ? undefined : importSecret(stack, adminSecretArn),
    encryptionKey: kmsKeyArn === undefined ? undefined : kms.Key.fromKeyArn(stack, 'Key', kmsKeyArn),
  });
  return { stack, rotation, template: Template.fromStack(stack) };
}

/** The logical id of an L2 construct's resource, or of an L1 construct itself. */

/** Every statement of every IAM policy in the template. */
function iamStatements(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

describe('the function', () => {
  const { stack, rotation, template } = build();
  const functionArn = { 'Fn::GetAtt': [logicalId(stack, rotation.rotationFunction), 'Arn'] };

  it('runs the bundle on Node.js 24, arm64, with JSON logs in a log group that expires', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 90,
      MemorySize: 256,
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'INFO',
        LogGroup: { Ref: logicalId(stack, rotation.logGroup) },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('ships the exact bundle that npm run build wrote, with its source map switched on and its licence notices', () => {
    const code = template.findResources('AWS::Lambda::Function')[logicalId(stack, rotation.rotationFunction)]
      ?.Properties.Code as { S3Key: string };
    const staged = join(App.of(stack)?.outdir ?? '', `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    for (const file of ['index.mjs', 'index.mjs.map', 'THIRD-PARTY-LICENSES']) {
      expect(readFileSync(join(staged, file)).equals(readFileSync(join(BUNDLE_DIR, file)))).toBe(true);
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { FACTIFY_API_URL: 'https://api.factify.com/v1', NODE_OPTIONS: '--enable-source-maps' },
      },
    });
  });

  it('has its own role with no managed policy, allowed to write only to its log group', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [logicalId(stack, rotation.logGroup), 'Arn'] },
          },
        ],
        Version: '2012-10-17',
      },
      Roles: [{ Ref: logicalId(stack, rotation.role) }],
    });
  });

  it('takes timeout, memory, log retention and API URL from its props', () => {
    const custom = build({
      timeout: Duration.minutes(2),
      memorySize: 512,
      logRetention: logs.RetentionDays.THREE_MONTHS,
      factifyApiUrl: 'https://eu.api.factify.com/v1',
    }).template;
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 120,
      MemorySize: 512,
      Environment: { Variables: Match.objectLike({ FACTIFY_API_URL: 'https://eu.api.factify.com/v1' }) },
    });
    custom.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('may be invoked by Secrets Manager on behalf of its own account only, with one permission, and by its audit rule', () => {
    const { template: two } = build({ secretArns: [SECRET_ARN, OTHER_SECRET_ARN] });
    const permissions = Object.values(
      two.findResources('AWS::Lambda::Permission', {
        Properties: { Principal: 'secretsmanager.amazonaws.com' },
      }),
    );
    expect(permissions.map((permission) => permission.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: expect.anything(),
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: ACCOUNT,
      },
    ]);
    template.resourceCountIs('AWS::Lambda::Permission', 2);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: functionArn,
      Principal: 'secretsmanager.amazonaws.com',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: functionArn,
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack, rotation.monitoring.auditRule), 'Arn'] },
    });
  });
});

describe('the rotation schedule', () => {
  it('rotates every secret every 30 days by default, without rotating on deploy', () => {
    const { stack, rotation, template } = build({ secretArns: [SECRET_ARN, OTHER_SECRET_ARN] });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    for (const arn of [SECRET_ARN, OTHER_SECRET_ARN]) {
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        SecretId: arn,
        RotationLambdaARN: { 'Fn::GetAtt': [logicalId(stack, rotation.rotationFunction), 'Arn'] },
        RotateImmediatelyOnUpdate: false,
        RotationRules: {
          ScheduleExpression: 'rate(30 days)',
          Duration: Match.absent(),
          AutomaticallyAfterDays: Match.absent(),
        },
      });
    }
  });

  it('uses a cron expression and a rotation window when given', () => {
    const { template } = build({
      rotationSchedule: KeyRotationSchedule.cron('cron(0 4 ? * SUN *)'),
      rotationWindow: Duration.hours(3),
      rotateImmediatelyOnUpdate: true,
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotateImmediatelyOnUpdate: true,
      RotationRules: {
        ScheduleExpression: 'cron(0 4 ? * SUN *)',
        Duration: '3h',
        AutomaticallyAfterDays: Match.absent(),
      },
    });
  });

  it('uses an hourly rate when given', () => {
    build({ rotationSchedule: KeyRotationSchedule.rate(Duration.hours(6)) }).template.hasResourceProperties(
      'AWS::SecretsManager::RotationSchedule',
      { RotationRules: { ScheduleExpression: 'rate(6 hours)' } },
    );
  });

  it("is created only after the function's invoke permission and the rotation policy exist", () => {
    const { stack, rotation, template } = build({ secretArns: [SECRET_ARN, OTHER_SECRET_ARN] });
    const schedules = template.findResources('AWS::SecretsManager::RotationSchedule');
    for (const schedule of rotation.rotationSchedules) {
      expect(schedules[logicalId(stack, schedule)]?.DependsOn).toEqual(
        expect.arrayContaining([
          logicalId(stack, rotation.invokePermission),
          logicalId(stack, rotation.rotationPolicy),
        ]),
      );
    }
  });

  it('keeps each schedule when the list of secrets is reordered', () => {
    const ids = (arns: string[]) => {
      const { stack, rotation } = build({ secretArns: arns });
      return Object.fromEntries(rotation.rotationSchedules.map((s) => [s.secretId, stack.getLogicalId(s)]));
    };
    expect(ids([SECRET_ARN, OTHER_SECRET_ARN])).toEqual(ids([OTHER_SECRET_ARN, SECRET_ARN]));
  });
});

describe('least privilege', () => {
  it('lets the function read and write the secrets whose rotation names it, and start their rotation through itself only', () => {
    const { stack, rotation, template } = build({ secretArns: [SECRET_ARN, OTHER_SECRET_ARN] });
    const functionArn = { 'Fn::GetAtt': [logicalId(stack, rotation.rotationFunction), 'Arn'] };
    const secrets = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`;
    const namesThisFunction = { 'secretsmanager:resource/AllowRotationLambdaArn': functionArn };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, rotation.role) }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'RotateTheSecretsThatNameThisFunction',
            Effect: 'Allow',
            Action: [
              'secretsmanager:DescribeSecret',
              'secretsmanager:GetSecretValue',
              'secretsmanager:ListSecretVersionIds',
              'secretsmanager:PutSecretValue',
              'secretsmanager:UpdateSecretVersionStage',
            ],
            Resource: secrets,
            Condition: { ArnEquals: namesThisFunction },
          },
          {
            Sid: 'StartRotationOfTheSecrets',
            Effect: 'Allow',
            Action: 'secretsmanager:RotateSecret',
            Resource: secrets,
            Condition: {
              ArnEquals: namesThisFunction,
              ArnEqualsIfExists: { 'secretsmanager:RotationLambdaARN': functionArn },
            },
          },
          {
            Sid: 'InvokeItselfThroughRotateSecret',
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: functionArn,
          },
          {
            Sid: 'SendFailedInvocations',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [logicalId(stack, rotation.monitoring.failureQueue), 'Arn'] },
          },
        ],
        Version: '2012-10-17',
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, rotation.role) }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'FindTheOtherSecretsItRotates',
            Effect: 'Allow',
            // BatchGetSecretValue reads only what GetSecretValue on each secret allows: the rotated secrets.
            Action: ['secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'],
            Resource: '*',
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  it('reads the admin secret and uses the KMS key only through Secrets Manager, for these secrets only', () => {
    const { template } = build({ adminSecretArn: ADMIN_SECRET_ARN, kmsKeyArn: KMS_KEY_ARN });
    const via = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ReadTheAdminSecret',
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: ADMIN_SECRET_ARN,
          },
          {
            Sid: 'EncryptTheSecrets',
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: KMS_KEY_ARN,
            // Per key, not per secret: the secrets of this account that Secrets Manager lets the function reach.
            Condition: {
              StringEquals: via,
              StringLike: {
                'kms:EncryptionContext:SecretARN': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`,
              },
            },
          },
          {
            Sid: 'DecryptTheAdminSecret',
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: KMS_KEY_ARN,
            Condition: { StringEquals: { ...via, 'kms:EncryptionContext:SecretARN': ADMIN_SECRET_ARN } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FACTIFY_ADMIN_SECRET_ID: ADMIN_SECRET_ARN }) },
    });
  });

  it('names no admin secret and no key when none is given', () => {
    const { template } = build();
    const sids = iamStatements(template).map((statement) => statement.Sid);
    expect(sids).not.toContain('ReadTheAdminSecret');
    expect(sids.filter((sid) => typeof sid === 'string' && sid.includes('Crypt'))).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FACTIFY_ADMIN_SECRET_ID: Match.absent() }) },
    });
  });

  it('grants nothing on "*" but ListSecrets and BatchGetSecretValue (which take no resource), and no wildcard action', () => {
    const { template } = build({
      adminSecretArn: ADMIN_SECRET_ARN,
      kmsKeyArn: KMS_KEY_ARN,
      alertEmail: 'ops@example.com',
      revokeGracePeriod: Duration.hours(1),
    });
    for (const statement of iamStatements(template)) {
      if (
        [statement.Action].flat().join() !== 'secretsmanager:BatchGetSecretValue,secretsmanager:ListSecrets'
      ) {
        expect([statement.Resource].flat()).not.toContain('*');
      }
      expect([statement.Action].flat().filter((action) => String(action).includes('*'))).toEqual([]);
    }
  });

  it('puts no secret value in the template', () => {
    const { template } = build({ adminSecretArn: ADMIN_SECRET_ARN });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/resolve:secretsmanager|SecretString/);
  });
});

describe('the seal key', () => {
  it('is one KMS HMAC key per platform, whatever the number of secrets, kept when the stack goes', () => {
    const { template } = build({ secretArns: [SECRET_ARN, OTHER_SECRET_ARN] });

    const hmacKeys = template.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'HMAC_256' } });
    expect(Object.keys(hmacKeys)).toHaveLength(1);
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
      DeletionPolicy: 'Retain',
    });
  });

  it('lets only the function role GenerateMac, and names it to the function', () => {
    const { stack, rotation, template } = build();
    const key = template.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'HMAC_256' } });
    const statements = (Object.values(key)[0] as { Properties: { KeyPolicy: { Statement: Statement[] } } })
      .Properties.KeyPolicy.Statement;
    type Statement = { Sid: string; Action: string | string[]; Principal: { AWS: unknown } };
    const generating = statements.filter((statement) =>
      [statement.Action]
        .flat()
        .some(
          (action) =>
            action === 'kms:GenerateMac' ||
            action === 'kms:*' ||
            action === 'kms:Create*' ||
            action === 'kms:CreateGrant',
        ),
    );

    expect(generating.map((statement) => statement.Sid)).toEqual(['SealForTheRotationFunction']);
    expect(generating[0]?.Principal.AWS).toEqual(stack.resolve(rotation.role.roleArn));
    expect([generating[0]?.Action].flat().sort()).toEqual(['kms:GenerateMac', 'kms:VerifyMac']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ FACTIFY_SEAL_KEY_ID: stack.resolve(rotation.sealKey.keyArn) }),
      },
    });
  });
});

describe('the revocation grace period', () => {
  const isSchedulerAction = (action: unknown) => /^(scheduler:|iam:PassRole$)/.test(String(action));

  it('without one (the default, or 0 s) makes no scheduler role, no scheduler permission, no grace setting', () => {
    for (const revokeGracePeriod of [undefined, Duration.seconds(0)]) {
      const { rotation, template } = build({ revokeGracePeriod });
      expect(rotation.revokeSchedulerRole).toBeUndefined();
      template.resourceCountIs('AWS::IAM::Role', 1);
      expect(
        iamStatements(template)
          .flatMap((s) => [s.Action].flat())
          .filter(isSchedulerAction),
      ).toEqual([]);
      expect(JSON.stringify(template.findResources('AWS::Lambda::Function'))).not.toMatch(/REVOKE_/);
      // The group and its dead-letter queue stay: a schedule still pending when the grace was turned off keeps them.
      template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    }
  });

  describe('with one', () => {
    const { stack, rotation, template } = build({ revokeGracePeriod: Duration.hours(1) });
    const functionArn = { 'Fn::GetAtt': [logicalId(stack, rotation.rotationFunction), 'Arn'] };
    const schedulerRole = rotation.revokeSchedulerRole as NonNullable<typeof rotation.revokeSchedulerRole>;
    const schedulerRoleArn = { 'Fn::GetAtt': [logicalId(stack, schedulerRole), 'Arn'] };

    it("lets only EventBridge Scheduler, for the construct's own schedule group, assume the scheduler role", () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: {
                StringEquals: { 'aws:SourceAccount': ACCOUNT },
                ArnEquals: {
                  'aws:SourceArn': {
                    'Fn::GetAtt': [logicalId(stack, rotation.revokeScheduling.scheduleGroup), 'Arn'],
                  },
                },
              },
            },
          ],
          Version: '2012-10-17',
        },
        ManagedPolicyArns: Match.absent(),
        Policies: Match.absent(),
      });
    });

    it('lets the scheduler role invoke this function (unqualified), dead-letter, and do nothing else', () => {
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalId(stack, schedulerRole) }] },
      });
      expect(Object.values(policies).map((policy) => policy.Properties.PolicyDocument)).toEqual([
        {
          Statement: [
            {
              Sid: 'InvokeTheRotationFunction',
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: functionArn,
            },
            {
              Sid: 'DeadLetterUndeliveredRevocations',
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: {
                'Fn::GetAtt': [logicalId(stack, rotation.revokeScheduling.deadLetterQueue), 'Arn'],
              },
            },
          ],
          Version: '2012-10-17',
        },
      ]);
    });

    it("keeps the earlier release's scheduler role, so that the schedules it left in the default group still run", () => {
      // Those schedules name this role by its ARN: it keeps the logical id that release gave it (so its name),
      // is assumable from the default group only, may only invoke the function, and is passed to no schedule.
      const earlier = rotation.earlierReleaseSchedulerRole as NonNullable<
        typeof rotation.earlierReleaseSchedulerRole
      >;
      expect(logicalId(stack, earlier)).toBe('RotationRevokeSchedulerRole83AAC18E');
      expect(template.toJSON().Resources.RotationRevokeSchedulerRole83AAC18E.Properties).toEqual({
        Description:
          'Lets EventBridge Scheduler invoke the Factify key rotation function to revoke replaced keys',
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: {
                StringEquals: { 'aws:SourceAccount': ACCOUNT },
                ArnEquals: {
                  'aws:SourceArn': `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/default`,
                },
              },
            },
          ],
          Version: '2012-10-17',
        },
      });
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: 'RotationRevokeSchedulerRole83AAC18E' }] },
      });
      expect(Object.keys(policies)).toEqual(['RotationRevokeSchedulerRoleDefaultPolicyA5889403']);
      expect(Object.values(policies).map((policy) => policy.Properties.PolicyDocument)).toEqual([
        {
          Statement: [
            {
              Sid: 'InvokeTheRotationFunction',
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: functionArn,
            },
          ],
          Version: '2012-10-17',
        },
      ]);
      expect(logicalId(stack, rotation.rotationFunction)).toBe('RotationFunction8B9BF3C3');
      expect(
        JSON.stringify(iamStatements(template).filter((s) => s.Sid === 'PassTheSchedulerRole')),
      ).not.toContain('RotationRevokeSchedulerRole83AAC18E');
    });

    it('lets the function manage schedules of its own group only, passing only that role', () => {
      const group = { Ref: logicalId(stack, rotation.revokeScheduling.scheduleGroup) };
      const schedulerStatements = iamStatements(template).filter((statement) =>
        [statement.Action].flat().some(isSchedulerAction),
      );
      expect(schedulerStatements).toEqual([
        {
          Sid: 'ScheduleRevocations',
          Effect: 'Allow',
          Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
          Resource: { 'Fn::Join': ['', [`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/`, group, '/*']] },
        },
        {
          // Today's main scheduled in the shared default group: find and delete those, create none there.
          Sid: 'FindLegacyRevocationSchedules',
          Effect: 'Allow',
          Action: ['scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
          Resource: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/fkr-revoke-*`,
        },
        {
          Sid: 'PassTheSchedulerRole',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: schedulerRoleArn,
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(stack, rotation.role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Sid: 'ScheduleRevocations' })]),
        },
      });
    });

    it('tells the function its grace in seconds and the role to pass', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            REVOKE_GRACE_SECONDS: '3600',
            REVOKE_SCHEDULER_ROLE_ARN: schedulerRoleArn,
          }),
        },
      });
    });

    it('turns rotation on only once the scheduler role may invoke the function', () => {
      const [schedule] = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'));
      const invokePolicy = schedulerRole.node.tryFindChild('DefaultPolicy') as IConstruct;
      expect(schedule?.DependsOn).toEqual(
        expect.arrayContaining([logicalId(stack, schedulerRole), logicalId(stack, invokePolicy)]),
      );
    });

    it('names the partition, region and account of an environment-agnostic stack', () => {
      const agnostic = newStack({ agnostic: true });
      new FactifyKeyRotation(agnostic, 'Rotation', {
        secrets: [importSecret(agnostic, SECRET_ARN)],
        revokeGracePeriod: Duration.minutes(10),
      });
      const statement = iamStatements(Template.fromStack(agnostic)).find(
        (s) => s.Sid === 'FindLegacyRevocationSchedules',
      );
      expect(statement?.Resource).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':scheduler:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':schedule/default/fkr-revoke-*',
          ],
        ],
      });
    });
  });
});

describe('alerting', () => {
  const { stack, rotation, template } = build({
    secretArns: [SECRET_ARN, OTHER_SECRET_ARN],
    alertEmail: 'ops@example.com',
  });
  const topic = { Ref: logicalId(stack, rotation.alertTopic) };

  it("forwards RotationFailed and TestRotationFailed events of the account's secrets to the topic", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationFailed', 'TestRotationFailed'],
        },
      },
      Targets: [Match.objectLike({ Arn: topic })],
    });
  });

  it("alarms on the function's errors and on undeliverable failure events", () => {
    const alarm = {
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
    };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarm,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, rotation.rotationFunction) } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarm,
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: logicalId(stack, rotation.rotationFailedRule) } }],
    });
  });

  it('sends alerts to a topic encrypted with a rotating key that the rule and the alarms may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, rotation.alertKey as kms.Key), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('lets only TLS publishers, this rule and these alarms publish to the topic', () => {
    const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(stack, construct), 'Arn'] });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'AllowPublishThroughSSLOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: topic,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            // The audit's alarms, five per secret, by their common name prefix (see monitoring.test.ts).
            Sid: 'AuditAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              ArnLike: {
                'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${rotation.monitoring.alarmNamePrefix}-*`,
              },
            },
          },
          {
            Sid: 'RotationFailedRulePublishes',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: { ArnEquals: { 'aws:SourceArn': arnOf(rotation.rotationFailedRule) } },
          },
          {
            Sid: 'AlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              ArnEquals: {
                'aws:SourceArn': [
                  arnOf(rotation.errorsAlarm),
                  arnOf(rotation.alertDeliveryAlarm),
                  arnOf(rotation.metricsDroppedAlarm),
                ],
              },
            },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  it('subscribes the alert email when one is given, and nobody otherwise', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: topic,
    });
    build().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('validation', () => {
  const problemsOf = (create: (stack: Stack) => void): readonly string[] => {
    try {
      create(newStack());
    } catch (error) {
      if (error instanceof FactifyKeyRotationConfigError) return error.problems;
      throw error;
    }
    throw new Error('expected a FactifyKeyRotationConfigError');
  };

  it('reports every problem at once', () => {
    const problems = problemsOf((stack) => {
      new FactifyKeyRotation(stack, 'Rotation', {
        secrets: [
          secretsmanager.Secret.fromSecretCompleteArn(
            stack,
            'ShortAccount',
            SECRET_ARN.replace(ACCOUNT, '12345'),
          ),
          secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'factify/by-name'),
        ],
        encryptionKey: kms.Key.fromKeyArn(stack, 'Alias', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/factify`),
        rotationSchedule: KeyRotationSchedule.cron('cron(30 4 ? * SUN 2027)'),
        timeout: Duration.seconds(10),
        memorySize: 64,
        revokeGracePeriod: Duration.millis(1500),
        factifyApiUrl: 'http://api.factify.com/v1',
        alertEmail: 'ops',
      });
    });
    expect(problems).toEqual([
      expect.stringMatching(/^secrets\[0\] ".*:12345:.*" is not a complete secret ARN/),
      expect.stringMatching(/^secrets\[1\] \(Test\/ByName\) was imported without its complete ARN/),
      expect.stringMatching(/^encryptionKey ".*alias\/factify" is not a KMS key ARN/),
      expect.stringMatching(/^rotationSchedule: the minutes field .* must be 0/),
      expect.stringMatching(/^rotationSchedule: the year field .* must be \*/),
      expect.stringMatching(/^timeout: give 60 seconds to 15 minutes/),
      'revokeGracePeriod: give whole seconds from 0 (revoke at once) to 365 days, got 1 second 500 millis.',
      expect.stringMatching(/^memorySize: give a whole number of MB from 128 to 10240, got 64/),
      expect.stringMatching(/^factifyApiUrl: .* must use https/),
      expect.stringMatching(/^alertEmail: "ops" is not an email address/),
    ]);
  });

  it('accepts no secrets (they enroll from other stacks); rejects duplicates and a rotated admin secret', () => {
    const stack = newStack();
    expect(propsProblems(stack, {}, BUNDLE_FILE)).toEqual([]);
    expect(propsProblems(stack, { secrets: [] }, BUNDLE_FILE)).toEqual([]);
    expect(
      problemsOf((stack) => {
        const secret = importSecret(stack, SECRET_ARN);
        new FactifyKeyRotation(stack, 'Rotation', {
          secrets: [secret, secretsmanager.Secret.fromSecretCompleteArn(stack, 'Again', SECRET_ARN)],
          adminSecret: secret,
        });
      }),
    ).toEqual([
      `secrets: ${SECRET_ARN} is listed more than once.`,
      'adminSecret: the admin secret must not be one of the rotated secrets.',
    ]);
  });

  it("rejects secrets outside the stack's account and region", () => {
    const elsewhere = SECRET_ARN.replace(REGION, 'us-east-1');
    expect(
      problemsOf(
        (stack) => new FactifyKeyRotation(stack, 'Rotation', { secrets: [importSecret(stack, elsewhere)] }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^secrets\[0\] is in account 123456789012, region us-east-1, but the function deploys to .* eu-west-1/,
      ),
    ]);
  });

  it('accepts a revocation grace period of 0 to 365 days in whole seconds', () => {
    const graceProblems = (revokeGracePeriod: Duration) => {
      const stack = newStack();
      return propsProblems(
        stack,
        { secrets: [importSecret(stack, SECRET_ARN)], revokeGracePeriod },
        BUNDLE_FILE,
      );
    };
    for (const grace of [Duration.seconds(0), Duration.seconds(1), Duration.days(365)]) {
      expect(graceProblems(grace)).toEqual([]);
    }
    expect(graceProblems(Duration.days(366))).toEqual([
      'revokeGracePeriod: give whole seconds from 0 (revoke at once) to 365 days, got 366 days.',
    ]);
    expect(graceProblems(Duration.seconds(365 * 24 * 3600 + 1))).toHaveLength(1);
  });

  it('asks for npm run build when the bundle is missing', () => {
    const stack = newStack();
    expect(
      propsProblems(stack, { secrets: [importSecret(stack, SECRET_ARN)] }, '/nowhere/index.mjs'),
    ).toEqual(['the function bundle /nowhere/index.mjs is missing: run `npm run build` first.']);
  });

  it('checks the rotation window against the schedule', () => {
    expect(
      problemsOf(
        (stack) =>
          new FactifyKeyRotation(stack, 'Rotation', {
            secrets: [importSecret(stack, SECRET_ARN)],
            rotationSchedule: KeyRotationSchedule.cron('cron(0 22 ? * SUN *)'),
            rotationWindow: Duration.hours(4),
          }),
      ),
    ).toEqual([expect.stringMatching(/^rotationWindow: a window opening at 22:00 UTC lasts at most 2h/)]);
  });
});
