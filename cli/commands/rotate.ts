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
import { wrap } from '../render.js';
import { buildStatusReport } from '../status-report.js';

const POLL_INTERVAL_MS = 1_000;

/**
 * `rotate <secret-id> [--wait] [--timeout]`: starts a rotation through Secrets Manager (RotateSecret), after
 * checking what would make it fail at once. With --wait, follows it until AWSCURRENT is on the new version
 * (exit 0), or the rotation was abandoned or did not finish in time (exit 1, with what can be seen of why).
 */
export async function rotate(
  ctx: CliContext,
  secretId: string,
  options: { wait: boolean; timeoutMs: number },
): Promise<number> {
  const before = await ctx.store.describeDetails(secretId);
  const { arn, name } = before;
  if (before.rotation.lambdaArn === undefined) {
    throw new CliError(
      `Secret ${arn} has no rotation function, so Secrets Manager cannot rotate it. Configure rotation with the ` +
        'Factify rotation function first (the stack does).',
    );
  }
  const pending = versionWithStage(before, AWSPENDING);
  if (pending !== undefined && !before.versions[pending]?.includes(AWSCURRENT)) {
    throw new CliError(
      `A rotation of ${arn} is already pending on version ${pending}, and Secrets Manager starts no other until ` +
        `it finishes. See whether it is running or stuck: npx factify-rotation status ${name}`,
    );
  }
  // A value that is not a Factify key secret would only fail in createSecret: say so before starting.
  const current = await ctx.store.getValue(arn, { stage: AWSCURRENT });
  if (current === undefined) {
    throw new CliError(`Secret ${arn} has no AWSCURRENT value, so it holds no Factify key to rotate.`);
  }
  parseKeySecret(current, `The AWSCURRENT value of secret ${arn}`);

  const versionId = await ctx.store.startRotation(arn);
  ctx.print(`Started a rotation of ${name}: new version ${versionId} is staged AWSPENDING.`);
  if (!options.wait) {
    ctx.print(
      `Secrets Manager runs it in the background. Follow it with: npx factify-rotation status ${name}`,
    );
    return EXIT.OK;
  }
  return follow(ctx, before, versionId, options.timeoutMs);
}

// --timeout bounds the whole command: following stops early enough to leave time for the closing report.
function reportReserveMs(timeoutMs: number): number {
  return Math.min(15_000, Math.floor(timeoutMs / 3));
}

async function follow(
  ctx: CliContext,
  before: SecretDetails,
  versionId: string,
  timeoutMs: number,
): Promise<number> {
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
        ctx.print(`  createSecret done: AWSPENDING holds ${describeKey(value, arn)}`);
      }
    }
    if (stages.includes(AWSCURRENT)) {
      if (!promoted) ctx.print(`  finishSecret: promoted, AWSCURRENT is on ${versionId}`);
      promoted = true;
      // Secrets Manager records a rotation as done once its last step has returned, revoke included.
      const finished = now.rotation.lastRotatedDate?.getTime() !== before.rotation.lastRotatedDate?.getTime();
      if (finished || ctx.now().getTime() >= deadline) {
        ctx.print(
          finished ? 'Rotation finished.' : 'Promoted; Secrets Manager has not recorded the end yet.',
        );
        await printOutcome(ctx, arn);
        return EXIT.OK;
      }
    } else if (!stages.includes(AWSPENDING)) {
      ctx.print(
        `Rotation abandoned: version ${versionId} lost AWSPENDING without becoming AWSCURRENT. A value written ` +
          'to the secret during a rotation abandons it, and so does removing AWSPENDING by hand. A key it created ' +
          `is revoked by the next rotation, or now by: npx factify-rotation recover ${before.name}`,
      );
      return EXIT.FAILED;
    }
    const left = deadline - ctx.now().getTime();
    if (left <= 0) return timedOut(ctx, before, versionId, timeoutMs);
    await ctx.sleep(Math.min(POLL_INTERVAL_MS, left));
  }
}

async function printOutcome(ctx: CliContext, arn: string): Promise<void> {
  const { report } = await buildStatusReport(ctx, arn);
  for (const stage of [AWSCURRENT, AWSPREVIOUS]) {
    const version = report.versions.find((candidate) => candidate.stages.includes(stage));
    const state = version?.revokedComment
      ? `${version.keyState} ("${version.revokedComment}")`
      : version?.keyState;
    if (version) ctx.print(`  ${stage.padEnd(11)} ${version.keyId ?? '-'}  ${state}`);
  }
  ctx.print(`Status: ${report.verdict}`);
  for (const line of wrap(report.explanation, 96)) ctx.print(`  ${line}`);
}

async function timedOut(
  ctx: CliContext,
  before: SecretDetails,
  versionId: string,
  timeoutMs: number,
): Promise<number> {
  const { report } = await buildStatusReport(ctx, before.arn);
  const summary =
    `The rotation did not finish within ${formatAge(timeoutMs / 1000)}: version ${versionId} is still ` +
    'AWSPENDING. Secrets Manager retries a failed rotation by itself.';
  for (const line of wrap(summary, 100)) ctx.print(line);
  const findings = diagnoseUnfinished(report, versionId);
  if (findings.length > 0) {
    ctx.print('What can be seen from here:');
    for (const finding of findings) {
      wrap(finding, 94).forEach((line, index) => {
        ctx.print(`${index === 0 ? '  - ' : '    '}${line}`);
      });
    }
  }
  const logs = functionLogsCommand(before.rotation.lambdaArn, versionId, timeoutMs / 60_000);
  if (logs) {
    ctx.print("The rotation function's log says which step failed and why:");
    for (const line of describeLogsCommand(logs, 'its steps')) ctx.print(`  ${line}`);
  }
  ctx.print(
    'Once the cause is fixed, let Secrets Manager retry, or clear the rotation and start again:\n' +
      `  npx factify-rotation recover ${before.name} --force   # --force while the rotation is under 15 minutes old`,
  );
  return EXIT.FAILED;
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
