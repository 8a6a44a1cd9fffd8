/** The parts of an ARN that the stack checks against each other and against the stack's environment. */
export interface ParsedArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

// A complete secret ARN ends in "-" plus the six random characters Secrets Manager appends to the name.
// IAM matches resources literally, so a partial ARN (without them) would grant nothing.
const SECRET_ARN =
  /^arn:(aws[a-z-]*):secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):secret:.+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:(aws[a-z-]*):kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key\/[A-Za-z0-9-]+$/;

export const SECRET_ARN_EXAMPLE =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:factify/api-key-AbCdEf';

/** Parses a complete secret ARN; undefined when `arn` is not one. */
export function parseSecretArn(arn: string): ParsedArn | undefined {
  return parse(SECRET_ARN, arn);
}

/** Parses a KMS key ARN (not an alias ARN); undefined when `arn` is not one. */
export function parseKmsKeyArn(arn: string): ParsedArn | undefined {
  return parse(KMS_KEY_ARN, arn);
}

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

function parse(pattern: RegExp, arn: string): ParsedArn | undefined {
  const match = pattern.exec(arn);
  if (!match) return undefined;
  const [, partition = '', region = '', account = ''] = match;
  return { partition, region, account };
}
