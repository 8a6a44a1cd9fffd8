import { keyNameFor } from '../../keys/key-naming.js';
import { managerCredential, readPending, readRequiredVersion } from '../../keys/secret-versions.js';
import { AWSCURRENT, type Credential } from '../../ports.js';
import type { StepContext } from '../../step-context.js';
import {
  FactifyAuthenticationError,
  FactifyPermissionError,
  KeyVerificationError,
  OrganizationMismatchError,
  RotationStateError,
} from '../../telemetry/errors.js';

/**
 * testSecret: prove the pending key works before it is promoted. It must authenticate (GET /organization,
 * with bounded retries while a new key propagates), belong to the current key's organization, and, when
 * the secret rotates itself, be able to manage keys (GET /api-keys), or the next rotation would fail.
 *
 * Secrets Manager's configuration test (RotateImmediately=false) calls this step on an AWSPENDING version
 * that has no value: then it checks that the current key can manage keys and creates nothing.
 */
export async function testSecret(ctx: StepContext): Promise<void> {
  if (ctx.alreadyCurrent) {
    ctx.log.info('Rotation already promoted; nothing to test');
    return;
  }
  const current = await readRequiredVersion(ctx, { stage: AWSCURRENT });
  const pending = await readPending(ctx);
  if (pending === undefined) {
    await configurationTest(
      ctx,
      await managerCredential(ctx, current, `the current key of secret ${ctx.secret.arn}`),
    );
    return;
  }
  const pendingAuth: Credential = {
    key: pending.apiKey,
    label: `the pending key ${pending.apiKeyId ?? ''}`.trim(),
  };
  const currentAuth: Credential = {
    key: current.apiKey,
    label: `the current key of secret ${ctx.secret.arn}`,
  };

  const organization = await untilPropagated(ctx, () => ctx.factify.getOrganization(pendingAuth));
  const currentOrganization = await ctx.factify.getOrganization(currentAuth);
  if (
    organization.id !== currentOrganization.id ||
    (pending.organizationId ?? organization.id) !== organization.id
  ) {
    throw new OrganizationMismatchError(
      `The pending key ${pending.apiKeyId} belongs to organization ${organization.id}, but the current key belongs to ` +
        `${currentOrganization.id}. The rotation stops here; remove AWSPENDING from version ${ctx.token} and check ` +
        'FACTIFY_ADMIN_SECRET_ID points at an admin key of the same organization.',
    );
  }
  if (ctx.adminSecretId === undefined) {
    try {
      await untilPropagated(ctx, () => ctx.factify.listKeys(pendingAuth));
    } catch (error) {
      if (!(error instanceof FactifyPermissionError)) throw error;
      throw new KeyVerificationError(
        `The pending key ${pending.apiKeyId} authenticates but lacks the organization admin role, so it could not ` +
          'rotate itself next time. Self-rotation needs a key with the admin role; alternatively set ' +
          'FACTIFY_ADMIN_SECRET_ID to a secret holding an admin key.',
        { cause: error },
      );
    }
  }
  ctx.log.info('Pending key verified against Factify', {
    keyId: pending.apiKeyId,
    organizationId: organization.id,
  });
}

async function configurationTest(ctx: StepContext, manager: Credential): Promise<void> {
  const keyName = keyNameFor(ctx.secret.arn, ctx.token);
  const keys = await ctx.factify.listKeys(manager);
  // A key for this version means createSecret did run and its value is not readable yet: not a configuration test.
  if (keys.some((key) => key.name === keyName && key.isActive)) {
    throw new RotationStateError(
      `createSecret created a key for version ${ctx.token} of secret ${ctx.secret.arn}, but its value is not readable ` +
        'yet. Secrets Manager retries the rotation.',
    );
  }
  ctx.log.info(
    'Configuration test: AWSPENDING has no value; the managing key can manage keys. Nothing was created',
  );
}

// A new key can take a moment to be accepted everywhere: retry 401s with backoff, leaving time for the rest.
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 4_000;
const MAX_WAIT_MS = 30_000;
const RESERVE_MS = 5_000;

async function untilPropagated<T>(ctx: StepContext, call: () => Promise<T>): Promise<T> {
  let waited = 0;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      return await call();
    } catch (error) {
      const affordable = waited + delay <= MAX_WAIT_MS && ctx.remainingMs() - delay > RESERVE_MS;
      if (!(error instanceof FactifyAuthenticationError) || !affordable) {
        if (error instanceof FactifyAuthenticationError) {
          throw new KeyVerificationError(
            `The pending key was still rejected by Factify (401) after ${Math.round(waited / 1000)} s of retries. ` +
              'The rotation stops here with the current key untouched; Secrets Manager retries it.',
            { cause: error },
          );
        }
        throw error;
      }
      ctx.log.info('Pending key not accepted yet; retrying', { delayMs: delay });
      await ctx.sleep(delay);
      waited += delay;
    }
  }
}
