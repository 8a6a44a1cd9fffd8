import { parseKmsKeyArn, parseSecretArn } from '../lambda/settings/arn.js';

/** The stack's and the app's messages for ARNs that are not what they must be; the parsing is lambda/settings/arn.ts. */
export const SECRET_ARN_EXAMPLE =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:factify/api-key-AbCdEf';

/** The problem with `arn` as a complete secret ARN, naming the fix; undefined when it is one. */
export function secretArnProblem(arn: string, what: string): string | undefined {
  if (parseSecretArn(arn)) return undefined;
  return (
    `${what} "${arn}" is not a complete secret ARN. Copy the ARN from the secret's page in the Secrets Manager ` +
    `console or from \`aws secretsmanager describe-secret --secret-id <name> --query ARN\`: it ends with ` +
    `"-" and six random characters, e.g. ${SECRET_ARN_EXAMPLE}.`
  );
}

/** The problem with `arn` as a KMS key ARN, naming the fix; undefined when it is one. */
export function kmsKeyArnProblem(arn: string, what: string): string | undefined {
  if (parseKmsKeyArn(arn)) return undefined;
  return (
    `${what} "${arn}" is not a KMS key ARN. Use the key ARN (arn:aws:kms:<region>:<account>:key/<key id>), ` +
    'not an alias: IAM policies do not match a key by its alias.'
  );
}
