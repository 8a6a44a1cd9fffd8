import { parseArn } from '../lambda/settings/arn.js';
import { CliError } from './cli-error.js';

/** Where a Secrets Manager call went, for messages that say what to check. */
export interface AwsTarget {
  readonly region: string;
  /** AWS_ENDPOINT_URL_SECRETS_MANAGER, when set. */
  readonly endpoint?: string;
}

const CREDENTIALS_HELP =
  'Provide credentials the standard AWS way: AWS_PROFILE (after `aws configure` or `aws sso login`), ' +
  'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), ' +
  'or run where an IAM role is available.';

// Errors raised before the request reached AWS: the endpoint or the network is wrong.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Turns an AWS SDK error from the Secrets Manager `action` on `secretId` into a CliError whose message says
 * what to do. Errors it does not recognise are returned unchanged, to be reported with their own message.
 */
export function explainAwsError(
  error: unknown,
  action: string,
  secretId: string,
  target: AwsTarget,
): unknown {
  if (!(error instanceof Error)) return error;
  const said = error.message ? ` (AWS said: ${error.message})` : '';
  const code = (error as { code?: unknown }).code;
  switch (error.name) {
    case 'CredentialsProviderError':
      return new CliError(`No usable AWS credentials were found${said}. ${CREDENTIALS_HELP}`, undefined, {
        cause: error,
        code: 'AWS_CREDENTIALS_MISSING',
      });
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'InvalidClientTokenId':
    case 'ExpiredTokenException':
      return new CliError(
        `AWS rejected the credentials in use: they are unknown, expired or mistyped, or the clock of this ` +
          `machine is off${said}. ${CREDENTIALS_HELP}`,
        undefined,
        { cause: error, code: 'AWS_CREDENTIALS_REJECTED' },
      );
    case 'AccessDeniedException':
      return new CliError(
        `Access denied: your AWS identity may not call secretsmanager:${action} on ${secretId} in region ` +
          `${target.region}${said}. Grant secretsmanager:${action} on the secret${extraPermission(action)}, ` +
          'or use a profile or role that has it.',
        undefined,
        { cause: error, code: 'AWS_ACCESS_DENIED' },
      );
    case 'ResourceNotFoundException':
      return new CliError(
        `Secret ${secretId} was not found in region ${target.region} of the account your credentials belong to. ` +
          `${regionHint(secretId, target.region)}Check the name or ARN, AWS_REGION and AWS_PROFILE.`,
        undefined,
        { cause: error, code: 'SECRET_NOT_FOUND' },
      );
  }
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    const where = target.endpoint ?? `the Secrets Manager endpoint of region ${target.region}`;
    return new CliError(
      `Could not reach ${where} (${code}). Check AWS_REGION${target.endpoint ? ', AWS_ENDPOINT_URL_SECRETS_MANAGER' : ''} ` +
        'and your network or proxy.',
      undefined,
      { cause: error, code: 'AWS_UNREACHABLE' },
    );
  }
  return error;
}

function extraPermission(action: string): string {
  if (action === 'RotateSecret') return ' and lambda:InvokeFunction on its rotation function';
  if (action === 'GetSecretValue') return " (and kms:Decrypt on the secret's KMS key, if it has its own)";
  if (action === 'BatchGetSecretValue') return ' and secretsmanager:GetSecretValue on the secrets it reads';
  return '';
}

// A secret lives in one region: an ARN from another region is not found in this one.
function regionHint(secretId: string, region: string): string {
  const arn = parseArn(secretId);
  const arnRegion = arn?.service === 'secretsmanager' ? arn.region : undefined;
  return arnRegion && arnRegion !== region
    ? `Its ARN is in region ${arnRegion}: set AWS_REGION=${arnRegion}. `
    : '';
}
