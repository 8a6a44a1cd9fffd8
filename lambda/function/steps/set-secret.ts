import { readPending, readRequiredVersion } from '../../keys/secret-versions.js';
import { AWSCURRENT } from '../../ports.js';
import type { StepContext } from '../../step-context.js';
import { OrganizationMismatchError, RotationStateError } from '../../telemetry/errors.js';

/**
 * setSecret: a Factify key is live from the moment it is created, so there is nothing to set at Factify.
 * The step checks, without any network call beyond Secrets Manager, that the pending value is a
 * replacement for the current one and not a confused deputy: it holds a complete key record, a different
 * key from the current one, in the same organization, with the user's other fields carried over. testSecret
 * then proves the key against Factify.
 */
export async function setSecret(ctx: StepContext): Promise<void> {
  if (ctx.alreadyCurrent) {
    ctx.log.info('Rotation already promoted; nothing to set');
    return;
  }
  const pending = await readPending(ctx);
  if (pending === undefined) {
    throw new RotationStateError(
      `The AWSPENDING version ${ctx.token} of secret ${ctx.secret.arn} has no value: createSecret has not completed. ` +
        'Secrets Manager retries the rotation; if it keeps failing, see the createSecret error in the logs.',
    );
  }
  const current = await readRequiredVersion(ctx, { stage: AWSCURRENT });
  const problems: string[] = [];
  if (pending.apiKeyId === undefined) problems.push('it has no apiKeyId');
  if (pending.organizationId === undefined) problems.push('it has no organizationId');
  if (
    pending.apiKey.equals(current.apiKey) ||
    (pending.apiKeyId !== undefined && pending.apiKeyId === current.apiKeyId)
  ) {
    problems.push('it holds the same key as AWSCURRENT');
  }
  if (JSON.stringify(pending.carried) !== JSON.stringify(current.carried)) {
    problems.push("its other fields differ from AWSCURRENT's (they must be carried over unchanged)");
  }
  if (problems.length > 0) {
    throw new RotationStateError(
      `The AWSPENDING value of secret ${ctx.secret.arn} (version ${ctx.token}) was not written by createSecret: ` +
        `${problems.join('; ')}. Remove AWSPENDING from that version and start a new rotation.`,
    );
  }
  if (current.organizationId !== undefined && current.organizationId !== pending.organizationId) {
    throw new OrganizationMismatchError(
      `The pending key ${pending.apiKeyId} is recorded in organization ${pending.organizationId}, but the current key ` +
        `is in ${current.organizationId}. Remove AWSPENDING from version ${ctx.token} and start a new rotation.`,
    );
  }
  ctx.log.info('Pending key is consistent with the current one; Factify keys are active from creation', {
    keyId: pending.apiKeyId,
  });
}
