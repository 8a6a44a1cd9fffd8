import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// The group and the name prefix of the schedules that versions before the construct's own group created: the
// function still finds those (a pending one is honoured) and deletes them, but creates none there.
import { LEGACY_REVOKE_SCHEDULE_GROUP, REVOKE_SCHEDULE_PREFIX } from '../lambda/keys/revocation-schedule.js';

const SCHEDULER = 'scheduler.amazonaws.com';

/** Properties of {@link RevokeScheduling}. */
export interface RevokeSchedulingProps {
  /** Whether the function schedules revocations (a grace period): only then is there a scheduler role. */
  readonly schedulesRevocations: boolean;
}

/**
 * The revocation schedules of one construct: a schedule group of its own (deleting the stack deletes the group,
 * and EventBridge Scheduler deletes every schedule in a deleted group), the dead-letter queue each schedule
 * names for an invocation that failed every retry and, with a grace period, the role the schedules invoke the
 * function with. The group and the queue exist without a grace period too: they cost nothing, and a schedule
 * still pending when the grace is turned off keeps its group and its record of failure.
 */
export class RevokeScheduling extends Construct {
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** Receives a scheduled revocation that EventBridge Scheduler could not deliver (an alarm watches it). */
  readonly deadLetterQueue: sqs.Queue;
  /**
   * The role EventBridge Scheduler assumes to invoke the function. Only schedules of this construct's group may
   * assume it (confused deputy): Scheduler sets `aws:SourceArn` to the schedule group's ARN, never to a
   * schedule's, so the group is the narrowest source the trust policy can name.
   */
  readonly role?: iam.Role;

  constructor(scope: Construct, id: string, props: RevokeSchedulingProps) {
    super(scope, id);
    // No name: CloudFormation generates one unique in the account, so two deployments never share a group.
    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'Group');
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the revocation schedules: an operator reads its messages (an ' +
        'alarm says when there is one) and runs factify-rotation recover; nothing consumes them.',
    });
    if (!props.schedulesRevocations) return;
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description:
        'Lets EventBridge Scheduler invoke the Factify key rotation function to revoke replaced keys',
      assumedBy: new iam.ServicePrincipal(SCHEDULER, {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.scheduleGroup.attrArn },
        },
      }),
    });
  }

  /** The group's name, which the function creates its schedules in (`REVOKE_SCHEDULE_GROUP`). */
  get groupName(): string {
    return this.scheduleGroup.ref;
  }

  /**
   * Lets the scheduler role invoke the function and nothing else, and dead-letter what it could not deliver.
   * The unqualified ARN only: the schedules target the ARN the function was invoked by, and Secrets Manager
   * invokes the unqualified RotationLambdaARN. The statements go in the role's default policy, a resource of its
   * own: the function's environment names the role, so the role itself cannot name the function.
   */
  allowInvoke(role: iam.Role, functionArn: string): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeTheRotationFunction',
        actions: ['lambda:InvokeFunction'],
        resources: [functionArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeadLetterUndeliveredRevocations',
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
  }

  /**
   * The function's permissions: create, read and delete schedules in its own group only, hand them the scheduler
   * role only, and find and delete (never create) the schedules today's main left in the default group.
   */
  functionStatements(role: iam.IRole): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'ScheduleRevocations',
        actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
        resources: [this.scheduleArnPattern()],
      }),
      new iam.PolicyStatement({
        sid: 'FindLegacyRevocationSchedules',
        actions: ['scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
        resources: [legacyRevokeScheduleArnPattern(this)],
      }),
      new iam.PolicyStatement({
        sid: 'PassTheSchedulerRole',
        actions: ['iam:PassRole'],
        resources: [role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER } },
      }),
    ];
  }

  /** `arn:<partition>:scheduler:<region>:<account>:schedule/<own group>/*` */
  scheduleArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.groupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * Acknowledges cdk-nag's AwsSolutions-IAM5 findings for the schedule name wildcards, and for those resources
   * only, on the policy that grants them: any other wildcard in the policy still fails the synth.
   */
  acknowledgeScheduleWildcards(policy: iam.Policy): void {
    const stack = Stack.of(policy);
    for (const pattern of [this.scheduleArnPattern(), legacyRevokeScheduleArnPattern(this)]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(stack.resolve(pattern))}]`,
        reason:
          'The function creates one revocation schedule per replaced secret version at run time, so the names ' +
          "are unknown at deploy time: the construct's own schedule group (and, to find and delete only, the " +
          `${REVOKE_SCHEDULE_PREFIX} prefix that older versions used in the default group) is the ` +
          'narrowest scope IAM can express. A schedule can do no more than the role it is given: iam:PassRole is ' +
          "limited to this construct's scheduler role, passed to EventBridge Scheduler only, and that role may " +
          'only invoke this function, whose revoke event refuses any key that AWSCURRENT or AWSPENDING holds.',
      });
    }
  }
}

/**
 * The scheduler role of the release before schedule groups, kept as it was: the revocation schedules that
 * release made in the account's default group name it by its ARN, and are honoured only if it still exists
 * when they run (up to the longest grace, 365 days, after the upgrade). Its id, hence its name, and its trust
 * are unchanged (schedules of the default group, this account); it may only invoke the function. The function
 * passes it to no schedule: new schedules get the role of the construct's own group.
 */
export function earlierReleaseSchedulerRole(scope: Construct, functionArn: string): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'RevokeSchedulerRole', {
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
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'InvokeTheRotationFunction',
      actions: ['lambda:InvokeFunction'],
      resources: [functionArn],
    }),
  );
  return role;
}

/** `arn:<partition>:scheduler:<region>:<account>:schedule/default/fkr-revoke-*` */
export function legacyRevokeScheduleArnPattern(scope: Construct): string {
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
export function nagResourceName(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value !== null && typeof value === 'object') {
    if ('Ref' in value) return `<${nagResourceName(value.Ref)}>`;
    if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) {
      return `<${(value['Fn::GetAtt'] as string[]).join('.')}>`;
    }
    if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
      const [delimiter, parts] = value['Fn::Join'] as [string, unknown[]];
      return parts.map(nagResourceName).join(delimiter);
    }
  }
  return JSON.stringify(value);
}
