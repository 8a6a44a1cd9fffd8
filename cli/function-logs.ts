import { parseFunctionArn } from '../lambda/settings/arn.js';

/**
 * The command that shows what the rotation function logged for one rotation. The CLI cannot read the
 * function's logs itself (that takes CloudWatch Logs permissions an operator of secrets may not have), but
 * every line the function writes carries the rotation's versionId, so one filter finds the failing step.
 *
 * The operator pastes this line into a shell, so it holds only values proven inert there. A version id is
 * whatever ClientRequestToken the secret's writer chose: one of the shape Secrets Manager itself generates
 * goes into the filter; any other is handed back apart, as a JSON string, for the operator to look for.
 */
export interface FunctionLogsCommand {
  /** Safe to paste: every value in it matched a pattern without shell or filter-pattern syntax. */
  readonly command: string;
  /** The version id, JSON-quoted, when it could not go into the command. */
  readonly versionId?: string;
}

/** A version id that needs no quoting in a shell or in a CloudWatch filter pattern. */
export const SAFE_VERSION_ID = /^[A-Za-z0-9._-]{32,64}$/;
// Lambda's own rule for a function name: also nothing a shell would read.
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function functionLogsCommand(
  rotationLambdaArn: string | undefined,
  versionId: string,
  sinceMinutes: number,
): FunctionLogsCommand | undefined {
  const arn = parseFunctionArn(rotationLambdaArn ?? '');
  if (!arn || !FUNCTION_NAME.test(arn.functionName)) return undefined;
  const { region, functionName: name } = arn;
  const since = Math.max(5, Math.ceil(sinceMinutes) + 5);
  // The stack gives the function a log group of its own, whose name CloudFormation generates: the function's
  // configuration names it (LoggingConfig.LogGroup), so the command asks for it rather than guess.
  const logGroup = `"$(aws lambda get-function-configuration --function-name ${name} --region ${region} --query LoggingConfig.LogGroup --output text)"`;
  const command = `aws logs tail ${logGroup} --region ${region} --since ${since}m`;
  return SAFE_VERSION_ID.test(versionId)
    ? { command: `${command} --filter-pattern '{ $.versionId = "${versionId}" }'` }
    : { command, versionId: JSON.stringify(versionId) };
}

/** The command as lines to print: the data it could not hold follows it, never inside it. */
export function describeLogsCommand(logs: FunctionLogsCommand, purpose: string): string[] {
  return logs.versionId === undefined
    ? [`${logs.command}   # ${purpose}`]
    : [
        `${logs.command}   # ${purpose}: look for the lines whose versionId is the JSON string below`,
        `versionId ${logs.versionId}   # not a command: the writer's text, shown escaped`,
      ];
}
