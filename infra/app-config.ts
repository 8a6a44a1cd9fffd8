import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseSecretArn } from '../lambda/settings/arn.js';
import {
  isRevokeGraceSeconds,
  MAX_REVOKE_GRACE_DAYS,
  MAX_REVOKE_GRACE_SECONDS,
} from '../lambda/settings/revoke-grace.js';
import { kmsKeyArnProblem, SECRET_ARN_EXAMPLE, secretArnProblem } from './arns.js';
import type { FactifyKeyRotationProps } from './factify-key-rotation.js';
import { FactifyKeyRotationConfigError, RETENTION_DAYS } from './props-validation.js';
import { KeyRotationSchedule } from './rotation-schedule.js';

/** The construct's props that the app reads from context and passes on as they are. */
export type AppProps = Pick<
  FactifyKeyRotationProps,
  | 'rotationSchedule'
  | 'rotationWindow'
  | 'rotateImmediatelyOnUpdate'
  | 'revokeGracePeriod'
  | 'factifyApiUrl'
  | 'alertEmail'
  | 'logRetention'
>;

/**
 * The app's settings, read from CDK context (`-c key=value` or cdk.json): the construct's props (the secrets
 * and the KMS key as ARNs, which the app imports) and where the stack goes.
 */
export interface AppConfig extends AppProps {
  readonly stackName: string;
  /** Where the stack deploys: the account and region of the secrets. */
  readonly env: { readonly account: string; readonly region: string };
  readonly secretArns: readonly string[];
  readonly adminSecretArn?: string;
  readonly kmsKeyArn?: string;
}

export const DEFAULT_STACK_NAME = 'FactifyKeyRotation';

/**
 * Reads and checks the context values. `get` is `app.node.tryGetContext`: values from `-c` are strings, values
 * from cdk.json may be JSON (a list of ARNs, a boolean, a number).
 * @throws FactifyKeyRotationConfigError listing every problem, with the command that fixes a missing secretArns
 */
export function readAppConfig(get: (key: string) => unknown): AppConfig {
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const value = get(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value.trim() || undefined;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    problems.push(`${key}: expected a string, got ${JSON.stringify(value)}.`);
    return undefined;
  };

  const rawArns = get('secretArns');
  const secretArns = (Array.isArray(rawArns) ? rawArns.map(String) : (text('secretArns') ?? '').split(','))
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
  if (secretArns.length === 0) {
    problems.push(
      'secretArns is missing: pass the complete ARNs of the secrets to rotate, comma-separated, e.g.\n' +
        `      npx cdk deploy -c secretArns=${SECRET_ARN_EXAMPLE}[,<arn>...]`,
    );
  }
  secretArns.forEach((arn, index) => {
    const problem = secretArnProblem(arn, `secretArns[${index}]`);
    if (problem) problems.push(problem);
    if (secretArns.indexOf(arn) !== index) problems.push(`secretArns: ${arn} is listed more than once.`);
  });

  const adminSecretArn = text('adminSecretArn');
  const adminProblem = adminSecretArn && secretArnProblem(adminSecretArn, 'adminSecretArn');
  if (adminProblem) problems.push(adminProblem);
  const kmsKeyArn = text('kmsKeyArn');
  const kmsProblem = kmsKeyArn && kmsKeyArnProblem(kmsKeyArn, 'kmsKeyArn');
  if (kmsProblem) problems.push(kmsProblem);

  const scheduleText = text('rotationSchedule');
  const windowText = text('rotationWindow');
  const window = windowText === undefined ? undefined : /^(\d{1,2})h$/.exec(windowText);
  if (windowText !== undefined && !window) {
    problems.push(`rotationWindow: "${windowText}" is not a number of hours like 3h.`);
  }
  const rotateText = text('rotateImmediatelyOnUpdate');
  if (rotateText !== undefined && rotateText !== 'true' && rotateText !== 'false') {
    problems.push(`rotateImmediatelyOnUpdate: give true or false, got "${rotateText}".`);
  }
  const graceText = text('revokeGraceSeconds');
  const graceSeconds = graceText === undefined ? undefined : Number(graceText);
  if (graceText !== undefined && !(/^\d+$/.test(graceText) && isRevokeGraceSeconds(Number(graceText)))) {
    problems.push(
      `revokeGraceSeconds: give a whole number of seconds from 0 (revoke at once) to ${MAX_REVOKE_GRACE_SECONDS} ` +
        `(${MAX_REVOKE_GRACE_DAYS} days), got "${graceText}".`,
    );
  }
  const retentionText = text('logRetentionDays');
  const retention = retentionText === undefined ? undefined : Number(retentionText);
  if (retention !== undefined && !RETENTION_DAYS.has(retention)) {
    problems.push(
      `logRetentionDays: CloudWatch Logs accepts ${[...RETENTION_DAYS].join(', ')} (9999 = never expire), got "${retentionText}".`,
    );
  }

  if (problems.length > 0) throw new FactifyKeyRotationConfigError(problems);
  // The stack goes where the secrets are: a rotation function serves its own account and region only.
  const { account, region } = parseSecretArn(secretArns[0] as string) as { account: string; region: string };
  return {
    stackName: text('stackName') ?? DEFAULT_STACK_NAME,
    env: { account, region },
    secretArns,
    adminSecretArn,
    kmsKeyArn,
    rotationSchedule:
      scheduleText === undefined ? undefined : KeyRotationSchedule.fromExpression(scheduleText),
    rotationWindow: window ? Duration.hours(Number(window[1])) : undefined,
    rotateImmediatelyOnUpdate: rotateText === undefined ? undefined : rotateText === 'true',
    revokeGracePeriod: graceSeconds === undefined ? undefined : Duration.seconds(graceSeconds),
    factifyApiUrl: text('factifyApiUrl'),
    alertEmail: text('alertEmail'),
    logRetention: retention as RetentionDays | undefined,
  };
}
