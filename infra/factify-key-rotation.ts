import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IDependable } from 'constructs';
import { DEFAULT_FACTIFY_API_URL } from '../lambda/settings/factify-api-url.js';
import { DEFAULT_METRICS_NAMESPACE } from '../lambda/telemetry/metrics.js';
import {
  createRotationSchedule,
  type RotationScheduleOptions,
  registerRotationPrerequisites,
  scheduleId,
} from './enrollment.js';
import { RotationMonitoring } from './monitoring.js';
import {
  acknowledgeRuntime,
  DEFAULT_RUNTIME,
  FactifyKeyRotationConfigError,
  laterScheduleProblems,
  propsProblems,
  propsWarnings,
} from './props-validation.js';
import { earlierReleaseSchedulerRole, nagResourceName, RevokeScheduling } from './revoke-scheduling.js';
import { DEFAULT_ROTATION_SCHEDULE } from './rotation-schedule.js';
import { createSealKey, listOtherSecrets } from './seal-key.js';
import { checkStackLimits } from './stack-limits.js';

export { FactifyKeyRotationConfigError } from './props-validation.js';

/** The directory `npm run build` writes the function's bundle (index.mjs and its source map) to. */
export const BUNDLE_DIR = fileURLToPath(new URL('../dist/lambda', import.meta.url));

const ALARM_PERIOD = Duration.minutes(5);
/** Where the alarm descriptions point by default: what to do for each alarm. */
const RUNBOOK = 'docs/operating.md#alarms of the factify-key-rotation package';

/** Properties of {@link FactifyKeyRotation}. */
export interface FactifyKeyRotationProps extends RotationScheduleOptions {
  /**
   * A convenience for small fleets: existing secrets that hold Factify keys, each of which gets a rotation
   * schedule in this stack (one resource each, nothing else: about 450 fit in one stack). Each must carry its
   * complete ARN (with the six-character suffix), e.g. from `Secret.fromSecretCompleteArn`, and live in the
   * stack's account and region. For a fleet, enroll each secret from the stack where it lives with
   * `FactifyKeyRotationEnrollment` instead. `rotationSchedule`, `rotationWindow` and `rotateImmediatelyOnUpdate`
   * apply to these schedules.
   * @default - none: secrets are enrolled from other stacks
   */
  readonly secrets?: readonly secretsmanager.ISecret[];

  /**
   * Only secrets whose name starts with this prefix may be rotated: it narrows Secrets Manager's permission to
   * invoke the function (SourceArn), the function's IAM and the failure alerts to `secret:<prefix>*`.
   * @default - any secret of the stack's account and region whose rotation is configured to use this function
   */
  readonly secretNamePrefix?: string;

  /**
   * Five alarms per listed secret (`secrets`) besides the fleet's: overdue, current key not active, stuck,
   * near the key limit, replaced key not revoked. For small fleets: each costs $0.10 a month, and the fleet
   * alarms already cover every secret the function rotates, enrolled or listed.
   * @default false
   */
  readonly perSecretAlarms?: boolean;

  /**
   * Where the alarm descriptions send the operator for what to do: your runbook's URL.
   * @default - the package's docs/operating.md
   */
  readonly runbookUrl?: string;

  /**
   * How long a replaced key stays valid after its successor becomes AWSCURRENT, so that consumers still holding
   * it in a cache keep working: whole seconds, up to 365 days (`REVOKE_GRACE_SECONDS`). Longer than zero, the
   * function schedules each revocation with EventBridge Scheduler, through a role that may only invoke it.
   * Keep it longer than your consumers' cache lifetime, and no longer than the rotation interval.
   * @default Duration.seconds(0): the replaced key is revoked at once, in finishSecret
   */
  readonly revokeGracePeriod?: Duration;

  /**
   * The Factify API base URL the function calls (`FACTIFY_API_URL`): https, path ending in `/v1`.
   * @default 'https://api.factify.com/v1'
   */
  readonly factifyApiUrl?: string;

  /**
   * A secret holding a Factify admin key that creates and revokes keys on behalf of the rotated ones
   * (`FACTIFY_ADMIN_SECRET_ID`). The function may only read it. Import it by complete ARN.
   * @default - no admin secret: each rotated key manages its own replacement
   */
  readonly adminSecret?: secretsmanager.ISecret;

  /**
   * The customer-managed KMS keys that encrypt the secrets (and the admin secret), granted per key, not per
   * secret: the function may use them only through Secrets Manager, for secrets of this account and region
   * (and `secretNamePrefix`); Secrets Manager lets it reach only the secrets whose rotation names it.
   * @default - the secrets use the AWS managed key aws/secretsmanager, which needs no grant
   */
  readonly encryptionKeys?: readonly kms.IKey[];

  /**
   * One customer-managed KMS key that encrypts the secrets.
   * @deprecated use `encryptionKeys`
   * @default - none
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The function's timeout, at least 60 seconds: testSecret alone may wait about 30 seconds for a new key to
   * propagate, on top of its Factify and Secrets Manager calls. The default gives that worst case twice its time.
   * @default Duration.seconds(90)
   */
  readonly timeout?: Duration;

  /**
   * The function's memory in MB (128 to 10240); Lambda gives it CPU in proportion. A rotation peaks at
   * about 70 MB RSS, a warm container about 100 MB after six rotations; the README's
   * "Timeout and memory" says how to measure them.
   * @default 256
   */
  readonly memorySize?: number;

  /**
   * The function's Lambda runtime: one its bundle is tested on (the end-to-end tests run it on Node.js 22 and
   * 24). A newer Node.js runtime that aws-cdk-lib knows is refused until the bundle is tested on it.
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How long the function's log group keeps its logs: a value CloudWatch Logs offers.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * An email address subscribed to the alert topic. AWS emails it a confirmation link first.
   * @default - no subscription: subscribe to `alertTopic` yourself
   */
  readonly alertEmail?: string;

  /**
   * An existing SNS topic for the alerts, in the stack's region, instead of a new encrypted one. A topic defined
   * in the same CDK app gets the policy statements that let the rule and the alarms publish; for an imported
   * topic, allow `events.amazonaws.com` (source: `rotationFailedRule`) and `cloudwatch.amazonaws.com` (source:
   * the alarms) to publish yourself, and, if a customer-managed key encrypts it, to use that key.
   * @default - a new topic encrypted with a new KMS key
   */
  readonly alertTopic?: sns.ITopic;

  /**
   * Runs the function in this VPC. It then needs HTTPS (TCP 443) egress to Factify (`factifyApiUrl`), usually
   * through a NAT gateway, and to Secrets Manager and, with a grace period, EventBridge Scheduler, through
   * interface VPC endpoints or the NAT gateway.
   * @default - the function runs outside any VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` the function runs. Public subnets are refused: a function there has no public IP address.
   * @default - the VPC's private subnets with egress, else its isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The function's security groups in `vpc`; they must allow HTTPS out to Factify and the AWS endpoints.
   * @default - a new security group that allows only HTTPS (TCP 443) out and nothing in
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];

  /**
   * Caps how many instances of the function run at once, and reserves them. Secrets Manager's documentation
   * warns that fewer than 10 can throttle rotation; a throttled step fails and Secrets Manager retries it.
   * @default - no reservation: the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * The function's name (1 to 64 letters, digits, hyphens and underscores), e.g. to follow a naming rule.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;

  /**
   * A permissions boundary for every IAM role the construct creates (the function's role and, with a grace
   * period, the scheduler role).
   * @default - no permissions boundary
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;

  /**
   * The CloudWatch namespace of the function's metrics (`METRICS_NAMESPACE`), which the alarms and the dashboard
   * read.
   * @default 'FactifyKeyRotation'
   */
  readonly metricsNamespace?: string;
}

/**
 * The platform that rotates Factify API keys held in Secrets Manager secrets, the same for one secret or ten
 * thousand: the rotation function and its role, one permission that lets Secrets Manager invoke it for any secret
 * of its account, IAM that lets it act only on secrets whose rotation is configured to use it, a schedule group of
 * its own for delayed revocations, the queues where failed invocations end up, a fixed set of fleet alarms and a
 * dashboard. Secrets join it with `FactifyKeyRotationEnrollment` in their own stacks, or through `secrets` here.
 * No key value ever passes through the CloudFormation template.
 */
export class FactifyKeyRotation extends Construct {
  /** The rotation function, deployed from the `npm run build` bundle as is. */
  readonly rotationFunction: lambda.Function;
  /** The function's execution role; its log permissions sit in the role's default policy. */
  readonly role: iam.Role;
  /** The KMS HMAC key the function seals the values it writes with; only the function's role may GenerateMac. */
  readonly sealKey: kms.Key;
  /** The function's log group (JSON logs). */
  readonly logGroup: logs.LogGroup;
  /**
   * What the function may do to the secrets that name it as their rotation function, the admin secret, the KMS
   * keys, itself and, with a grace period, its revocation schedules. Its size does not depend on the secrets.
   */
  readonly rotationPolicy: iam.Policy;
  /**
   * Lets the audit list the account's secrets to find those it rotates: ListSecrets supports no resource, so it
   * sits in a policy of its own, which alone carries the acknowledgement of its "*".
   */
  readonly findSecretsPolicy: iam.Policy;
  /** The revocation schedules' group of this construct's own, and their dead-letter queue. */
  readonly revokeScheduling: RevokeScheduling;
  /**
   * With a grace period only: the role EventBridge Scheduler assumes to invoke the function when a replaced key's
   * grace is over. Only schedules of this construct's group may assume it, and it may only invoke the function
   * (and dead-letter what it could not deliver).
   */
  readonly revokeSchedulerRole?: iam.Role;
  /**
   * With a grace period only: the scheduler role of the release before schedule groups, unchanged, so that the
   * revocations it scheduled in the account's default group still run (they name it). It may only invoke the
   * function, and only schedules of the default group may assume it; the function passes it to no schedule.
   */
  readonly earlierReleaseSchedulerRole?: iam.Role;
  /**
   * Lets Secrets Manager invoke the function on behalf of this account (SourceAccount), for its secrets (or those
   * under `secretNamePrefix`): one permission for any number of secrets.
   */
  readonly invokePermission: lambda.CfnPermission;
  /** One rotation schedule per secret of `props.secrets`, in their order. */
  readonly rotationSchedules: readonly secretsmanager.CfnRotationSchedule[];
  /** Encrypts the alert topic the construct creates; absent with `props.alertTopic`. */
  readonly alertKey?: kms.Key;
  /** Receives every alert: rotation failures, function errors, undeliverable failure events. */
  readonly alertTopic: sns.ITopic;
  /** Forwards Secrets Manager's RotationFailed and TestRotationFailed events of the account's secrets. */
  readonly rotationFailedRule: events.Rule;
  /** Fires when the function reports an error (a failed step, a timeout, a bad manual invocation). */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** Fires when EventBridge cannot deliver a rotation-failure event to the topic. */
  readonly alertDeliveryAlarm: cloudwatch.Alarm;
  /**
   * Fires when CloudWatch Logs drops the function's embedded metrics (EMFValidationErrors of its log group): then
   * the audit's alarms see no data.
   */
  readonly metricsDroppedAlarm: cloudwatch.Alarm;
  /** The daily audit, the fleet alarms, the on-failure queue of asynchronous invocations, the dashboard. */
  readonly monitoring: RotationMonitoring;

  constructor(scope: Construct, id: string, props: FactifyKeyRotationProps) {
    super(scope, id);
    const problems = propsProblems(this, props, join(BUNDLE_DIR, 'index.mjs'));
    if (problems.length > 0) throw new FactifyKeyRotationConfigError(problems);
    for (const warning of propsWarnings(props))
      Annotations.of(this).addWarningV2(warning.id, warning.message);

    const secrets = props.secrets ?? [];
    const adminSecretArn = props.adminSecret && fullArn(props.adminSecret);
    const stack = Stack.of(this);
    // Every secret this function may be asked to rotate: the account's, or those under the prefix.
    const secretArnPattern = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${props.secretNamePrefix ?? ''}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the Factify key rotation function',
    });
    this.logGroup.grantWrite(this.role);
    this.sealKey = createSealKey(this, 'SealKey', this.role);
    // The audit finds its secrets with the same ListSecrets the revocation check uses: one policy for both.
    this.findSecretsPolicy = listOtherSecrets(this, this.role);
    const graceSeconds = props.revokeGracePeriod?.toSeconds() ?? 0;
    this.revokeScheduling = new RevokeScheduling(this, 'RevokeSchedules', {
      schedulesRevocations: graceSeconds > 0,
    });
    this.revokeSchedulerRole = this.revokeScheduling.role;
    const network = props.vpc && this.networkAccess(props.vpc, props);
    this.rotationFunction = new lambda.Function(this, 'Function', {
      description: 'Rotates Factify API keys held in Secrets Manager',
      runtime: props.runtime ?? DEFAULT_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      // The bundle the end-to-end tests run ships as is: no re-bundling here.
      code: lambda.Code.fromAsset(BUNDLE_DIR),
      handler: 'index.handler',
      role: this.role,
      timeout: props.timeout ?? Duration.seconds(90),
      memorySize: props.memorySize ?? 256,
      functionName: props.functionName,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: network?.securityGroups,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      logGroup: this.logGroup,
      environment: {
        FACTIFY_API_URL: props.factifyApiUrl ?? DEFAULT_FACTIFY_API_URL,
        ...(adminSecretArn ? { FACTIFY_ADMIN_SECRET_ID: adminSecretArn } : {}),
        ...(this.revokeSchedulerRole
          ? {
              REVOKE_GRACE_SECONDS: String(graceSeconds),
              REVOKE_SCHEDULER_ROLE_ARN: this.revokeSchedulerRole.roleArn,
              REVOKE_SCHEDULE_GROUP: this.revokeScheduling.groupName,
              REVOKE_SCHEDULE_DLQ_ARN: this.revokeScheduling.deadLetterQueue.queueArn,
            }
          : {}),
        METRICS_NAMESPACE: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
        FACTIFY_SEAL_KEY_ID: this.sealKey.keyArn,
        // Stack traces point into the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    acknowledgeRuntime(this.rotationFunction);
    // Lambda checks at creation that the role may create the function's network interfaces.
    if (network) this.rotationFunction.node.addDependency(network.policy);

    const keys = [...(props.encryptionKeys ?? []), ...(props.encryptionKey ? [props.encryptionKey] : [])];
    this.rotationPolicy = this.createRotationPolicy(secretArnPattern, adminSecretArn, keys);
    if (this.revokeSchedulerRole) {
      this.revokeScheduling.allowInvoke(this.revokeSchedulerRole, this.rotationFunction.functionArn);
      this.earlierReleaseSchedulerRole = earlierReleaseSchedulerRole(this, this.rotationFunction.functionArn);
    }
    this.invokePermission = this.allowSecretsManagerInvoke(props.secretNamePrefix && secretArnPattern);
    // An enrollment in this stack waits for the same resources as the schedules of `secrets`.
    registerRotationPrerequisites(this, this.rotationFunction.functionArn, this.schedulePrerequisites());
    this.rotationSchedules = secrets.map((secret) => this.scheduleRotation(secret, props));
    this.node.addValidation({ validate: () => laterScheduleProblems(this.rotationSchedules) });

    if (props.alertTopic) {
      this.alertTopic = props.alertTopic;
    } else {
      this.alertKey = new kms.Key(this, 'AlertKey', {
        description: 'Encrypts the Factify key rotation alert topic',
        enableKeyRotation: true,
        // SNS keeps no messages at rest, so nothing needs the key once the stack is gone.
        removalPolicy: RemovalPolicy.DESTROY,
        pendingWindow: Duration.days(7),
      });
      this.alertTopic = new sns.Topic(this, 'AlertTopic', {
        displayName: 'Factify key rotation alerts',
        masterKey: this.alertKey,
        enforceSSL: true,
      });
    }
    if (props.alertEmail)
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    this.rotationFailedRule = this.forwardRotationFailures(props.secretNamePrefix && secretArnPattern);
    this.errorsAlarm = this.alarm(
      'ErrorsAlarm',
      this.rotationFunction.metricErrors(),
      'The Factify key rotation function failed: a rotation step, a scheduled revocation or the audit. Its log ' +
        'group says which secret, step and why; factify-rotation status <secret> says what to do.',
    );
    this.alertDeliveryAlarm = this.alarm(
      'AlertDeliveryAlarm',
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'FailedInvocations',
        dimensionsMap: { RuleName: this.rotationFailedRule.ruleName },
      }),
      'EventBridge could not deliver a Factify key rotation failure to the alert topic.',
    );
    this.metricsDroppedAlarm = this.alarm(
      'MetricsDroppedAlarm',
      new cloudwatch.Metric({
        namespace: 'AWS/Logs',
        metricName: 'EMFValidationErrors',
        dimensionsMap: { LogGroupName: this.logGroup.logGroupName },
      }),
      "CloudWatch Logs could not extract the Factify key rotation function's embedded metrics from its log group " +
        '(EMFValidationErrors): the rotation and audit metrics, and the alarms on them, are missing. The ' +
        'function log group shows the lines; check the metrics namespace.',
    );
    this.monitoring = new RotationMonitoring(this, 'Monitoring', {
      rotationFunction: this.rotationFunction,
      rotationPolicy: this.rotationPolicy,
      alarmedSecrets: props.perSecretAlarms
        ? secrets.map((secret) => ({ construct: secret, name: secret.secretName }))
        : [],
      scheduleDeadLetterQueue: this.revokeScheduling.deadLetterQueue,
      alertTopic: this.alertTopic,
      metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
      scheduleExpression: (props.rotationSchedule ?? DEFAULT_ROTATION_SCHEDULE).expressionString,
      runbook: props.runbookUrl ?? RUNBOOK,
    });
    this.allowPublishers();
    if (props.permissionsBoundary) iam.PermissionsBoundary.of(this).apply(props.permissionsBoundary);
    checkStackLimits(this);
  }

  /**
   * The function's security groups (by default one that allows only HTTPS out) and the policy that lets Lambda
   * manage its network interfaces: the statement AWSLambdaVPCAccessExecutionRole holds, without the managed
   * policy cdk-nag refuses.
   */
  private networkAccess(
    vpc: ec2.IVpc,
    props: FactifyKeyRotationProps,
  ): { securityGroups: ec2.ISecurityGroup[]; policy: iam.Policy } {
    let securityGroups = props.securityGroups && [...props.securityGroups];
    if (!securityGroups) {
      const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc,
        description: 'Factify key rotation function: HTTPS out to Factify, Secrets Manager and Scheduler',
        allowAllOutbound: false,
      });
      group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Factify and the AWS APIs');
      securityGroups = [group];
    }
    const policy = new iam.Policy(this, 'NetworkInterfacePolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ManageTheFunctionsNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda creates, describes and deletes the network interfaces of a function in a VPC with its role; ' +
        'EC2 does not scope the Describe actions to a resource, and the interfaces do not exist before the ' +
        'function. The same statement as the AWS managed policy AWSLambdaVPCAccessExecutionRole, in a policy ' +
        'of its own so that this acknowledgement covers nothing else.',
    });
    return { securityGroups, policy };
  }

  /**
   * Everything the function does besides logging, the same size for any number of secrets. A Policy of its own
   * because it names the function's ARN: the function depends on its role's default policy, so a statement there
   * could not.
   *
   * Secrets Manager sets `secretsmanager:resource/AllowRotationLambdaArn` on a secret to the function its
   * rotation is configured with, and evaluates it for every action on a secret: the function may read and write
   * exactly the secrets that name it, and a secret rotated by another function, or by none, stays out of reach.
   * Whoever may configure a secret's rotation may put it on this function, which is what enrolling means: the
   * function then still only acts on keys that secret's own values prove it created.
   */
  private createRotationPolicy(
    secretArnPattern: string,
    adminSecretArn: string | undefined,
    keys: readonly kms.IKey[],
  ): iam.Policy {
    const functionArn = this.rotationFunction.functionArn;
    const rotatedByThisFunction = {
      ArnEquals: { 'secretsmanager:resource/AllowRotationLambdaArn': functionArn },
    };
    const statements = [
      new iam.PolicyStatement({
        sid: 'RotateTheSecretsThatNameThisFunction',
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          // The audit reads the versions' creation dates.
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [secretArnPattern],
        conditions: rotatedByThisFunction,
      }),
      // A manual invocation ({"SecretId": ...}) starts a rotation with RotateSecret, whose caller also needs
      // lambda:InvokeFunction on the rotation function. The request condition keeps it from pointing a secret at
      // any other function.
      new iam.PolicyStatement({
        sid: 'StartRotationOfTheSecrets',
        actions: ['secretsmanager:RotateSecret'],
        resources: [secretArnPattern],
        conditions: {
          ArnEquals: rotatedByThisFunction.ArnEquals,
          ArnEqualsIfExists: { 'secretsmanager:RotationLambdaARN': functionArn },
        },
      }),
      new iam.PolicyStatement({
        sid: 'InvokeItselfThroughRotateSecret',
        actions: ['lambda:InvokeFunction'],
        resources: [functionArn],
      }),
    ];
    if (adminSecretArn) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReadTheAdminSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [adminSecretArn],
        }),
      );
    }
    if (keys.length > 0) {
      // Secrets Manager calls KMS with the secret's ARN as encryption context, and on the function's behalf only
      // once its own authorization (above) let the call through.
      const via = { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` };
      const keyArns = keys.map((key) => key.keyArn);
      statements.push(
        new iam.PolicyStatement({
          sid: 'EncryptTheSecrets',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: keyArns,
          conditions: {
            StringEquals: via,
            StringLike: { 'kms:EncryptionContext:SecretARN': secretArnPattern },
          },
        }),
      );
      if (adminSecretArn) {
        statements.push(
          new iam.PolicyStatement({
            sid: 'DecryptTheAdminSecret',
            actions: ['kms:Decrypt'],
            resources: keyArns,
            conditions: { StringEquals: { ...via, 'kms:EncryptionContext:SecretARN': adminSecretArn } },
          }),
        );
      }
    }
    if (this.revokeSchedulerRole)
      statements.push(...this.revokeScheduling.functionStatements(this.revokeSchedulerRole));
    const policy = new iam.Policy(this, 'RotationPolicy', { roles: [this.role], statements });
    if (this.revokeSchedulerRole) this.revokeScheduling.acknowledgeScheduleWildcards(policy);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(Stack.of(this).resolve(secretArnPattern))}]`,
      reason:
        'The function serves secrets that are enrolled from other stacks and do not exist when it deploys; the ' +
        'condition secretsmanager:resource/AllowRotationLambdaArn limits every action to the secrets whose ' +
        'rotation is configured to use this function (AWS guidance for one function serving many secrets), and ' +
        'KMS use to calls Secrets Manager makes for secrets of this account.',
    });
    return policy;
  }

  /**
   * One permission for every secret, constant in size (AWS guidance for a rotation function serving many
   * secrets): SourceAccount keeps Secrets Manager from invoking it for another account's secret (confused
   * deputy), and `secretNamePrefix` narrows it to matching secrets. CDK's own grant (addRotationSchedule) lacks
   * SourceAccount and adds a permission per secret.
   */
  private allowSecretsManagerInvoke(sourceArn: string | undefined): lambda.CfnPermission {
    return new lambda.CfnPermission(this, 'SecretsManagerInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: this.rotationFunction.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: Stack.of(this).account,
      sourceArn,
    });
  }

  private scheduleRotation(
    secret: secretsmanager.ISecret,
    props: FactifyKeyRotationProps,
  ): secretsmanager.CfnRotationSchedule {
    const schedule = createRotationSchedule(this, scheduleId(secret), {
      ...props,
      secretArn: fullArn(secret),
      rotationFunctionArn: this.rotationFunction.functionArn,
    });
    for (const resource of this.schedulePrerequisites()) schedule.node.addDependency(resource);
    return schedule;
  }

  /**
   * Secrets Manager tests the configuration (and may rotate) as soon as a schedule exists: the function must be
   * invocable and allowed to rotate by then (the race aws-cdk PR #26512 fixed for the L2), and a revocation a
   * short grace schedules must find the scheduler role allowed to invoke it.
   */
  private schedulePrerequisites(): IDependable[] {
    return [
      this.invokePermission,
      this.rotationPolicy,
      ...(this.revokeSchedulerRole ? [this.revokeSchedulerRole] : []),
    ];
  }

  /**
   * Secrets Manager's failure events name the secret, not its rotation function: the rule forwards those of the
   * account's secrets (or of those under the prefix), whatever their number.
   */
  private forwardRotationFailures(secretArnPattern: string | undefined): events.Rule {
    const rule = new events.Rule(this, 'RotationFailedRule', {
      description: 'Secrets Manager could not rotate a secret',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationFailed', 'TestRotationFailed'],
          ...(secretArnPattern
            ? { additionalEventData: { SecretId: [{ prefix: secretArnPattern.replace(/\*$/, '') }] } }
            : {}),
        },
      },
    });
    // Not targets.SnsTopic: it grants events.amazonaws.com Publish for any rule; allowPublishers() names this one.
    const topicArn = this.alertTopic.topicArn;
    rule.addTarget({ bind: () => ({ arn: topicArn }) });
    return rule;
  }

  private alarm(id: string, metric: cloudwatch.Metric, description: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric: metric.with({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alertTopic));
    return alarm;
  }

  /** Topic and key policies for the rule and the alarms, each publisher named by its ARN. */
  private allowPublishers(): void {
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RotationFailedRulePublishes',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rotationFailedRule.ruleArn } },
      }),
    );
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: {
          ArnEquals: {
            'aws:SourceArn': [
              this.errorsAlarm.alarmArn,
              this.alertDeliveryAlarm.alarmArn,
              this.metricsDroppedAlarm.alarmArn,
            ],
          },
        },
      }),
    );
    // Publishing to an encrypted topic needs the publisher to use its key. No source conditions here: EventBridge
    // does not send them to KMS, and a denied call would drop the alert silently. The key encrypts only this
    // topic, whose policy above decides who may publish.
    this.alertKey?.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlertPublishersEncrypt',
        principals: [
          new iam.ServicePrincipal('events.amazonaws.com'),
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
  }
}

/** The secret's complete ARN, which propsProblems() has made sure it has. */
function fullArn(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn as string;
}
