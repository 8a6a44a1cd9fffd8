import {
  ABANDONED_REASON,
  ensureRevoked,
  ORPHAN_REASON,
  ROTATED_REASON,
} from '../../lambda/key-management.js';
import { AWSCURRENT, AWSPENDING } from '../../lambda/ports.js';
import { confirm } from '../confirm.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { formatAge } from '../format.js';
import { inspectSecret, type StatusReport } from '../inspect.js';
import { wrap } from '../render.js';
import { VERDICT_EXIT_CODES } from '../verdict.js';

interface Revocation {
  readonly keyId: string;
  readonly reason: string;
  readonly why: string;
}

/**
 * `recover <secret-id> [--yes] [--force]`: the fix for a stuck rotation and for leftover keys. Takes
 * AWSPENDING off the stray version, so that Secrets Manager rotates again, then revokes the keys this
 * secret's rotations left active: the stray version's key (only if a rotation of this secret created it),
 * orphans, and a replaced key in AWSPREVIOUS. Never touches another application's key or the current one.
 * Shows the plan and asks before changing anything. Exits with the code of the verdict it leaves.
 */
export async function recover(
  ctx: CliContext,
  secretId: string,
  options: { yes: boolean; force: boolean },
): Promise<number> {
  const { report, manager } = await inspectSecret(ctx, secretId);
  const { verdict, secret } = report;
  const refuse = (why: string) => {
    ctx.print(why);
    for (const line of wrap(report.explanation, 98)) ctx.print(`  ${line}`);
    for (const step of report.nextSteps) ctx.print(`  ${step}`);
    return VERDICT_EXIT_CODES[verdict];
  };
  if (verdict === 'healthy') return refuse(`Nothing to recover: ${secret.name} is healthy.`);
  if (verdict === 'current-key-not-active' || verdict === 'unknown') {
    return refuse(`recover cannot fix this (${verdict}):`);
  }
  if (verdict === 'rotation-in-progress' && !options.force) {
    return refuse(
      'A rotation may still be running, so recover leaves it alone. If you know it failed (rotate --wait or ' +
        'the function log said so), re-run with --force.',
    );
  }

  const stray = verdict === 'stuck' || verdict === 'rotation-in-progress' ? report.pending : null;
  const { revocations, notes } = planRevocations(report, stray?.versionId);
  // Rotation disabled or overdue, with nothing left behind: nothing recover can change.
  if (!stray && revocations.length === 0) return refuse(`recover cannot fix this (${verdict}):`);
  ctx.print(`recover will, for ${secret.arn}:`);
  if (stray) {
    ctx.print(
      `  - remove AWSPENDING from version ${stray.versionId} (created ${formatAge(stray.ageSeconds)} ago)`,
    );
  }
  for (const revocation of revocations) ctx.print(`  - revoke ${revocation.keyId}: ${revocation.why}`);
  for (const note of notes) ctx.print(`  Note: ${note}`);

  if (!options.yes) {
    if (!ctx.io.interactive) {
      throw new CliError(
        'recover changes the secret and revokes keys, so it asks for confirmation, but it is not running in an ' +
          'interactive terminal. Nothing was changed. Re-run with --yes to go ahead.',
      );
    }
    if (!(await confirm(ctx.io, 'Go ahead? [y/N] '))) {
      ctx.print('Nothing was changed.');
      return EXIT.FAILED;
    }
  }

  // Label first: it unblocks rotations, and a key whose revoke then fails is an orphan the next rotation
  // (or another recover) revokes. The other order could leave a pending version holding a dead key.
  if (stray) {
    await ctx.store.updateStage(secret.arn, AWSPENDING, { removeFromVersionId: stray.versionId });
    ctx.print(`Removed AWSPENDING from version ${stray.versionId}.`);
  }
  for (const { keyId, reason } of revocations) {
    const outcome = await ensureRevoked(ctx.factify, manager, keyId, reason, { checkFirst: true });
    ctx.print(outcome === 'revoked' ? `Revoked ${keyId}.` : `${keyId} was already revoked.`);
  }

  const after = (await inspectSecret(ctx, secret.arn)).report;
  ctx.print(`Status: ${after.verdict}`);
  for (const line of wrap(after.explanation, 98)) ctx.print(`  ${line}`);
  return VERDICT_EXIT_CODES[after.verdict];
}

function planRevocations(
  report: StatusReport,
  strayVersionId: string | undefined,
): { revocations: Revocation[]; notes: string[] } {
  const revocations: Revocation[] = [];
  const notes: string[] = [];
  if (report.factify.error !== null) {
    notes.push(
      `Factify could not be checked (${report.factify.error}), so no key is revoked now; the next rotation ` +
        "revokes the keys this secret's rotations left active.",
    );
  }
  const currentKeyId = report.versions.find((version) => version.stages.includes(AWSCURRENT))?.keyId;
  const stray = report.versions.find((version) => version.versionId === strayVersionId);
  if (stray?.keyId && stray.keyState === 'active' && stray.keyId !== currentKeyId) {
    if (stray.createdByThisSecret) {
      revocations.push({
        keyId: stray.keyId,
        reason: ABANDONED_REASON,
        why: `the key of that version, created by this secret's rotation`,
      });
    } else {
      notes.push(
        `version ${stray.versionId} holds ${stray.keyId}, which no rotation of this secret created: it may be ` +
          "another application's key, so recover does not revoke it. Revoke it yourself if no one uses it.",
      );
    }
  }
  for (const orphan of report.orphans) {
    revocations.push({
      keyId: orphan.keyId,
      reason: ORPHAN_REASON,
      why: `orphan "${orphan.name}", made by a rotation of this secret and held by no version`,
    });
  }
  for (const replaced of report.awaitingRevocation) {
    revocations.push({
      keyId: replaced.keyId,
      reason: ROTATED_REASON,
      why: `the replaced key in AWSPREVIOUS (version ${replaced.versionId}), left active by finishSecret`,
    });
  }
  return { revocations, notes };
}
