import { parseFunctionArn } from '../lambda/settings/arn.js';

/**
 * The command that shows what the rotation function logged for one rotation. The CLI cannot read the
 * function's logs itself (that takes CloudWatch Logs permissions an operator of secrets may not have), but
 * every line the function writes carries the rotation's versionId, so one filter finds the failing step.
 */
export function functionLogsCommand(
  rotationLambdaArn: string | undefined,
  versionId: string,
  sinceMinutes: number,
): string | undefined {
  const arn = parseFunctionArn(rotationLambdaArn ?? '');
  if (!arn) return undefined;
  const { region, functionName: name } = arn;
  const since = Math.max(5, Math.ceil(sinceMinutes) + 5);
  return (
    `aws logs tail /aws/lambda/${name} --region ${region} --since ${since}m ` +
    `--filter-pattern '{ $.versionId = "${versionId}" }'`
  );
}
