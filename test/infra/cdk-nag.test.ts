import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { FactifyKeyRotation, type FactifyKeyRotationProps } from '../../infra/factify-key-rotation.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import {
  ACCOUNT,
  ADMIN_SECRET_ARN,
  importSecret,
  importVpc,
  KMS_KEY_ARN,
  newStack,
  OTHER_SECRET_ARN,
  REGION,
  removeTempDirs,
  SECRET_ARN,
} from './support.js';

afterAll(removeTempDirs);

const FAILURE_QUEUE_WITHOUT_DLQ = {
  path: 'Test/Rotation/Monitoring/FailedInvocations',
  id: 'AwsSolutions-SQS3',
  reason: expect.stringMatching(
    /on-failure destination.*nothing consumes them, so there is nothing to redrive/,
  ),
};

/** aws-cdk-lib's newest Node.js runtime moves with each release; the function runs one its bundle is tested on. */
const RUNTIME = {
  path: 'Test/Rotation/Function',
  id: 'AwsSolutions-L1',
  reason: expect.stringMatching(
    /^The function runs nodejs24\.x, a runtime its bundle is tested on \(nodejs22\.x, nodejs24\.x: the end-to-end tests run the bundle on each\)/,
  ),
};

/** HMAC keys have no automatic rotation in KMS. */
const SEAL_KEY_ROTATION = {
  path: 'Test/Rotation/SealKey',
  id: 'AwsSolutions-KMS5',
  reason: expect.stringMatching(/does not rotate HMAC keys/),
};

/** ListSecrets has no resource-level permission: in a policy of its own, acknowledged there only. */
const LIST_SECRETS = {
  path: 'Test/Rotation/ListSecretsPolicy',
  id: 'AwsSolutions-IAM5[Resource::*]',
  reason: expect.stringMatching(
    /ListSecrets and BatchGetSecretValue support no resource-level permission.*never values/,
  ),
};

const SCHEDULE_WILDCARD = `AwsSolutions-IAM5[Resource::arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/fkr-revoke-*]`;
const OWN_GROUP_WILDCARD = `AwsSolutions-IAM5[Resource::arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/<RotationRevokeSchedulesGroup0F4B338E>/*]`;
const SECRETS_WILDCARD = `AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*]`;

/** What every configuration acknowledges: the two queues nothing consumes, the secrets it may be enrolled for. */
const SCHEDULE_DLQ = { path: 'Test/Rotation/RevokeSchedules/DeadLetterQueue', id: 'AwsSolutions-SQS3' };
const SECRETS = { path: 'Test/Rotation/RotationPolicy', id: SECRETS_WILDCARD };
const SCHEDULES = [
  { path: 'Test/Rotation/RotationPolicy', id: OWN_GROUP_WILDCARD },
  { path: 'Test/Rotation/RotationPolicy', id: SCHEDULE_WILDCARD },
];
const idsOf = (acks: { path: string; id: string }[]) => acks.map(({ path, id }) => ({ path, id }));

/** Every acknowledgement in the tree, with the path of the construct that carries it. */
function acknowledgements(app: App): { path: string; id: string; reason: string }[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

function rotationIn(options: Partial<FactifyKeyRotationProps>) {
  const stack = newStack();
  const rotation = new FactifyKeyRotation(stack, 'Rotation', {
    secrets: [importSecret(stack, SECRET_ARN)],
    ...options,
  });
  return { app: App.of(stack) as App, rotation };
}

describe('AwsSolutions checks', () => {
  it('pass, with the CloudFormation validator, with every option on, acknowledging only the runtime, the schedule wildcards, the enrollable secrets, ListSecrets and the two queues', () => {
    // The one in-process synth with the built-in validator on.
    const stack = newStack({ validation: true });
    new FactifyKeyRotation(stack, 'Rotation', {
      secrets: [importSecret(stack, SECRET_ARN), importSecret(stack, OTHER_SECRET_ARN)],
      adminSecret: importSecret(stack, ADMIN_SECRET_ARN),
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KMS_KEY_ARN),
      rotationSchedule: KeyRotationSchedule.cron('cron(0 4 ? * SUN *)'),
      rotationWindow: Duration.hours(3),
      revokeGracePeriod: Duration.hours(1),
      alertEmail: 'ops@example.com',
    });
    const app = App.of(stack) as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Synth throws on any unacknowledged error finding of either plugin.
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
    // Warnings do not fail a synth: ask the pack directly for all of its findings.
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
    expect(idsOf(acknowledgements(app))).toEqual([
      { path: SEAL_KEY_ROTATION.path, id: SEAL_KEY_ROTATION.id },
      { path: LIST_SECRETS.path, id: LIST_SECRETS.id },
      SCHEDULE_DLQ,
      { path: RUNTIME.path, id: RUNTIME.id },
      ...SCHEDULES,
      SECRETS,
      { path: FAILURE_QUEUE_WITHOUT_DLQ.path, id: FAILURE_QUEUE_WITHOUT_DLQ.id },
    ]);
    const reasons = Object.fromEntries(acknowledgements(app).map((ack) => [ack.id, ack.reason]));
    expect(reasons[SCHEDULE_WILDCARD]).toMatch(
      /one revocation schedule per replaced secret version at run time.*narrowest scope IAM can express.*may only invoke this function/,
    );
    expect(reasons[SECRETS_WILDCARD]).toMatch(/AllowRotationLambdaArn limits every action/);
    expect(reasons['AwsSolutions-IAM5[Resource::*]']).toMatch(
      /ListSecrets and BatchGetSecretValue support no resource-level permission/,
    );
  });

  it('pass acknowledging only the runtime, the queues, the enrollable secrets and ListSecrets, without a grace period', () => {
    const { app } = rotationIn({ revokeGracePeriod: Duration.seconds(0) });
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
    expect(idsOf(acknowledgements(app))).toEqual([
      { path: SEAL_KEY_ROTATION.path, id: SEAL_KEY_ROTATION.id },
      { path: LIST_SECRETS.path, id: LIST_SECRETS.id },
      SCHEDULE_DLQ,
      { path: RUNTIME.path, id: RUNTIME.id },
      SECRETS,
      { path: FAILURE_QUEUE_WITHOUT_DLQ.path, id: FAILURE_QUEUE_WITHOUT_DLQ.id },
    ]);
  });

  it('still report any other wildcard resource in the policy that carries the acknowledgement', () => {
    const { app, rotation } = rotationIn({ revokeGracePeriod: Duration.hours(1) });
    rotation.rotationPolicy.addStatements(
      new iam.PolicyStatement({
        actions: ['scheduler:DeleteSchedule'],
        resources: [`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/*`],
      }),
    );
    const { violations } = new AwsSolutionsChecks().validateScope(app);
    expect(violations.map((violation) => violation.ruleName)).toEqual([
      `AwsSolutions-IAM5[Resource::arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/*]`,
    ]);
  });

  it("pass with every platform team's setting, acknowledging only the runtime, the network interface and schedule wildcards and the failure queue", () => {
    const stack = newStack();
    const app = App.of(stack) as App;
    new FactifyKeyRotation(stack, 'Rotation', {
      secrets: [importSecret(stack, SECRET_ARN)],
      revokeGracePeriod: Duration.hours(1),
      vpc: importVpc(stack),
      alertTopic: sns.Topic.fromTopicArn(stack, 'Topic', `arn:aws:sns:${REGION}:${ACCOUNT}:platform-alerts`),
      reservedConcurrentExecutions: 20,
      functionName: 'team-factify-rotation',
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyName(stack, 'Boundary', 'platform-boundary'),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
    expect(idsOf(acknowledgements(app))).toEqual([
      { path: SEAL_KEY_ROTATION.path, id: SEAL_KEY_ROTATION.id },
      { path: LIST_SECRETS.path, id: LIST_SECRETS.id },
      SCHEDULE_DLQ,
      { path: 'Test/Rotation/NetworkInterfacePolicy', id: 'AwsSolutions-IAM5[Resource::*]' },
      { path: RUNTIME.path, id: RUNTIME.id },
      ...SCHEDULES,
      SECRETS,
      { path: FAILURE_QUEUE_WITHOUT_DLQ.path, id: FAILURE_QUEUE_WITHOUT_DLQ.id },
    ]);
  });

  it('still report a "*" resource anywhere but in the network interface and ListSecrets policies', () => {
    const stack = newStack();
    const rotation = new FactifyKeyRotation(stack, 'Rotation', {
      secrets: [importSecret(stack, SECRET_ARN)],
      vpc: importVpc(stack),
    });
    rotation.rotationPolicy.addStatements(
      new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }),
    );
    const { violations } = new AwsSolutionsChecks().validateScope(App.of(stack) as App);
    expect(violations.map((violation) => violation.ruleName)).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });

  it('pass for an environment-agnostic stack, whose ARN is made of pseudo parameters', () => {
    const agnostic = newStack({ agnostic: true });
    const app = App.of(agnostic) as App;
    new FactifyKeyRotation(agnostic, 'Rotation', {
      secrets: [importSecret(agnostic, SECRET_ARN)],
      revokeGracePeriod: Duration.hours(1),
    });
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
    expect(acknowledgements(app).map((ack) => ack.id)).toEqual([
      'AwsSolutions-KMS5',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SQS3',
      'AwsSolutions-L1',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<RotationRevokeSchedulesGroup0F4B338E>/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/default/fkr-revoke-*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:*]',
      'AwsSolutions-SQS3',
    ]);
  });
});
