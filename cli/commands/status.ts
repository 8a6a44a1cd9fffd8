import { fleetCounts } from '../../lambda/health/audit.js';
import { INSPECTION_CONCURRENCY, mapConcurrently } from '../../lambda/health/concurrency.js';
import { inspectFleet } from '../../lambda/health/fleet.js';
import type { SecretInspection } from '../../lambda/health/inspection.js';
import { mostUrgent, type Verdict } from '../../lambda/health/verdict.js';
import type { SecretDetails } from '../../lambda/ports.js';
import type { Command } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { jsonDocument } from '../json-output.js';
import { renderFleet, renderStatus, renderSummary } from '../render.js';
import { buildStatusReport, type StatusReport, scheduledRevocation } from '../status-report.js';
import { VERDICT_EXIT_CODES } from '../verdict-exit-codes.js';

type StatusCommand = Extract<Command, { name: 'status' }>;

/** A secret of several that could not be inspected, and why. */
export interface StatusFailure {
  readonly secretId: string;
  readonly error: string;
}

/**
 * `status <secret-id>... [--json]` or `status --function <name|arn>`: prints each secret's report and exits
 * with the most urgent verdict's code. One secret alone fails as before; among several, a secret that
 * cannot be inspected is reported and counts as `unknown`, and the others are still inspected.
 */
export async function status(ctx: CliContext, command: StatusCommand): Promise<number> {
  const rotated =
    command.functionName === undefined
      ? undefined
      : await ctx.store.listSecretsRotatedBy(command.functionName);
  const secretIds = rotated?.map((secret) => secret.arn) ?? command.secretIds;
  if (secretIds.length === 0) {
    throw new CliError(
      `No secret in region ${ctx.region} has ${command.functionName} as its rotation function. Check the name ` +
        '(the stack output RotationFunctionName) and AWS_REGION.',
      undefined,
      { code: 'NO_SECRET_FOR_FUNCTION' },
    );
  }
  if (command.fleet) return fleetStatus(ctx, command, rotated ?? []);
  if (secretIds.length === 1 && command.functionName === undefined) {
    const { report } = await buildStatusReport(ctx, secretIds[0] as string);
    ctx.print(command.json ? jsonDocument('status', report) : renderStatus(report));
    return VERDICT_EXIT_CODES[report.verdict];
  }

  const results = await mapConcurrently(secretIds, INSPECTION_CONCURRENCY, async (secretId) => {
    try {
      return (await buildStatusReport(ctx, secretId)).report;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      return { secretId, error: error.message } satisfies StatusFailure;
    }
  });
  const reports = results.filter((result): result is StatusReport => !('error' in result));
  const failures = results.filter((result): result is StatusFailure => 'error' in result);
  const verdict = mostUrgent([
    ...reports.map((report) => report.verdict),
    ...failures.map((): Verdict => 'unknown'),
  ]);
  if (command.json) {
    ctx.print(jsonDocument('status', { verdict, secrets: results }));
  } else {
    for (const report of reports) ctx.print(`${renderStatus(report)}\n`);
    ctx.print(renderSummary(secretIds, results));
  }
  return VERDICT_EXIT_CODES[verdict];
}

/**
 * `status --all <function>`: the fleet table, from the daily audit's own code: its counts (the fleet metrics
 * the audit publishes) and one line per secret. Each Factify organization is listed once, as in the audit.
 */
async function fleetStatus(
  ctx: CliContext,
  command: StatusCommand,
  rotated: readonly SecretDetails[],
): Promise<number> {
  const { secrets } = await inspectFleet(
    {
      store: ctx.store,
      factify: ctx.factify,
      ...(ctx.adminSecretId === undefined ? {} : { adminSecretId: ctx.adminSecretId }),
      scheduledRevocationAt: (name) => scheduledRevocation(ctx, name),
      now: ctx.now,
      // A terminal has no invocation deadline.
      remainingMs: () => Number.POSITIVE_INFINITY,
    },
    rotated,
  );
  const checked = secrets.filter(
    (secret): secret is { secretId: string } & SecretInspection => !('error' in secret),
  );
  const fleet = fleetCounts(checked, secrets.length - checked.length);
  const verdict = mostUrgent(
    secrets.map((secret): Verdict => ('error' in secret ? 'unknown' : secret.verdict)),
  );
  if (command.json) {
    ctx.print(jsonDocument('status', { verdict, fleet, secrets }));
  } else {
    ctx.print(renderFleet(String(command.functionName), fleet));
    ctx.print(
      renderSummary(
        rotated.map((secret) => secret.arn),
        secrets.map((secret) =>
          'error' in secret ? { secretId: secret.secretId, error: secret.error.message } : secret,
        ),
      ),
    );
  }
  return VERDICT_EXIT_CODES[verdict];
}
