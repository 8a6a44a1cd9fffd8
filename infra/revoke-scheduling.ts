import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { LEGACY_REVOKE_SCHEDULE_GROUP, REVOKE_SCHEDULE_PREFIX } from '../lambda/keys/revocation-schedule.js';

const SCHEDULER = 'scheduler.amazonaws.com';

/**
 * The role EventBridge Scheduler assumes to invoke the function when a grace period is over. Only schedules of
 * this account's default group may use it (confused deputy): EventBridge Scheduler sets `aws:SourceArn` to the
 * schedule group's ARN, never to a schedule's, so the group is the narrowest source the trust policy can name.
 * Its one permission, invoking the function, is added by {@link allowInvoke} once the function exists.
 */
export function createRevokeSchedulerRole(scope: Construct, id: string): iam.Role {
  const stack = Stack.of(scope);
  return new iam.Role(scope, id, {
    description:
      'Lets EventBridge Scheduler invoke the Factify key rotation function to revoke replaced keys',
    assumedBy: new iam.ServicePrincipal(SCHEDULER, {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: {
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: LEGACY_REVOKE_SCHEDULE_GROUP,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        },
      },
    }),
  });
}

/**
 * Lets the scheduler role invoke the function and nothing else. The unqualified ARN only: the schedules target
 * the ARN the function was invoked by, and Secrets Manager invokes the unqualified RotationLambdaARN. The
 * statement goes in the role's default policy, a resource of its own: the function's environment names the
 * role, so the role itself cannot name the function.
 */
export function allowInvoke(role: iam.Role, functionArn: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'InvokeTheRotationFunction',
      actions: ['lambda:InvokeFunction'],
      resources: [functionArn],
    }),
  );
}

/** The function's permissions to create and delete its revocation schedules and hand them the scheduler role. */
export function revokeSchedulingStatements(scope: Construct, role: iam.IRole): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ScheduleRevocations',
      // GetSchedule: a scheduled revocation sent before its schedule's time is refused.
      actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
      resources: [revokeScheduleArnPattern(scope)],
    }),
    new iam.PolicyStatement({
      sid: 'PassTheSchedulerRole',
      actions: ['iam:PassRole'],
      resources: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER } },
    }),
  ];
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for the schedule name wildcard, and for that resource only,
 * on the policy that grants it: any other wildcard in the policy still fails the synth.
 */
export function acknowledgeScheduleWildcard(policy: iam.Policy): void {
  const resource = nagResourceName(Stack.of(policy).resolve(revokeScheduleArnPattern(policy)));
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${resource}]`,
    reason:
      'The function creates one revocation schedule per replaced secret version at run time, named ' +
      `${REVOKE_SCHEDULE_PREFIX}<secret tag>-<digest of the version id>, so the names are unknown at deploy time; the name ` +
      `prefix in the ${LEGACY_REVOKE_SCHEDULE_GROUP} group of this account and region is the narrowest scope IAM can ` +
      'express. The actions are only CreateSchedule, DeleteSchedule and GetSchedule (to refuse a revocation sent ' +
      'before its time, and for the daily audit), ' +
      'and a schedule can do no more than the ' +
      "role it is given: iam:PassRole is limited to this construct's scheduler role, passed to EventBridge " +
      'Scheduler only, and that role may only invoke this function, whose revoke event refuses any key that ' +
      'AWSCURRENT or AWSPENDING of its secrets holds.',
  });
}

/** `arn:<partition>:scheduler:<region>:<account>:schedule/<group>/<prefix>*`: the function's revocation schedules. */
export function revokeScheduleArnPattern(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'scheduler',
    resource: 'schedule',
    resourceName: `${LEGACY_REVOKE_SCHEDULE_GROUP}/${REVOKE_SCHEDULE_PREFIX}*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * A resolved resource the way cdk-nag names it in a finding id: strings as they are, `{"Ref": X}` as `<X>`,
 * `Fn::Join` joined. (An environment-agnostic stack's ARN is a join of pseudo-parameter references.)
 */
function nagResourceName(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value !== null && typeof value === 'object') {
    if ('Ref' in value) return `<${nagResourceName(value.Ref)}>`;
    if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
      const [delimiter, parts] = value['Fn::Join'] as [string, unknown[]];
      return parts.map(nagResourceName).join(delimiter);
    }
  }
  return JSON.stringify(value);
}
