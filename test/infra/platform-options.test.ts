import { Duration, type Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, describe, expect, it } from 'vitest';
import { FactifyKeyRotation, type FactifyKeyRotationProps } from '../../infra/factify-key-rotation.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import {
  ACCOUNT,
  buildRotation,
  importSecret,
  importVpc,
  logicalId,
  newStack,
  problemsOf,
  REGION,
  removeTempDirs,
  SECRET_ARN,
} from './support.js';

afterAll(removeTempDirs);

describe('in a VPC', () => {
  const { stack, rotation, template } = buildRotation((stack) => ({ vpc: importVpc(stack) }));

  it('runs the function in the private subnets with a security group that allows only HTTPS out', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    expect(Object.keys(groups)).toHaveLength(1);
    const [groupId] = Object.keys(groups);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: ['subnet-private1', 'subnet-private2'],
        SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }],
      },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0a1b2c3d',
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }],
      SecurityGroupIngress: Match.absent(),
    });
  });

  it("lets Lambda manage the function's network interfaces, with a policy that exists before the function", () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: {
        PolicyDocument: {
          Statement: [Match.objectLike({ Sid: 'ManageTheFunctionsNetworkInterfaces', Resource: '*' })],
        },
      },
    });
    expect(Object.keys(policies)).toHaveLength(1);
    const [policyId] = Object.keys(policies);
    expect(policies[policyId as string]?.Properties.Roles).toEqual([
      { Ref: logicalId(stack, rotation.role) },
    ]);
    const fn = template.findResources('AWS::Lambda::Function');
    expect(Object.values(fn)[0]?.DependsOn).toContain(policyId);
    // No AWS managed policy on the role.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it("uses the caller's subnets and security groups instead", () => {
    const { template } = buildRotation((stack) => ({
      vpc: importVpc(stack),
      vpcSubnets: { subnets: [ec2.Subnet.fromSubnetId(stack, 'Only', 'subnet-private2')] },
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Group', 'sg-0123456789abcdef0')],
    }));
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-private2'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
    });
  });

  it('is not the default: without a VPC the function has no VpcConfig and no network policy', () => {
    const { template } = buildRotation(() => ({}));
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.absent() });
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });
});

describe('an existing alert topic', () => {
  it('receives the alarms and the rotation failures; no topic or key is created', () => {
    const { stack, rotation, template } = buildRotation((stack) => ({
      alertTopic: sns.Topic.fromTopicArn(stack, 'Topic', `arn:aws:sns:${REGION}:${ACCOUNT}:platform-alerts`),
    }));
    template.resourceCountIs('AWS::SNS::Topic', 0);
    // The seal key (an HMAC key) is the only one: no key encrypts a topic.
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([
      ...Object.keys(template.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'HMAC_256' } })),
    ]);
    template.resourceCountIs('AWS::KMS::Key', 1);
    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:platform-alerts`;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: topicArn })] });
    expect(rotation.alertTopic.topicArn).toBe(topicArn);
    expect(rotation.alertKey).toBeUndefined();
    expect(stack.resolve(rotation.alertTopic.topicArn)).toBe(topicArn);
  });

  it('of the same app gets the statements that let the rule and the alarms publish', () => {
    const { template } = buildRotation((stack) => ({
      alertTopic: new sns.Topic(stack, 'PlatformTopic', { enforceSSL: true }),
    }));
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'RotationFailedRulePublishes' }),
          Match.objectLike({ Sid: 'AlarmsPublish' }),
        ]),
      },
    });
  });
});

describe("the platform team's settings", () => {
  it('pass reserved concurrency and the function name through', () => {
    const { template } = buildRotation(() => ({
      reservedConcurrentExecutions: 20,
      functionName: 'team-factify-rotation',
    }));
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 20,
      FunctionName: 'team-factify-rotation',
    });
  });

  it('leave tags to the user: Tags.of(rotation) reaches the function, its roles and the topic', () => {
    const stack = newStack();
    const rotation = new FactifyKeyRotation(stack, 'Rotation', {
      secrets: [importSecret(stack, SECRET_ARN)],
      revokeGracePeriod: Duration.hours(1),
    });
    Tags.of(rotation).add('cost-center', 'platform-42');
    const template = Template.fromStack(stack);
    const tag = { Key: 'cost-center', Value: 'platform-42' };
    for (const type of [
      'AWS::Lambda::Function',
      'AWS::IAM::Role',
      'AWS::SNS::Topic',
      'AWS::Logs::LogGroup',
    ]) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length, type).toBeGreaterThan(0);
      for (const resource of resources) expect(resource.Properties.Tags, type).toContainEqual(tag);
    }
  });

  it('apply the permissions boundary to every role the construct makes', () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/platform-boundary`;
    const { template } = buildRotation((stack) => ({
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(stack, 'Boundary', boundaryArn),
      revokeGracePeriod: Duration.hours(1),
      vpc: importVpc(stack),
    }));
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    // The function's, the scheduler role, and the earlier release's scheduler role its schedules still name.
    expect(roles).toHaveLength(3);
    for (const role of roles) expect(role.Properties.PermissionsBoundary).toBe(boundaryArn);
  });
});

describe('settings refused at synth', () => {
  it.each<[string, (stack: Stack) => Partial<FactifyKeyRotationProps>, RegExp]>([
    [
      'subnets without a VPC',
      (stack) => ({ vpcSubnets: { subnets: [ec2.Subnet.fromSubnetId(stack, 'S', 'subnet-1')] } }),
      /^vpcSubnets: it places the function in a VPC, so give vpc too/,
    ],
    [
      'security groups without a VPC',
      (stack) => ({ securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'G', 'sg-1')] }),
      /^securityGroups: it places the function in a VPC, so give vpc too/,
    ],
    [
      'public subnets',
      (stack) => ({ vpc: importVpc(stack), vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }),
      /^vpcSubnets: the selection includes public subnets, .* no route to Factify/,
    ],
    [
      'a subnet type the VPC lacks',
      (stack) => ({ vpc: importVpc(stack), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }),
      /^vpcSubnets: There are no 'Isolated' subnet groups in this VPC/,
    ],
    [
      'an empty list of security groups',
      (stack) => ({ vpc: importVpc(stack), securityGroups: [] }),
      /^securityGroups: give at least one security group/,
    ],
    [
      'no reserved concurrency at all',
      () => ({ reservedConcurrentExecutions: 0 }),
      /0 would stop every rotation/,
    ],
    [
      'a fractional concurrency',
      () => ({ reservedConcurrentExecutions: 2.5 }),
      /whole number of at least 1 .*, got 2.5/,
    ],
    [
      'a function name Lambda refuses',
      () => ({ functionName: 'factify rotation!' }),
      /^functionName: "factify rotation!" is not a Lambda function name/,
    ],
    [
      'a function name too long',
      () => ({ functionName: 'f'.repeat(65) }),
      /^functionName: .* 1 to 64 letters/,
    ],
    [
      'a metrics namespace reserved for AWS',
      () => ({ metricsNamespace: 'AWS/KeyRotation' }),
      /^metricsNamespace: "AWS\/KeyRotation" is not a CloudWatch namespace the function may publish in/,
    ],
    [
      'an alert topic in another region',
      (stack) => ({
        alertTopic: sns.Topic.fromTopicArn(stack, 'T', `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`),
      }),
      /^alertTopic: the topic is in region us-east-1 but the alarms are in eu-west-1/,
    ],
    [
      'a cron() schedule more often than every four hours',
      () => ({ rotationSchedule: KeyRotationSchedule.cron('cron(0 */2 * * ? *)') }),
      /^rotationSchedule: "cron\(0 \*\/2 \* \* \? \*\)" rotates 2 hours apart .* at most every 4 hours/,
    ],
    [
      'a cron() schedule without ? in day-of-month or day-of-week',
      () => ({ rotationSchedule: KeyRotationSchedule.cron('cron(0 4 * * MON *)') }),
      /^rotationSchedule: .* sets both day-of-month and day-of-week/,
    ],
  ])('%s', (_, options, message) => {
    expect(problemsOf(options)).toEqual([expect.stringMatching(message)]);
  });
});
