import { versionWithStage } from '../../lambda/keys/guard.js';
import { parseKeySecret } from '../../lambda/keys/secret-value.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type SecretDetails } from '../../lambda/ports.js';
import { MalformedSecretValueError } from '../../lambda/telemetry/errors.js';
import type { Sensitive } from '../../lambda/telemetry/redaction.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { diagnoseUnfinished } from '../diagnose.js';
import { EXIT } from '../exit-codes.js';
import { formatAge } from '../format.js';
import { describeLogsCommand, functionLogsCommand } from '../function-logs.js';
import { jsonDocument } from '../json-output.js';
import { wrap } from '../render.js';
import { buildStatusReport, type StatusReport } from '../status-report.js';

const POLL_INTERVAL_MS = 1_000;

/**
 * `rotate <secret-id> [--wait] [--timeout]`: starts a rotation through Secrets Manager (RotateSecret), after
 * checking what would make it fail at once. With --wait, follows it until AWSCURRENT is on the new version
 * (exit 0), or the rotation was abandoned or did not finish in time (exit 1, with what can be seen of why).
 */
export async function rotate(
  ctx: CliContext,
  secretId: string,
  options: { wait: boolean; timeoutMs: number; json: boolean },
): Promise<number> {
  const before = await ctx.store.describeDetails(secretId);
  const { arn, name } = before;
  if (before.rotation.lambdaArn === undefined) {
    throw new CliError(
      `Secret ${arn} has no rotation function, so Secrets Manager cannot rotate it. Configure rotation with the ` +
        'Factify rotation function first (the stack does).',
      undefined,
      { code: 'ROTATION_NOT_CONFIGURED' },
    );
  }
  const pending = versionWithStage(before, AWSPENDING);
  if (pending !== undefined && !before.versions[pending]?.includes(AWSCURRENT)) {
    throw new CliError(
      `A rotation of ${arn} is already pending on version ${pending}, and Secrets Manager starts no other until ` +
        `it finishes. See whether it is running or stuck: npx factify-rotation status ${name}`,
      undefined,
      { code: 'ROTATION_ALREADY_PENDING' },
    );
  }
  // A value that is not a Factify key secret would only fail in createSecret: say so before starting.
  const current = await ctx.store.getValue(arn, { stage: AWSCURRENT });
  if (current === undefined) {
    throw new CliError(
      `Secret ${arn} has no AWSCURRENT value, so it holds no Factify key to rotate.`,
      undefined,
      { code: 'NO_CURRENT_VALUE' },
    );
  }
  parseKeySecret(current, `The AWSCURRENT value of secret ${arn}`);

  const versionId = await ctx.store.startRotation(arn);
  // With --json, the progress lines give way to one document at the end.
  const say = options.json ? () => {} : (line: string) => ctx.print(line);
  say(`Started a rotation of ${name}: new version ${versionId} is staged AWSPENDING.`);
  let result: RotateResult;
  if (options.wait) {
    result = await follow(ctx, say, before, versionId, options.timeoutMs);
  } else {
    say(`Secrets Manager runs it in the background. Follow it with: npx factify-rotation status ${name}`);
    result = { outcome: 'started' };
  }
  if (options.json) {
    ctx.print(jsonDocument('rotate', { secret: { arn, name }, versionId, waited: options.wait, ...result }));
  }
  return result.outcome === 'started' || result.outcome === 'finished' || result.outcome === 'promoted'
    ? EXIT.OK
    : EXIT.FAILED;
}

/** What `rotate --json` reports besides the secret and the new version (docs/operating.md#json-output). */
interface RotateResult {
  /**
   * started: left to Secrets Manager (no --wait); finished: promoted and recorded as done; promoted: on
   * AWSCURRENT but not yet recorded as done when --timeout ran out; abandoned: lost AWSPENDING without
   * being promoted; timed-out: still AWSPENDING when --timeout ran out.
   */
  readonly outcome: 'started' | 'finished' | 'promoted' | 'abandoned' | 'timed-out';
  /** The secret's status report after the rotation (--wait, except when abandoned). */
  readonly status?: StatusReport;
  /** timed-out: the causes that can be seen from here. */
  readonly findings?: readonly string[];
  /**
   * timed-out: the command that shows the function's log of this rotation, when its ARN says where. It filters
   * on the version id only when that id is proven safe to paste; otherwise `logsVersionId` holds it, apart.
   */
  readonly logsCommand?: string | null;
  readonly logsVersionId?: string;
}

type Say = (line: string) => void;

async function follow(
  ctx: CliContext,
  say: Say,
  before: SecretDetails,
  versionId: string,
  timeoutMs: number,
): Promise<RotateResult> {
  const { arn } = before;
  const deadline = ctx.now().getTime() + timeoutMs - reportReserveMs(timeoutMs);
  let stored = false;
  let promoted = false;
  for (;;) {
    const now = await ctx.store.describeDetails(arn);
    const stages = now.versions[versionId] ?? [];
    if (!stored && stages.length > 0) {
      const value = await ctx.store.getValue(arn, { versionId });
      if (value !== undefined) {
        stored = true;
        say(`  createSecret done: AWSPENDING holds ${describeKey(value, arn)}`);
      }
    }
    if (stages.includes(AWSCURRENT)) {
      if (!promoted) say(`  finishSecret: promoted, AWSCURRENT is on ${versionId}`);
      promoted = true;
      // Secrets Manager records a rotation as done once its last step has returned, revoke included.
      const finished = now.rotation.lastRotatedDate?.getTime() !== before.rotation.lastRotatedDate?.getTime();
      if (finished || ctx.now().getTime() >= deadline) {
        say(finished ? 'Rotation finished.' : 'Promoted; Secrets Manager has not recorded the end yet.');
        const status = await printOutcome(ctx, say, arn);
        return { outcome: finished ? 'finished' : 'promoted', status };
      }
    } else if (!stages.includes(AWSPENDING)) {
      say(
        `Rotation abandoned: version ${versionId} lost AWSPENDING without becoming AWSCURRENT. A value written ` +
          'to the secret during a rotation abandons it, and so does removing AWSPENDING by hand. A key it created ' +
          `is revoked by the next rotation, or now by: npx factify-rotation recover ${before.name}`,
      );
      return { outcome: 'abandoned' };
    }
    const left = deadline - ctx.now().getTime();
    if (left <= 0) return timedOut(ctx, say, before, versionId, timeoutMs);
    await ctx.sleep(Math.min(POLL_INTERVAL_MS, left));
  }
}

async function printOutcome(ctx: CliContext, say: Say, arn: string): Promise<StatusReport> {
  const { report } = await buildStatusReport(ctx, arn);
  for (const stage of [AWSCURRENT, AWSPREVIOUS]) {
    const version = report.versions.find((candidate) => candidate.stages.includes(stage));
    const state = version?.revokedComment
      ? `${version.keyState} ("${version.revokedComment}")`
      : version?.keyState;
    if (version) say(`  ${stage.padEnd(11)} ${version.keyId ?? '-'}  ${state}`);
  }
  say(`Status: ${report.verdict}`);
  for (const line of wrap(report.explanation, 96)) say(`  ${line}`);
  return report;
}

async function timedOut(
  ctx: CliContext,
  say: Say,
  before: SecretDetails,
  versionId: string,
  timeoutMs: number,
): Promise<RotateResult> {
  const { report } = await buildStatusReport(ctx, before.arn);
  const summary =
    `The rotation did not finish within ${formatAge(timeoutMs / 1000)}: version ${versionId} is still ` +
    'AWSPENDING. Secrets Manager retries a failed rotation by itself.';
  for (const line of wrap(summary, 100)) say(line);
  const findings = diagnoseUnfinished(report, versionId);
  if (findings.length > 0) {
    say('What can be seen from here:');
    for (const finding of findings) {
      wrap(finding, 94).forEach((line, index) => {
        say(`${index === 0 ? '  - ' : '    '}${line}`);
      });
    }
  }
  const logs = functionLogsCommand(before.rotation.lambdaArn, versionId, timeoutMs / 60_000);
  if (logs) {
    say("The rotation function's log says which step failed and why:");
    for (const line of describeLogsCommand(logs, 'its steps')) say(`  ${line}`);
  }
  say(
    'Once the cause is fixed, let Secrets Manager retry, or clear the rotation and start again:\n' +
      `  npx factify-rotation recover ${before.name} --force   # --force while the rotation is under 15 minutes old`,
  );
  return {
    outcome: 'timed-out',
    status: report,
    findings,
    logsCommand: logs?.command ?? null,
    ...(logs?.versionId === undefined ? {} : { logsVersionId: logs.versionId }),
  };
}

function describeKey(value: Sensitive, arn: string): string {
  try {
    const keyId = parseKeySecret(value, `The AWSPENDING value of secret ${arn}`).apiKeyId;
    return keyId ? `the new key ${keyId}` : 'a new key';
  } catch (error) {
    if (!(error instanceof MalformedSecretValueError)) throw error;
    return 'a value that is not a Factify key secret';
  }
}

// --timeout bounds the whole command: following stops early enough to leave time for the closing report.
function reportReserveMs(timeoutMs: number): number {
  return Math.min(15_000, Math.floor(timeoutMs / 3));
}
