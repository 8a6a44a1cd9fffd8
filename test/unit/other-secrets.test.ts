import { describe, expect, it } from 'vitest';
import { secretsHolding } from '../../lambda/keys/other-secrets.js';
import type { FactifyKey } from '../../lambda/ports.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { FakeFactify } from '../fakes/factify-keys.js';
import { FakeSecretStore } from '../fakes/secret-store.js';
import { FUNCTION_ARN } from './fixture.js';

/**
 * Whether another secret this function rotates holds a hand-written key: asked once in a secret's life, but
 * by every secret of a fleet enrolled at once, so what it costs must not grow per secret with the fleet.
 */
function fleetOf(size: number) {
  const factify = new FakeFactify(() => new Date('2026-11-27T00:00:00Z'));
  const orgId = factify.addOrganization();
  const store = new FakeSecretStore();
  const keys = Array.from({ length: size }, () => factify.addKey(orgId));
  const arns = keys.map((key, index) => store.addSecret(`fleet/${index}`, { apiKey: key.key }).arn);
  const handWritten = factify.addKey(orgId);
  const { arn } = store.addSecret('prod/factify', { apiKey: handWritten.key });
  const ctx = async () => ({
    secret: await store.describe(arn),
    store,
    rotatedSecrets: () => store.listSecretsRotatedBy(FUNCTION_ARN),
  });
  const listed = async (id: string) =>
    (await factify.listKeys({ key: new Sensitive(handWritten.key), label: 'k' })).find(
      (key) => key.id === id,
    ) as FactifyKey;
  return { store, keys, arns, handWritten, ctx, listed };
}

describe('secretsHolding', () => {
  it('reads the current values of a fleet 20 secrets a call, and nothing per secret', async () => {
    const { store, arns, handWritten, ctx, listed } = fleetOf(200);
    store.setVersion(arns[137] as string, 'copied-by-hand', ['AWSCURRENT'], { apiKey: handWritten.key });
    const context = await ctx();
    const key = await listed(handWritten.id);
    store.calls.length = 0;

    const holders = await secretsHolding(context, key, [new Sensitive(handWritten.key)]);

    expect(holders).toEqual([arns[137]]);
    expect(store.calls).toEqual(['listSecretsRotatedBy', ...Array(10).fill('currentValues')]);
  });

  it('reads the AWSPENDING value of a secret the listing shows mid-rotation, and finds the key there', async () => {
    const { store, arns, handWritten, ctx, listed } = fleetOf(30);
    store.setVersion(arns[3] as string, 'staged-by-hand', ['AWSPENDING'], { apiKey: handWritten.key });
    const context = await ctx();
    const key = await listed(handWritten.id);
    store.calls.length = 0;

    const holders = await secretsHolding(context, key, []);

    expect(holders).toEqual([arns[3]]);
    expect(store.calls).toEqual(['listSecretsRotatedBy', 'currentValues', 'currentValues', 'getValue']);
  });

  it('finds no holder when the others hold other keys or no key secret at all', async () => {
    const { store, arns, handWritten, ctx, listed } = fleetOf(5);
    store.setVersion(arns[1] as string, 'notes', ['AWSCURRENT'], 'not a key secret');

    await expect(
      secretsHolding(await ctx(), await listed(handWritten.id), [new Sensitive(handWritten.key)]),
    ).resolves.toEqual([]);
  });
});
