import { existsSync } from 'node:fs';
import { type Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct, IConstruct } from 'constructs';
import { type Arn, parseKmsKeyArn, parseSecretArn } from '../lambda/settings/arn.js';
import { isMetricsNamespace, METRICS_NAMESPACE_RULE } from '../lambda/settings/config.js';
import { checkFactifyApiUrl, DEFAULT_FACTIFY_API_URL } from '../lambda/settings/factify-api-url.js';
import { isRevokeGraceSeconds, MAX_REVOKE_GRACE_DAYS } from '../lambda/settings/revoke-grace.js';
import { kmsKeyArnProblem, secretArnProblem } from './arns.js';
import type { FactifyKeyRotationProps } from './factify-key-rotation.js';
import { DEFAULT_ROTATION_SCHEDULE } from './rotation-schedule.js';

/**
 * The runtimes the function's bundle is tested on: `npm test` runs the end-to-end suite on Node.js 22, CI runs
 * it again on Node.js 24 (.ci/run).
 */
export const TESTED_RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;
export const DEFAULT_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The retention periods CloudWatch Logs offers, in days (9999: never expire). */
export const RETENTION_DAYS: ReadonlySet<number> = new Set(
  Object.values(RetentionDays).filter((value) => typeof value === 'number'),
);

/**
 * cdk-nag's AwsSolutions-L1 wants the newest runtime aws-cdk-lib knows, which moves with every aws-cdk-lib
 * release; the function runs on a runtime its bundle is tested on instead, and says so where the finding arises.
 */
export function acknowledgeRuntime(fn: lambda.Function): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      `The function runs ${fn.runtime.name}, a runtime its bundle is tested on (${TESTED_RUNTIMES.join(', ')}: ` +
      "the end-to-end tests run the bundle on each); a newer runtime is not used until the bundle's tests run on it.",
  });
}

/** Thrown when the props (or the CDK context they came from) are invalid; lists every problem found. */
export class FactifyKeyRotationConfigError extends Error {
  override readonly name = 'FactifyKeyRotationConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid Factify key rotation configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Every problem with the props, each message naming the fix, so that one synth reports them all.
 * `bundleFile` is the function's bundle, which must have been built.
 */
export function propsProblems(
  scope: Construct,
  props: FactifyKeyRotationProps,
  bundleFile: string,
): string[] {
  const problems: string[] = [];
  const stack = Stack.of(scope);
  const environments: { what: string; env: Arn }[] = [];

  const checkSecret = (secret: secretsmanager.ISecret, what: string): void => {
    const arn = secret.secretFullArn;
    if (hasGeneratedValue(secret)) {
      problems.push(
        `${what} (${secret.node.path}) is a new secret with a generated value, which is not a Factify key: the first ` +
          'rotation would fail. Store the key in a secret outside the stack (aws secretsmanager create-secret) and ' +
          'import it with Secret.fromSecretCompleteArn.',
      );
    }
    if (arn === undefined) {
      problems.push(
        `${what} (${secret.node.path}) was imported without its complete ARN: import it with ` +
          'Secret.fromSecretCompleteArn so that its policies name exactly that secret.',
      );
    } else if (!Token.isUnresolved(arn)) {
      const problem = secretArnProblem(arn, what);
      if (problem) problems.push(problem);
      const env = parseSecretArn(arn);
      if (env) environments.push({ what, env });
    }
  };

  const secrets = props.secrets ?? [];
  const scheduled = scheduledSecrets(stack);
  secrets.forEach((secret, index) => {
    checkSecret(secret, `secrets[${index}]`);
    const arn = secret.secretFullArn;
    const other = arn === undefined ? undefined : scheduled.get(arn);
    if (other) {
      problems.push(
        `secrets[${index}]: ${arn} already has a rotation schedule in this stack (${other.node.path}): a secret ` +
          'has one rotation configuration, so list it in one FactifyKeyRotation only.',
      );
    }
  });
  const rotated = secrets.map((secret) => secret.secretFullArn).filter((arn) => arn !== undefined);
  const duplicates = rotated.filter(
    (arn, index) => !Token.isUnresolved(arn) && rotated.indexOf(arn) !== index,
  );
  for (const arn of new Set(duplicates)) problems.push(`secrets: ${arn} is listed more than once.`);

  if (props.adminSecret) {
    checkSecret(props.adminSecret, 'adminSecret');
    const adminArn = props.adminSecret.secretFullArn;
    if (adminArn !== undefined && rotated.includes(adminArn)) {
      problems.push('adminSecret: the admin secret must not be one of the rotated secrets.');
    }
  }
  const keys = [
    ...(props.encryptionKeys ?? []).map((key, index) => ({ key, what: `encryptionKeys[${index}]` })),
    ...(props.encryptionKey ? [{ key: props.encryptionKey, what: 'encryptionKey' }] : []),
  ];
  for (const { key, what } of keys) {
    const alias = aliasProblem(key, what);
    if (alias) problems.push(alias);
    if (alias || Token.isUnresolved(key.keyArn)) continue;
    const problem = kmsKeyArnProblem(key.keyArn, what);
    if (problem) problems.push(problem);
    const env = parseKmsKeyArn(key.keyArn);
    if (env) environments.push({ what, env });
  }
  // Every alarm description ends with it, within CloudWatch's 1,024 characters.
  if (props.runbookUrl !== undefined && !(props.runbookUrl.length >= 1 && props.runbookUrl.length <= 300)) {
    problems.push(`runbookUrl: give a link of 1 to 300 characters, got ${props.runbookUrl.length}.`);
  }
  const prefix = props.secretNamePrefix;
  if (prefix !== undefined && !Token.isUnresolved(prefix) && !/^[A-Za-z0-9/_+=.@-]{1,256}$/.test(prefix)) {
    problems.push(
      `secretNamePrefix: "${prefix.slice(0, 40)}" is not the start of a secret name: 1 to 256 letters, digits ` +
        'and /_+=.@- (no wildcard: the prefix is matched as is).',
    );
  }
  problems.push(...environmentProblems(environments, stack));

  problems.push(...(props.rotationSchedule ?? DEFAULT_ROTATION_SCHEDULE).problems(props.rotationWindow));

  const timeout = props.timeout?.toSeconds() ?? 90;
  if (timeout < 60 || timeout > 900) {
    problems.push(
      `timeout: give 60 seconds to 15 minutes (testSecret alone may wait about 30 s for a new key), got ${timeout} s.`,
    );
  }
  if (props.revokeGracePeriod !== undefined) {
    const problem = revokeGraceProblem(props.revokeGracePeriod);
    if (problem) problems.push(problem);
  }
  const runtime = props.runtime?.name;
  if (runtime !== undefined && !(TESTED_RUNTIMES as readonly string[]).includes(runtime)) {
    problems.push(
      `runtime: the function's bundle is tested on ${TESTED_RUNTIMES.join(' and ')} only, got ${runtime}: choose ` +
        'one of them (lambda.Runtime.NODEJS_24_X, the default, or NODEJS_22_X).',
    );
  }
  if (props.logRetention !== undefined && !RETENTION_DAYS.has(props.logRetention)) {
    problems.push(
      `logRetention: CloudWatch Logs keeps logs for ${[...RETENTION_DAYS].filter((days) => days !== 9999).join(', ')} ` +
        `days or forever (RetentionDays.INFINITE), got ${props.logRetention}.`,
    );
  }
  const memory = props.memorySize ?? 256;
  if (!Number.isInteger(memory) || memory < 128 || memory > 10240) {
    problems.push(`memorySize: give a whole number of MB from 128 to 10240, got ${memory}.`);
  }
  if (props.factifyApiUrl !== undefined) {
    const problem = apiUrlProblem(props.factifyApiUrl);
    if (problem) problems.push(problem);
  }
  if (props.alertEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alertEmail)) {
    problems.push(`alertEmail: "${props.alertEmail}" is not an email address.`);
  }
  problems.push(...platformProblems(props, stack));
  if (!existsSync(bundleFile)) {
    problems.push(`the function bundle ${bundleFile} is missing: run \`npm run build\` first.`);
  }
  return problems;
}

/** What synth lets through but an operator should hear about, each with a stable id for acknowledgeWarnings. */
export function propsWarnings(props: FactifyKeyRotationProps): { id: string; message: string }[] {
  const grace = props.revokeGracePeriod;
  const schedule = props.rotationSchedule ?? DEFAULT_ROTATION_SCHEDULE;
  const shortest = schedule.intervals()?.shortest;
  if (!grace || !shortest || grace.toSeconds() <= shortest.toSeconds()) return [];
  return [
    {
      id: 'factify-key-rotation:graceLongerThanRotationInterval',
      message:
        `revokeGracePeriod: ${grace.toHumanString()} is longer than the ${shortest.toHumanString()} between two ` +
        `rotations of ${schedule.expressionString}: a replaced key would still be valid when the next rotation ` +
        'replaces its successor, so three keys of the secret are active at once. Shorten the grace or rotate less often.',
    },
  ];
}

/** Every secret a rotation schedule of `stack` already names, with that schedule. */
function scheduledSecrets(stack: Stack): Map<string, IConstruct> {
  const scheduled = new Map<string, IConstruct>();
  for (const construct of stack.node.findAll()) {
    if (construct instanceof secretsmanager.CfnRotationSchedule) scheduled.set(construct.secretId, construct);
  }
  return scheduled;
}

/**
 * Rotation schedules added to the stack after the construct that name one of its secrets: checked when the app
 * synthesizes, as the construct cannot see them when it is created.
 */
export function laterScheduleProblems(own: readonly secretsmanager.CfnRotationSchedule[]): string[] {
  const first = own[0];
  if (!first) return [];
  const secretIds = new Set(own.map((schedule) => schedule.secretId));
  return Stack.of(first)
    .node.findAll()
    .filter(
      (construct): construct is secretsmanager.CfnRotationSchedule =>
        construct instanceof secretsmanager.CfnRotationSchedule &&
        !own.includes(construct) &&
        secretIds.has(construct.secretId),
    )
    .map(
      (schedule) =>
        `${schedule.node.path} schedules the rotation of ${schedule.secretId}, which ${first.node.scope?.node.path} ` +
        'already rotates: a secret has one rotation configuration, so remove one of them.',
    );
}

/** A secret this app creates whose value Secrets Manager generates (the default of `new Secret()`). */
function hasGeneratedValue(secret: secretsmanager.ISecret): boolean {
  const resource = secret.node.defaultChild;
  return resource instanceof secretsmanager.CfnSecret && resource.generateSecretString !== undefined;
}

/** IAM never matches a KMS key by its alias: a policy naming the alias grants nothing. */
function aliasProblem(key: kms.IKey, what: string): string | undefined {
  if (!('aliasName' in key)) return undefined;
  const { aliasName } = key as kms.IAlias;
  return (
    `${what}: ${Token.isUnresolved(aliasName) ? key.node.path : aliasName} is a KMS alias: IAM policies do not match ` +
    "a key by its alias, so the function could not decrypt the secrets. Give the key itself (the alias's " +
    "targetKey, or kms.Key.fromKeyArn(this, 'Key', 'arn:aws:kms:<region>:<account>:key/<key id>'))."
  );
}

/** The options a platform team sets on every function: network, concurrency, name, alert topic. */
function platformProblems(props: FactifyKeyRotationProps, stack: Stack): string[] {
  const problems: string[] = [];
  if (props.vpc) {
    if (props.securityGroups?.length === 0) {
      problems.push(
        'securityGroups: give at least one security group, or leave it out for one that allows only HTTPS out.',
      );
    }
    problems.push(...subnetProblems(props.vpc, props.vpcSubnets));
  } else {
    for (const key of ['vpcSubnets', 'securityGroups'] as const) {
      if (props[key] !== undefined)
        problems.push(`${key}: it places the function in a VPC, so give vpc too.`);
    }
  }
  const concurrency = props.reservedConcurrentExecutions;
  if (
    concurrency !== undefined &&
    !Token.isUnresolved(concurrency) &&
    !(Number.isInteger(concurrency) && concurrency >= 1)
  ) {
    problems.push(
      `reservedConcurrentExecutions: give a whole number of at least 1 (0 would stop every rotation), got ${concurrency}.`,
    );
  }
  const name = props.functionName;
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    problems.push(
      `functionName: "${name}" is not a Lambda function name: 1 to 64 letters, digits, hyphens and underscores.`,
    );
  }
  const namespace = props.metricsNamespace;
  if (namespace !== undefined && !Token.isUnresolved(namespace) && !isMetricsNamespace(namespace.trim())) {
    problems.push(
      `metricsNamespace: "${namespace.slice(0, 40)}" is not a CloudWatch namespace the function may publish in: ` +
        `${METRICS_NAMESPACE_RULE}.`,
    );
  }
  const topicRegion = props.alertTopic?.env.region;
  if (
    topicRegion !== undefined &&
    !Token.isUnresolved(topicRegion) &&
    !Token.isUnresolved(stack.region) &&
    topicRegion !== stack.region
  ) {
    problems.push(
      `alertTopic: the topic is in region ${topicRegion} but the alarms are in ${stack.region}: CloudWatch ` +
        'alarms notify topics of their own region only.',
    );
  }
  return problems;
}

/** The function needs subnets to run in, and a public one gives it no route out (it gets no public IP address). */
function subnetProblems(vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined): string[] {
  let selected: ec2.SelectedSubnets;
  try {
    selected = vpc.selectSubnets(selection);
  } catch (error) {
    return [`vpcSubnets: ${(error as Error).message}`];
  }
  if (selected.hasPublic) {
    return [
      'vpcSubnets: the selection includes public subnets, where the function gets no public IP address and so ' +
        'no route to Factify: choose private subnets with a NAT gateway (SubnetType.PRIVATE_WITH_EGRESS).',
    ];
  }
  if (selected.subnetIds.length === 0) return ['vpcSubnets: the selection holds no subnet of the VPC.'];
  return [];
}

/** The function can only reach secrets and keys in its own account and region. */
function environmentProblems(items: readonly { what: string; env: Arn }[], stack: Stack): string[] {
  const first = items[0];
  if (!first) return [];
  const region = Token.isUnresolved(stack.region) ? first.env.region : stack.region;
  const account = Token.isUnresolved(stack.account) ? first.env.account : stack.account;
  return items
    .filter(({ env }) => env.region !== region || env.account !== account)
    .map(
      ({ what, env }) =>
        `${what} is in account ${env.account}, region ${env.region}, but the function deploys to account ` +
        `${account}, region ${region}: a rotation function serves secrets of its own account and region only.`,
    );
}

function revokeGraceProblem(grace: Duration): string | undefined {
  if (isRevokeGraceSeconds(grace.toMilliseconds({ integral: false }) / 1000)) return undefined;
  return (
    `revokeGracePeriod: give whole seconds from 0 (revoke at once) to ${MAX_REVOKE_GRACE_DAYS} days, ` +
    `got ${grace.toHumanString()}.`
  );
}

function apiUrlProblem(value: string): string | undefined {
  const checked = checkFactifyApiUrl(value, { loopbackHttp: false });
  if ('url' in checked) return undefined;
  return `factifyApiUrl: ${checked.problem}. Set it to the Factify API base URL, e.g. ${DEFAULT_FACTIFY_API_URL}.`;
}
