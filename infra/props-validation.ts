import { existsSync } from 'node:fs';
import { type Duration, Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type Arn, parseKmsKeyArn, parseSecretArn } from '../lambda/settings/arn.js';
import { isMetricsNamespace } from '../lambda/settings/config.js';
import { checkFactifyApiUrl, DEFAULT_FACTIFY_API_URL } from '../lambda/settings/factify-api-url.js';
import { isRevokeGraceSeconds, MAX_REVOKE_GRACE_DAYS } from '../lambda/settings/revoke-grace.js';
import { kmsKeyArnProblem, secretArnProblem } from './arns.js';
import type { FactifyKeyRotationProps } from './factify-key-rotation.js';
import { DEFAULT_ROTATION_SCHEDULE } from './rotation-schedule.js';

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
  secrets.forEach((secret, index) => {
    checkSecret(secret, `secrets[${index}]`);
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
    if (Token.isUnresolved(key.keyArn)) continue;
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
        '1 to 255 printable ASCII characters, not starting with ":" or "AWS/".',
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
