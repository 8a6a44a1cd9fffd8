import {
  ABANDONED_REASON,
  ensureRevoked,
  ORPHAN_REASON,
  ROTATED_REASON,
} from '../../lambda/keys/key-management.js';
import { type RevocationKind, recheckRevocation } from '../../lambda/keys/recheck.js';
import { AWSCURRENT, AWSPENDING, type Credential, type SecretDescription } from '../../lambda/ports.js';
import { RevocationRefusedError } from '../../lambda/telemetry/errors.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { confirm } from '../confirm.js';
import { EXIT } from '../exit-codes.js';
import { formatAge } from '../format.js';
import { jsonDocument } from '../json-output.js';
import { wrap } from '../render.js';
import { buildStatusReport, type StatusReport } from '../status-report.js';
import { VERDICT_EXIT_CODES } from '../verdict-exit-codes.js';

interface Revocation {
  readonly keyId: string;
  readonly reason: string;
  readonly why: string;
  /** What makes the key revocable, proved again just before the revoke (lambda/keys/recheck.ts). */
  readonly target: RevocationKind;
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
  options: { yes: boolean; force: boolean; json: boolean },
): Promise<number> {
  const { report, manager } = await buildStatusReport(ctx, secretId);
  const { verdict, secret } = report;
  // With --json, the lines give way to one document at the end.
  const say = options.json ? () => {} : (line: string) => ctx.print(line);
  const finish = (result: RecoverResult, exitCode: number): number => {
    if (options.json) ctx.print(jsonDocument('recover', { secret, verdictBefore: verdict, ...result }));
    return exitCode;
  };
  const refuse = (why: string) => {
    say(why);
    for (const line of wrap(report.explanation, 98)) say(`  ${line}`);
    for (const step of report.nextSteps) say(`  ${step}`);
    return finish({ outcome: 'refused', message: why, status: report }, VERDICT_EXIT_CODES[verdict]);
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
  const plan: RecoverPlan = {
    removePendingFrom: stray?.versionId ?? null,
    revocations: revocations.map(({ keyId, reason, why }) => ({ keyId, reason, why })),
    notes,
  };
  say(`recover will, for ${secret.arn}:`);
  if (stray) {
    say(`  - remove AWSPENDING from version ${stray.versionId} (created ${formatAge(stray.ageSeconds)} ago)`);
  }
  for (const revocation of revocations) say(`  - revoke ${revocation.keyId}: ${revocation.why}`);
  for (const note of notes) say(`  Note: ${note}`);

  if (!options.yes) {
    // A question would interleave with the JSON document, and a script cannot answer it.
    if (!ctx.io.interactive || options.json) {
      throw new CliError(
        'recover changes the secret and revokes keys, so it asks for confirmation, but it is not running in an ' +
          `interactive terminal${options.json ? ' (or --json is set)' : ''}. Nothing was changed. Re-run with ` +
          '--yes to go ahead.',
        undefined,
        { code: 'NOT_CONFIRMED' },
      );
    }
    if (!(await confirm(ctx.io, 'Go ahead? [y/N] '))) {
      say('Nothing was changed.');
      return EXIT.FAILED;
    }
  }

  // The plan was made before the prompt, and a rotation may have moved on since (a finishSecret that was
  // still running, say): every change is made only if the secret is still as planned. --force does not
  // lift this.
  const planned = stagesOf(report.versions);
  const rotatedSecrets = () => ctx.store.listSecretsRotatedBy(report.rotation.function ?? '');
  const done: { pendingRemovedFrom: string | null; revoked: RevokeOutcome[] } = {
    pendingRemovedFrom: null,
    revoked: [],
  };
  const stopped = async (change: string, revocation?: Revocation): Promise<number | undefined> => {
    const problem = await recheck(ctx, secret.arn, planned, manager, revocation, rotatedSecrets);
    if (problem === undefined) return undefined;
    const message = `Stopped before ${change}: ${problem}`;
    say(message);
    say('Nothing more was changed. Run status, then recover again for a new plan.');
    return finish({ outcome: 'stopped', message, plan, done }, EXIT.FAILED);
  };
  // Label first: it unblocks rotations, and a key whose revoke then fails is an orphan the next rotation
  // (or another recover) revokes. The other order could leave a pending version holding a dead key.
  if (stray) {
    const code = await stopped(`removing AWSPENDING from version ${stray.versionId}`);
    if (code !== undefined) return code;
    await ctx.store.updateStage(secret.arn, AWSPENDING, { removeFromVersionId: stray.versionId });
    say(`Removed AWSPENDING from version ${stray.versionId}.`);
    done.pendingRemovedFrom = stray.versionId;
    planned.set(stray.versionId, stagesWithout(planned.get(stray.versionId), AWSPENDING));
  }
  for (const revocation of revocations) {
    const { keyId, reason } = revocation;
    const code = await stopped(`revoking ${keyId}`, revocation);
    if (code !== undefined) return code;
    const outcome = await ensureRevoked(ctx.factify, manager, keyId, reason, { checkFirst: true });
    say(outcome === 'revoked' ? `Revoked ${keyId}.` : `${keyId} was already revoked.`);
    done.revoked.push({ keyId, outcome: outcome === 'revoked' ? 'revoked' : 'already-revoked' });
  }

  const after = (await buildStatusReport(ctx, secret.arn)).report;
  say(`Status: ${after.verdict}`);
  for (const line of wrap(after.explanation, 98)) say(`  ${line}`);
  return finish({ outcome: 'recovered', plan, done, status: after }, VERDICT_EXIT_CODES[after.verdict]);
}

/** What recover means to change (docs/operating.md#json-output). */
interface RecoverPlan {
  /** The stray version to take AWSPENDING off, if any. */
  readonly removePendingFrom: string | null;
  readonly revocations: readonly { keyId: string; reason: string; why: string }[];
  readonly notes: readonly string[];
}

interface RevokeOutcome {
  readonly keyId: string;
  readonly outcome: 'revoked' | 'already-revoked';
}

/** What `recover --json` reports besides the secret and the verdict it found. */
interface RecoverResult {
  /**
   * refused: nothing recover may change (healthy, a rotation that may be running, ...); recovered: the plan
   * was carried out; stopped: the secret changed under it, and it stopped before the next change.
   */
  readonly outcome: 'refused' | 'recovered' | 'stopped';
  readonly message?: string;
  readonly plan?: RecoverPlan;
  readonly done?: { readonly pendingRemovedFrom: string | null; readonly revoked: readonly RevokeOutcome[] };
  /** The status report: as found when refused, after the changes when recovered. */
  readonly status?: StatusReport;
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
        target: { kind: 'abandoned', keyId: stray.keyId, versionId: stray.versionId },
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
      target: { kind: 'orphan', keyId: orphan.keyId },
    });
  }
  for (const replaced of report.awaitingRevocation) {
    revocations.push({
      keyId: replaced.keyId,
      reason: ROTATED_REASON,
      why:
        replaced.versionId === undefined
          ? 'the key the rotation of AWSCURRENT replaced (its seal records it), left active by finishSecret'
          : `the replaced key in AWSPREVIOUS (version ${replaced.versionId}), left active by finishSecret`,
      target: {
        kind: 'replaced',
        keyId: replaced.keyId,
        ...(replaced.versionId === undefined ? {} : { versionId: replaced.versionId }),
      },
    });
  }
  return { revocations, notes };
}

type Stages = Map<string, string>;

function stagesOf(versions: readonly { versionId: string; stages: readonly string[] }[]): Stages {
  return new Map(versions.map((version) => [version.versionId, [...version.stages].sort().join(',')]));
}

function stagesWithout(stages: string | undefined, stage: string): string {
  return (stages ?? '')
    .split(',')
    .filter((name) => name !== '' && name !== stage)
    .join(',');
}

/**
 * Reads the secret again just before a change. Undefined when the change may go ahead; otherwise why not:
 * the labels moved since the plan, or the evidence no longer allows the revoke (the function's own
 * re-check, lambda/keys/recheck.ts, which the scheduled revocation runs too).
 */
async function recheck(
  ctx: CliContext,
  arn: string,
  planned: Stages,
  manager: Credential,
  revocation: Revocation | undefined,
  rotatedSecrets: () => Promise<readonly SecretDescription[]>,
): Promise<string | undefined> {
  const now = await ctx.store.describe(arn);
  const actual = stagesOf(
    Object.entries(now.versions)
      .filter(([, stages]) => stages.length > 0)
      .map(([versionId, stages]) => ({ versionId, stages })),
  );
  const plannedLabelled = [...planned].filter(([, stages]) => stages !== '');
  const changed =
    plannedLabelled.length !== actual.size ||
    plannedLabelled.some(([versionId, stages]) => actual.get(versionId) !== stages);
  if (changed) {
    return 'the secret changed since the plan was made (its staging labels moved: a rotation may have finished or started)';
  }
  if (revocation === undefined) return undefined;
  try {
    await recheckRevocation(
      {
        secret: now,
        store: ctx.store,
        factify: ctx.factify,
        sealKey: ctx.sealKey,
        ...(ctx.adminSecretId === undefined ? {} : { adminSecretId: ctx.adminSecretId }),
        rotatedSecrets,
      },
      manager,
      revocation.target,
    );
  } catch (error) {
    if (error instanceof RevocationRefusedError) return error.message;
    throw error;
  }
  return undefined;
}
