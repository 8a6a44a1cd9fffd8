import { AWSCURRENT, AWSPENDING, type Credential, type FactifyKey } from '../ports.js';
import type { SecretContext } from '../step-context.js';
import { RevocationRefusedError } from '../telemetry/errors.js';
import { versionWithStage } from './guard.js';
import { secretsHolding } from './other-secrets.js';
import {
  checkRevocable,
  createdHere,
  type HeldVersion,
  identifyKey,
  leftoverOwnKeys,
  possessionProblem,
  protectedKeyIds,
  refuseProtected,
  replacedKeyIdOf,
  secretsOf,
} from './ownership.js';
import { readHeldIfKeySecret, sealedWitnesses } from './secret-versions.js';

/**
 * Why a key is about to be revoked after a delay (a grace period, an operator's confirmation): the replaced
 * key of a rotation, a key a rotation of this secret left unheld (orphan), or the key of a stuck rotation's
 * version (abandoned).
 */
export type RevocationKind =
  | { readonly kind: 'replaced'; readonly keyId: string; readonly versionId?: string }
  | { readonly kind: 'orphan'; readonly keyId: string }
  | { readonly kind: 'abandoned'; readonly keyId: string; readonly versionId: string };

export type RecheckContext = Pick<
  SecretContext,
  'secret' | 'store' | 'factify' | 'sealKey' | 'adminSecretId' | 'rotatedSecrets'
>;

/**
 * The one re-check before a delayed revoke, for the scheduled revocation and `recover`: reads the secret as
 * it is now (`ctx.secret` freshly described) and proves the revoke again from evidence (ownership.ts). The
 * key, or 'already-revoked'; throws RevocationRefusedError, saying why, when the evidence does not allow it.
 */
export async function recheckRevocation(
  ctx: RecheckContext,
  manager: Credential,
  target: RevocationKind,
): Promise<FactifyKey | 'already-revoked'> {
  const arn = ctx.secret.arn;
  const refuse = (why: string): never => {
    throw new RevocationRefusedError(
      `Refusing to revoke key ${target.keyId} of secret ${arn}: ${why}. Nothing was revoked.`,
    );
  };
  const currentVersionId = versionWithStage(ctx.secret, AWSCURRENT);
  const pendingVersionId = versionWithStage(ctx.secret, AWSPENDING);
  const named = 'versionId' in target ? target.versionId : undefined;
  const ids = [...new Set([...Object.keys(ctx.secret.versions), ...(named ? [named] : [])])];
  let versions = (await Promise.all(ids.map((id) => readHeldIfKeySecret(ctx, id)))).filter(
    (version): version is HeldVersion => version !== undefined,
  );
  const current = versions.find((version) => version.versionId === currentVersionId);
  if (current === undefined) return refuse('its AWSCURRENT version holds no Factify key secret');
  const pending = versions.find((version) => version.versionId === pendingVersionId);

  const keys = await ctx.factify.listKeys(manager, { includeRevoked: true });
  const key = keys.find((listed) => listed.id === target.keyId);
  if (key === undefined) return refuse("it is not among the organization's keys");
  const labelled = versions;
  versions = [...labelled, ...(await sealedWitnesses(ctx, keys, labelled))];
  const identifications = labelled.map((version) => identifyKey(keys, version, versions));
  const live = [current, ...(pending ? [pending] : [])].map((version) =>
    identifyKey(keys, version, versions),
  );
  const protectedIds = protectedKeyIds(keys, arn, {
    live,
    ...(ctx.adminSecretId === undefined ? {} : { adminKey: manager.key }),
    versions,
  });
  const what = `the ${target.kind} key of secret ${arn}`;
  // A protected key is refused for that, whatever evidence the kind has.
  refuseProtected(key, protectedIds, what);
  const namedIndex = versions.findIndex((version) => version.versionId === named);
  const namedHolds = identifications[namedIndex];
  if (namedHolds?.resolved && namedHolds.key.id !== key.id) refuse(`version ${named} does not hold that key`);
  switch (target.kind) {
    case 'replaced': {
      // The evidence: a value this function wrote for this secret records that its rotation replaced the key.
      if (versions.some((version) => replacedKeyIdOf(version) === key.id)) break;
      // A release before seals wrote every value unsealed, and its scheduled revocations name the replaced
      // version: that value stands as any hand-written one does, by a prefix only this key shows and an
      // apiKey that authenticates in the key's organization. A dead key needs no proof: nothing is revoked.
      if (namedHolds?.resolved && namedHolds.evidence === 'prefix') {
        const what = `version ${named} of secret ${arn}`;
        const value = (versions[namedIndex] as HeldVersion).value;
        const why =
          key.revokedAt === null
            ? await possessionProblem(ctx.factify, { identification: namedHolds, value }, what)
            : undefined;
        if (why === undefined) break;
        refuse(
          `version ${named} was written by hand (no seal of this function) and ${why}, so it does not prove it ` +
            'holds that key',
        );
      }
      refuse(
        'no version of this secret that this function wrote records that its rotation replaced that key',
      );
      break;
    }
    case 'orphan':
      if (!leftoverOwnKeys(keys, arn, identifications).includes(key)) {
        refuse("it is not a key this secret's rotations made that no version holds (or may hold)");
      }
      break;
    case 'abandoned':
      if (
        !createdHere(
          key.id,
          versions.filter((version) => version.versionId === target.versionId),
        )
      ) {
        refuse(`version ${target.versionId} does not hold it under this function's seal`);
      }
      break;
  }
  if (key.revokedAt !== null) return 'already-revoked';
  await checkRevocable({ key, createdHere: createdHere(key.id, versions) }, protectedIds, what, (held) =>
    secretsHolding(ctx, held, secretsOf(held, keys, versions)),
  );
  return key;
}
