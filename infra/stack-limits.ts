import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** CloudFormation's limit on the resources of one stack. */
export const MAX_STACK_RESOURCES = 500;
/** What CDK adds to each stack at synth besides the app's resources: the AWS::CDK::Metadata resource. */
const SYNTH_RESOURCES = 1;
/** The resources that grow with the rotated secrets a stack holds: their schedules and their opt-in alarms. */
const SCHEDULE_TYPE = 'AWS::SecretsManager::RotationSchedule';
/** The resources a secret costs besides its schedule (its opt-in alarms), marked where they are made. */
const perSecretExtras = new WeakSet<IConstruct>();

export function markPerSecretResource(resource: IConstruct): void {
  perSecretExtras.add(resource);
}

const checked = new WeakSet<Stack>();

/**
 * Checks at synth that the stack of `scope` fits CloudFormation's resource limit, once per stack. What grows with
 * the secrets a stack lists or enrolls is their rotation schedules (and the opt-in per-secret alarms); the rest
 * of the platform is constant (its IAM policies, permissions and alarms do not grow), so this is the one limit
 * they can reach. The message says how many secrets fit and what to do.
 */
export function checkStackLimits(scope: IConstruct): void {
  const stack = Stack.of(scope);
  if (checked.has(stack)) return;
  checked.add(stack);
  stack.node.addValidation({ validate: () => stackLimitProblems(stack) });
}

export function stackLimitProblems(stack: Stack): string[] {
  const resources = stack.node
    .findAll()
    .filter((construct): construct is CfnResource => CfnResource.isCfnResource(construct))
    .filter((resource) => Stack.of(resource) === stack);
  const total = resources.length + SYNTH_RESOURCES;
  if (total <= MAX_STACK_RESOURCES) return [];
  const schedules = resources.filter((resource) => resource.cfnResourceType === SCHEDULE_TYPE).length;
  const alarms = resources.filter((resource) => perSecretExtras.has(resource));
  const perSecret = schedules === 0 ? 1 : (schedules + alarms.length) / schedules;
  const others = total - schedules - alarms.length;
  const fit = Math.max(0, Math.floor((MAX_STACK_RESOURCES - others) / perSecret));
  return [
    `Stack ${stack.stackName} would hold ${total} resources, over CloudFormation's limit of ${MAX_STACK_RESOURCES}. ` +
      `Its ${schedules} rotated secrets cost ${perSecret} resource(s) each (a rotation schedule` +
      `${alarms.length > 0 ? ', and 5 alarms with perSecretAlarms' : ''}); beside its ${others} other resources ` +
      `at most ${fit} fit in this stack. Enroll the others with FactifyKeyRotationEnrollment from the stacks where ` +
      'the secrets live (one schedule each, no permission or alarm: see docs/deploying.md, "Running hundreds of ' +
      'secrets")' +
      (alarms.length > 0 ? ', and leave perSecretAlarms off: the fleet alarms cover every secret.' : '.'),
  ];
}
