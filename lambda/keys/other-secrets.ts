import { AWSCURRENT, AWSPENDING, type FactifyKey } from '../ports.js';
import type { SecretContext } from '../step-context.js';
import { MalformedSecretValueError, RevocationRefusedError } from '../telemetry/errors.js';
import type { Sensitive } from '../telemetry/redaction.js';
import { versionWithStage } from './guard.js';
import { prefixStarts } from './ownership.js';
import { parseKeySecret } from './secret-value.js';

/**
 * The other secrets this function rotates whose AWSCURRENT or AWSPENDING value holds `key`: a person may
 * have put one hand-made key into two secrets. With `secrets` (the key's secret, from the versions of this
 * secret identified as holding it) a value holds the key when its apiKey is one of them; without, when it
 * names the key by apiKeyId or shows its prefix, which may be a neighbour's. A value that is not a key
 * secret holds none. Refuses (RevocationRefusedError) when the secrets cannot be listed.
 *
 * It runs once in a secret's life, for the key it started with, but over a fleet of thousands, and a fleet
 * enrolled at once runs it for each of its secrets: so it reads every AWSCURRENT value 20 secrets a call
 * (BatchGetSecretValue), and reads an AWSPENDING value on its own only for a secret the listing shows
 * mid-rotation (ListSecrets is eventually consistent: a label moved in the last minutes may not show yet).
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
  const others = (await ctx.rotatedSecrets()).filter(
    (other) => other.arn !== ctx.secret.arn && other.arn !== ctx.adminSecretId,
  );
  const current = await ctx.store.currentValues(others.map((other) => other.arn));
  const holders: string[] = [];
  for (const other of others) {
    const values = [current.get(other.arn)];
    const pendingVersionId = versionWithStage(other, AWSPENDING);
    if (pendingVersionId !== undefined && pendingVersionId !== versionWithStage(other, AWSCURRENT)) {
      values.push(await ctx.store.getValue(other.arn, { versionId: pendingVersionId }));
    }
    if (values.some((raw) => raw !== undefined && holds(raw, other.arn, key, secrets)))
      holders.push(other.arn);
  }
  return holders;
}

function holds(raw: Sensitive, arn: string, key: FactifyKey, secrets: readonly Sensitive[]): boolean {
  try {
    const value = parseKeySecret(raw, `A value of secret ${arn}`);
    return secrets.length > 0
      ? secrets.some((secret) => secret.equals(value.apiKey))
      : value.apiKeyId === key.id || prefixStarts(key, value.apiKey);
  } catch (error) {
    if (!(error instanceof MalformedSecretValueError)) throw error;
    return false;
  }
}
