/**
 * Amazon Resource Names, parsed in one place for the function, the stack and the CLI. An ARN is
 * `arn:<partition>:<service>:<region>:<account>:<resource>`, and the resource may itself hold colons.
 * (@aws-sdk/util-arn-parser does this same split and no more; the rules per resource type are ours anyway.)
 */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** A complete secret ARN: its name, and its name with the six random characters Secrets Manager appends. */
export interface SecretArn extends Arn {
  readonly name: string;
  readonly nameWithSuffix: string;
}

/** A Lambda function's ARN, unqualified or with a version or alias. */
export interface FunctionArn extends Arn {
  readonly functionName: string;
}

// Partitions (aws, aws-cn, aws-us-gov, ...), regions (eu-west-1, us-gov-east-1, ...) and account ids as AWS
// writes them: IAM matches resources literally, so anything else would name nothing.
const PARTITION = /^aws[a-z-]*$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const ACCOUNT = /^\d{12}$/;

/** Splits an ARN into its parts; undefined when `value` is not `arn:` and five more colon-separated parts. */
export function parseArn(value: string): Arn | undefined {
  const [prefix, partition, service, region, account, ...resource] = value.split(':');
  if (prefix !== 'arn' || !partition || !service || region === undefined || account === undefined)
    return undefined;
  if (resource.length === 0) return undefined;
  return { partition, service, region, account, resource: resource.join(':') };
}

/**
 * A complete secret ARN (`...:secret:<name>-<6 random characters>`); undefined for anything else, a partial
 * ARN (the name alone) included, since IAM would match it to no secret.
 */
export function parseSecretArn(value: string): SecretArn | undefined {
  const arn = regionalArn(value, 'secretsmanager');
  const match = arn && /^secret:((.+)-[A-Za-z0-9]{6})$/.exec(arn.resource);
  if (!arn || !match) return undefined;
  return { ...arn, nameWithSuffix: match[1] as string, name: match[2] as string };
}

/**
 * The secret's name: the name part of a complete secret ARN, without Secrets Manager's suffix (as CDK's
 * `secretName` of an imported secret), or the id as given (a name, or a partial ARN).
 */
export function secretNameOf(secretId: string): string {
  return parseSecretArn(secretId)?.name ?? secretId;
}

/** A KMS key ARN (`...:key/<key id>`); undefined for anything else, an alias ARN included. */
export function parseKmsKeyArn(value: string): Arn | undefined {
  const arn = regionalArn(value, 'kms');
  return arn && /^key\/[A-Za-z0-9-]+$/.test(arn.resource) ? arn : undefined;
}

/** A Lambda function ARN (`...:function:<name>[:<version or alias>]`); undefined for anything else. */
export function parseFunctionArn(value: string): FunctionArn | undefined {
  const arn = regionalArn(value, 'lambda');
  const functionName = arn && /^function:([^:]+)(?::[^:]+)?$/.exec(arn.resource)?.[1];
  return arn && functionName ? { ...arn, functionName } : undefined;
}

/** Whether `value` is an IAM role ARN (`arn:aws:iam::<account>:role/<path and name>`; IAM is global). */
export function isRoleArn(value: string): boolean {
  const arn = parseArn(value);
  return (
    arn?.service === 'iam' &&
    PARTITION.test(arn.partition) &&
    arn.region === '' &&
    ACCOUNT.test(arn.account) &&
    /^role\/[\w+=,.@/-]+$/.test(arn.resource)
  );
}

/** Whether `value` is an SQS queue ARN (`...:sqs:<region>:<account>:<queue name>`, `.fifo` for a FIFO queue). */
export function isQueueArn(value: string): boolean {
  const arn = regionalArn(value, 'sqs');
  return arn !== undefined && /^[\w-]{1,80}(\.fifo)?$/.test(arn.resource);
}

function regionalArn(value: string, service: string): Arn | undefined {
  const arn = parseArn(value);
  const wellFormed =
    arn?.service === service &&
    PARTITION.test(arn.partition) &&
    REGION.test(arn.region) &&
    ACCOUNT.test(arn.account);
  return wellFormed ? arn : undefined;
}
