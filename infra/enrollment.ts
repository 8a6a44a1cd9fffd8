import { type Duration, Names, Stack, Token } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CfnRotationSchedule } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import { secretArnProblem } from './arns.js';
import { FactifyKeyRotationConfigError } from './props-validation.js';
import { DEFAULT_ROTATION_SCHEDULE, type KeyRotationSchedule } from './rotation-schedule.js';
import { checkStackLimits } from './stack-limits.js';

/** When and how Secrets Manager rotates a secret: the same for the platform's `secrets` and for an enrollment. */
export interface RotationScheduleOptions {
  /**
   * When Secrets Manager rotates the secret.
   * @default KeyRotationSchedule.rate(Duration.days(30))
   */
  readonly rotationSchedule?: KeyRotationSchedule;
  /**
   * How long after the scheduled time Secrets Manager may start a rotation (1 to 24 whole hours). It must not
   * run into the next window or the next UTC day.
   * @default - Secrets Manager's default: one hour for schedules in hours, the rest of the UTC day otherwise
   */
  readonly rotationWindow?: Duration;
  /**
   * Whether Secrets Manager rotates the secret as soon as a deployment creates or changes its schedule. With
   * `false` it only checks the configuration by running the function's testSecret step.
   * @default false
   */
  readonly rotateImmediatelyOnUpdate?: boolean;
}

/** Properties of {@link FactifyKeyRotationEnrollment}. */
export interface FactifyKeyRotationEnrollmentProps extends RotationScheduleOptions {
  /**
   * The secret that holds a Factify key, in the rotation function's account and region, imported with its
   * complete ARN (e.g. `Secret.fromSecretCompleteArn`) or defined in this app.
   */
  readonly secret: secretsmanager.ISecret;
  /**
   * The ARN of the platform's rotation function (`FactifyKeyRotation.rotationFunction.functionArn`), e.g. from
   * the platform stack's output or an SSM parameter.
   */
  readonly rotationFunctionArn: string;
}

// An unqualified Lambda function ARN: Secrets Manager invokes exactly the ARN the schedule names, and the
// function's IAM (AllowRotationLambdaArn) names the unqualified one.
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}$/;

/**
 * Puts one secret on the platform's rotation function, from the stack where the secret lives: it creates the
 * secret's rotation schedule and nothing else. The platform (`FactifyKeyRotation`) already lets Secrets Manager
 * invoke the function for any secret of its account, lets the function act on exactly the secrets whose rotation
 * names it, and audits and alarms on them all, so enrolling a secret adds no permission, policy or alarm.
 */
export class FactifyKeyRotationEnrollment extends Construct {
  /** The secret's rotation schedule. */
  readonly rotationSchedule: CfnRotationSchedule;

  constructor(scope: Construct, id: string, props: FactifyKeyRotationEnrollmentProps) {
    super(scope, id);
    const problems: string[] = [];
    const secretArn = props.secret.secretFullArn;
    if (secretArn === undefined) {
      problems.push(
        `secret (${props.secret.node.path}) was imported without its complete ARN: import it with ` +
          'Secret.fromSecretCompleteArn so that the schedule names exactly that secret.',
      );
    } else if (!Token.isUnresolved(secretArn)) {
      const problem = secretArnProblem(secretArn, 'secret');
      if (problem) problems.push(problem);
    }
    const functionArn = props.rotationFunctionArn;
    if (!Token.isUnresolved(functionArn) && !FUNCTION_ARN.test(functionArn)) {
      problems.push(
        `rotationFunctionArn: "${functionArn}" is not an unqualified Lambda function ARN ` +
          '(arn:aws:lambda:<region>:<account>:function:<name>, no version or alias): pass the platform ' +
          "stack's RotationFunctionArn output.",
      );
    }
    problems.push(...scheduleProblems(props));
    if (problems.length > 0) throw new FactifyKeyRotationConfigError(problems);
    this.rotationSchedule = createRotationSchedule(this, 'Schedule', {
      ...props,
      secretArn: secretArn as string,
      rotationFunctionArn: functionArn,
    });
    const platform = prerequisites.get(functionArn);
    if (platform?.stack === Stack.of(this)) {
      for (const resource of platform.resources) this.rotationSchedule.node.addDependency(resource);
    }
    checkStackLimits(this);
  }
}

/**
 * What a rotation schedule must wait for, per rotation function ARN (the token of a platform in this app):
 * Secrets Manager tests the configuration (and may rotate) as soon as the schedule exists, so the function must
 * be invocable and allowed to rotate by then (the race aws-cdk PR #26512 fixed for the L2). Across stacks,
 * CloudFormation deploys the platform stack first; in the platform's own stack, the schedule depends on these.
 */
const prerequisites = new Map<
  string,
  { readonly stack: Stack; readonly resources: readonly IDependable[] }
>();

export function registerRotationPrerequisites(
  scope: Construct,
  functionArn: string,
  resources: readonly IDependable[],
): void {
  prerequisites.set(functionArn, { stack: Stack.of(scope), resources });
}

/** What is wrong with the schedule and its window, each message naming the fix. */
export function scheduleProblems(options: RotationScheduleOptions): string[] {
  return (options.rotationSchedule ?? DEFAULT_ROTATION_SCHEDULE).problems(options.rotationWindow);
}

/**
 * A secret's rotation schedule, the one resource each rotated secret costs. The L1 resource directly: the L2
 * (addRotationSchedule) has no cron or window, grants GetRandomPassword on "*", and adds an invoke permission
 * per secret. Only ScheduleExpression is set, never AutomaticallyAfterDays: Secrets Manager rejects the two
 * together.
 */
export function createRotationSchedule(
  scope: Construct,
  id: string,
  options: RotationScheduleOptions & { readonly secretArn: string; readonly rotationFunctionArn: string },
): CfnRotationSchedule {
  return new CfnRotationSchedule(scope, id, {
    secretId: options.secretArn,
    rotationLambdaArn: options.rotationFunctionArn,
    rotateImmediatelyOnUpdate: options.rotateImmediatelyOnUpdate ?? false,
    rotationRules: {
      scheduleExpression: (options.rotationSchedule ?? DEFAULT_ROTATION_SCHEDULE).expressionString,
      duration: options.rotationWindow && `${options.rotationWindow.toHours()}h`,
    },
  });
}

/**
 * The id of a secret's schedule follows the secret, not its position: a schedule recreated under a new logical
 * id is deleted after its replacement is created, which turns rotation off (cloudformation-coverage-roadmap#1813).
 */
export function scheduleId(secret: secretsmanager.ISecret): string {
  return `Schedule${Names.uniqueId(secret)}`;
}
