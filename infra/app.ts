// The CDK app behind `npx cdk deploy`: maps CDK context to one FactifyKeyRotation in its own stack.
import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseSecretArn } from '../lambda/settings/arn.js';
import { readAppConfig } from './app-config.js';
import { FactifyKeyRotation, FactifyKeyRotationConfigError } from './factify-key-rotation.js';

const app = new App();
try {
  const { stackName, env, secretArns, adminSecretArn, kmsKeyArn, ...props } = readAppConfig((key) =>
    app.node.tryGetContext(key),
  );
  const stack = new Stack(app, stackName, {
    env,
    description: 'Rotates Factify API keys held in Secrets Manager (factify-key-rotation)',
  });
  // Imported by complete ARN: the stack references the secrets, never their values. The id is the secret's
  // name with its random suffix, unique in the account and region, so reordering secretArns changes nothing.
  // (readAppConfig has checked that each is a complete secret ARN.)
  const importSecret = (arn: string) =>
    secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      (parseSecretArn(arn)?.nameWithSuffix ?? arn).replaceAll('/', '|'),
      arn,
    );
  const rotation = new FactifyKeyRotation(stack, 'Rotation', {
    ...props,
    secrets: secretArns.map(importSecret),
    adminSecret: adminSecretArn === undefined ? undefined : importSecret(adminSecretArn),
    encryptionKeys:
      kmsKeyArn === undefined ? undefined : [kms.Key.fromKeyArn(stack, 'SecretsKey', kmsKeyArn)],
  });
  new CfnOutput(stack, 'RotationFunctionName', {
    description: 'Open it in the Lambda console to start a rotation by hand',
    value: rotation.rotationFunction.functionName,
  });
  new CfnOutput(stack, 'RotationFunctionArn', {
    description:
      'Application stacks enroll their secrets with it (FactifyKeyRotationEnrollment rotationFunctionArn)',
    value: rotation.rotationFunction.functionArn,
  });
  new CfnOutput(stack, 'LogGroupName', {
    description: 'Where the function logs each rotation step',
    value: rotation.logGroup.logGroupName,
  });
  new CfnOutput(stack, 'AlertTopicArn', {
    description: 'Subscribe here to receive rotation alerts',
    value: rotation.alertTopic.topicArn,
  });
  new CfnOutput(stack, 'DashboardName', {
    description: 'The CloudWatch dashboard of the rotations and the daily audit',
    value: rotation.monitoring.dashboard.dashboardName,
  });
  new CfnOutput(stack, 'FailedInvocationsQueueUrl', {
    description: 'Scheduled revocations and audits that failed every retry (an alarm fires when one is here)',
    value: rotation.monitoring.failureQueue.queueUrl,
  });
  // Synth fails on any unacknowledged AwsSolutions error; test/infra/cdk-nag.test.ts also rejects warnings.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (!(error instanceof FactifyKeyRotationConfigError)) throw error;
  // A configuration mistake needs its message, not a stack trace.
  console.error(error.message);
  process.exitCode = 1;
}
