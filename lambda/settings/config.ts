import { ConfigurationError } from '../telemetry/errors.js';
import { DEFAULT_METRICS_NAMESPACE } from '../telemetry/metrics.js';
import { isQueueArn, isRoleArn, parseKmsKeyArn } from './arn.js';
import { checkFactifyApiUrl, DEFAULT_FACTIFY_API_URL } from './factify-api-url.js';
import { isRevokeGraceSeconds, MAX_REVOKE_GRACE_SECONDS } from './revoke-grace.js';

export interface Config {
  /** Base URL of the Factify API, without a trailing slash, ending in /v1. */
  readonly factifyApiUrl: string;
  /** When set, the secret holding the admin key that manages keys instead of the rotated key itself. */
  readonly adminSecretId?: string;
  /** How long a replaced key stays valid after finishSecret; 0 revokes it inside finishSecret. */
  readonly revokeGraceSeconds: number;
  /** The role EventBridge Scheduler assumes to invoke the function; required when the grace is not 0. */
  readonly schedulerRoleArn?: string;
  /** The CloudWatch namespace of the function's embedded metrics (METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
  /**
   * FACTIFY_SEAL_KEY_ID: the KMS HMAC key that seals the values the function writes. Every step needs it
   * (the handler checks before any call); the CLI verifies seals with it when it is set.
   */
  readonly sealKeyId?: string;
  /**
   * REVOKE_SCHEDULE_GROUP: the EventBridge Scheduler group the revocation schedules are made in (the
   * construct's own); unset, the account's `default` group, where schedules of earlier versions live.
   */
  readonly revokeScheduleGroup?: string;
  /** REVOKE_SCHEDULE_DLQ_ARN: the SQS queue a revocation schedule sends its event to when delivery fails. */
  readonly revokeScheduleDlqArn?: string;
}

/**
 * Reads the function's configuration from its environment. Invalid values throw ConfigurationError before
 * the function makes any call. The Secrets Manager endpoint and region are the AWS SDK's own business
 * (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER) and are not read here.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const adminSecretId = env.FACTIFY_ADMIN_SECRET_ID?.trim();
  const revokeGraceSeconds = parseGrace(env.REVOKE_GRACE_SECONDS?.trim() || '0');
  const schedulerRoleArn = env.REVOKE_SCHEDULER_ROLE_ARN?.trim();
  const sealKeyId = env.FACTIFY_SEAL_KEY_ID?.trim();
  // A key ARN, not an alias: whoever may repoint an alias must not choose the key that vouches for values.
  if (sealKeyId && parseKmsKeyArn(sealKeyId) === undefined) {
    throw new ConfigurationError(
      'FACTIFY_SEAL_KEY_ID is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); the stack sets it to ' +
        'the HMAC key it creates.',
    );
  }
  if (revokeGraceSeconds > 0 && !schedulerRoleArn) {
    throw new ConfigurationError(
      'REVOKE_GRACE_SECONDS is set but REVOKE_SCHEDULER_ROLE_ARN is not: the revocation could not be scheduled. ' +
        'Set the role EventBridge Scheduler assumes to invoke this function (the stack does), or set the grace to 0.',
    );
  }
  if (schedulerRoleArn && !isRoleArn(schedulerRoleArn)) {
    throw new ConfigurationError(
      'REVOKE_SCHEDULER_ROLE_ARN is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).',
    );
  }
  const revokeScheduleGroup = env.REVOKE_SCHEDULE_GROUP?.trim();
  if (revokeScheduleGroup && !isScheduleGroupName(revokeScheduleGroup)) {
    throw new ConfigurationError(
      'REVOKE_SCHEDULE_GROUP is not an EventBridge Scheduler group name (1 to 64 letters, digits, ".", "_" or "-").',
    );
  }
  const revokeScheduleDlqArn = env.REVOKE_SCHEDULE_DLQ_ARN?.trim();
  if (revokeScheduleDlqArn && !isQueueArn(revokeScheduleDlqArn)) {
    throw new ConfigurationError(
      'REVOKE_SCHEDULE_DLQ_ARN is not an SQS queue ARN (arn:aws:sqs:<region>:<account>:<queue name>).',
    );
  }
  return {
    factifyApiUrl: parseApiUrl(env.FACTIFY_API_URL?.trim() || DEFAULT_FACTIFY_API_URL),
    ...(adminSecretId ? { adminSecretId } : {}),
    revokeGraceSeconds,
    ...(schedulerRoleArn ? { schedulerRoleArn } : {}),
    metricsNamespace: parseNamespace(env.METRICS_NAMESPACE?.trim() || DEFAULT_METRICS_NAMESPACE),
    ...(sealKeyId ? { sealKeyId } : {}),
    ...(revokeScheduleGroup ? { revokeScheduleGroup } : {}),
    ...(revokeScheduleDlqArn ? { revokeScheduleDlqArn } : {}),
  };
}

/** EventBridge Scheduler's rule for a schedule group's name: 1 to 64 letters, digits, ".", "_" or "-". */
export function isScheduleGroupName(value: string): boolean {
  return /^[0-9a-zA-Z._-]{1,64}$/.test(value);
}

/** What CloudWatch takes as a namespace, for messages. */
export const METRICS_NAMESPACE_RULE =
  '1 to 255 letters, digits, spaces and . - _ / # : (not only spaces), not starting with ":" or "AWS/"';

/**
 * CloudWatch namespaces: up to 255 of letters, digits, spaces and `. - _ / # :` with at least one that is not a
 * space (CloudWatch's "Namespaces" concept page), not starting with a colon (PutMetricData) nor with AWS/
 * (reserved for AWS). CloudWatch Logs drops embedded metrics in any other namespace. The construct checks its
 * metricsNamespace prop with this too, so a namespace the function would refuse fails at synth, not at every
 * invocation.
 */
export function isMetricsNamespace(value: string): boolean {
  return (
    /^[A-Za-z0-9 ._/#:-]{1,255}$/.test(value) &&
    value.trim() !== '' &&
    !value.startsWith(':') &&
    !value.startsWith('AWS/')
  );
}

function parseNamespace(value: string): string {
  if (!isMetricsNamespace(value)) {
    throw new ConfigurationError(
      `METRICS_NAMESPACE must be a CloudWatch namespace (${METRICS_NAMESPACE_RULE}), ` +
        `got "${value.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}".`,
    );
  }
  return value;
}

function parseGrace(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || !isRevokeGraceSeconds(seconds)) {
    throw new ConfigurationError(
      `REVOKE_GRACE_SECONDS must be a whole number of seconds from 0 to ${MAX_REVOKE_GRACE_SECONDS} (one year), ` +
        `got "${value.slice(0, 20)}".`,
    );
  }
  return seconds;
}

function parseApiUrl(value: string): string {
  const checked = checkFactifyApiUrl(value, { loopbackHttp: true });
  if ('url' in checked) return checked.url;
  throw new ConfigurationError(
    `FACTIFY_API_URL is invalid: ${checked.problem}. Set it to the Factify API base URL, e.g. ` +
      `${DEFAULT_FACTIFY_API_URL}, or unset it to use that default.`,
  );
}
