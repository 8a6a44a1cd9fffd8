import { AWSCURRENT, AWSPENDING, type FactifyKey } from '../ports.js';
import type { SecretContext } from '../step-context.js';
import { MalformedSecretValueError, RevocationRefusedError } from '../telemetry/errors.js';
import type { Sensitive } from '../telemetry/redaction.js';
import { versionWithStage } from './guard.js';
import { prefixStarts } from './ownership.js';
import { parseKeySecret } from './secret-value.js';

// Reads run a few at a time: the check runs once in a secret's life, but over a fleet of thousands.
const CONCURRENCY = 8;

/**
 * The other secrets this function rotates whose AWSCURRENT or AWSPENDING value holds `key`: a person may
 * have put one hand-made key into two secrets. With `secrets` (the key's secret, from the versions of this
 * secret identified as holding it) a value holds the key when its apiKey is one of them; without, when it
 * names the key by apiKeyId or shows its prefix, which may be a neighbour's. A value that is not a key
 * secret holds none. Refuses (RevocationRefusedError) when the secrets cannot be listed.
 */
export type OtherSecretsContext = Pick<
  SecretContext,
  'secret' | 'store' | 'rotatedSecrets' | 'adminSecretId'
>;

export async function secretsHolding(
  ctx: OtherSecretsContext,
  key: FactifyKey,
  secrets: readonly Sensitive[],
): Promise<string[]> {
  if (ctx.rotatedSecrets === undefined) {
    throw new RevocationRefusedError(
      `Refusing to revoke key ${key.id}: it was written into secret ${ctx.secret.arn} by hand, and without the ` +
        "function's ARN the other secrets it rotates, which may hold the same key, cannot be listed. Nothing was revoked.",
    );
  }
  const arns = (await ctx.rotatedSecrets()).filter(
    (arn) => arn !== ctx.secret.arn && arn !== ctx.adminSecretId,
  );
  const holders: string[] = [];
  for (let start = 0; start < arns.length; start += CONCURRENCY) {
    const batch = arns.slice(start, start + CONCURRENCY);
    const held = await Promise.all(batch.map((arn) => holds(ctx, arn, key, secrets)));
    holders.push(...batch.filter((_, index) => held[index]));
  }
  return holders;
}

async function holds(
  ctx: OtherSecretsContext,
  arn: string,
  key: FactifyKey,
  secrets: readonly Sensitive[],
): Promise<boolean> {
  const secret = await ctx.store.describe(arn);
  for (const stage of [AWSCURRENT, AWSPENDING]) {
    const versionId = versionWithStage(secret, stage);
    if (versionId === undefined) continue;
    const raw = await ctx.store.getValue(arn, { versionId });
    if (raw === undefined) continue;
    try {
      const value = parseKeySecret(raw, `The ${stage} value of secret ${arn}`);
      const held =
        secrets.length > 0
          ? secrets.some((secret) => secret.equals(value.apiKey))
          : value.apiKeyId === key.id || prefixStarts(key, value.apiKey);
      if (held) return true;
    } catch (error) {
      if (!(error instanceof MalformedSecretValueError)) throw error;
    }
  }
  return false;
}
