import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { FactifyKeyRotation, type FactifyKeyRotationProps } from '../../infra/factify-key-rotation.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** cdk.json as the CLI reads it; its context (feature flags) makes the test apps synthesize like the real one. */
export const CDK_JSON = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  notices?: boolean;
  context: Record<string, unknown>;
};

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:factify/api-key-AbCdEf`;
export const OTHER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:billing-key-XyZ123`;
export const ADMIN_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:factify/admin-QwErTy`;
export const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const outdirs: string[] = [];

/** A fresh temporary directory, removed by `removeTempDirs`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'factify-infra-'));
  outdirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A stack in the secrets' account and region (or, `agnostic`, in none), in an app with cdk.json's context and
 * an outdir of its own. The built-in CloudFormation validator (several seconds a synth) stays off unless asked for.
 */
export function newStack(options: { validation?: boolean; agnostic?: boolean } = {}): Stack {
  const app = new App({
    outdir: tempDir(),
    context: CDK_JSON.context,
    builtinCloudFormationValidation: options.validation ?? false,
  });
  return new Stack(app, 'Test', options.agnostic ? {} : { env: { account: ACCOUNT, region: REGION } });
}

export function importSecret(stack: Stack, arn: string): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(
    stack,
    arn.slice(arn.indexOf(':secret:') + 8).replaceAll('/', '|'),
    arn,
  );
}

/** An existing VPC with two private and two public subnets, as a platform team hands it over. */
export function importVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d',
    availabilityZones: [`${REGION}a`, `${REGION}b`],
    privateSubnetIds: ['subnet-private1', 'subnet-private2'],
    privateSubnetRouteTableIds: ['rtb-private1', 'rtb-private2'],
    publicSubnetIds: ['subnet-public1', 'subnet-public2'],
    publicSubnetRouteTableIds: ['rtb-public', 'rtb-public'],
  });
}

/** The logical id CloudFormation knows a construct (or its default child) by. */
export const logicalId = (stack: Stack, construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

/** A FactifyKeyRotation of one secret in a fresh stack, with `options` on top, and its template. */
export function buildRotation(options: (stack: Stack) => Partial<FactifyKeyRotationProps> = () => ({})) {
  const stack = newStack();
  const rotation = new FactifyKeyRotation(stack, 'Rotation', {
    secrets: [importSecret(stack, SECRET_ARN)],
    ...options(stack),
  });
  return { stack, rotation, template: Template.fromStack(stack) };
}

/** The problems the synth-time checks report for `options`, or none. */
export function problemsOf(options: (stack: Stack) => Partial<FactifyKeyRotationProps>): string[] {
  try {
    buildRotation(options);
  } catch (error) {
    return [...((error as { problems?: string[] }).problems ?? [String(error)])];
  }
  return [];
}
