import { describe, expect, it } from 'vitest';
import { OrganizationMismatchError, RotationStateError } from '../../../lambda/telemetry/errors.js';
import { captureLogs, pendingKey, startRotation } from '../fixture.js';

describe('setSecret', () => {
  captureLogs();

  it('accepts the value createSecret stored without calling Factify', async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    const calls = rotation.factify.calls.length;

    await rotation.run('setSecret');

    expect(rotation.factify.calls.length).toBe(calls);
  });

  it('fails when createSecret has not stored a value', async () => {
    const rotation = startRotation();

    await expect(rotation.run('setSecret')).rejects.toThrow(/has no value: createSecret has not completed/);
    expect(rotation.sleeps.length).toBeGreaterThan(0);
  });

  it('refuses a pending value that holds the current key', async () => {
    const rotation = startRotation();
    rotation.store.setVersion(rotation.arn, rotation.token, ['AWSPENDING'], {
      apiKey: rotation.currentKey.key,
      apiKeyId: rotation.currentKey.id,
      organizationId: rotation.orgId,
      team: 'payments',
    });

    await expect(rotation.run('setSecret')).rejects.toThrow(/same key as AWSCURRENT/);
  });

  it("refuses a pending value that drops the user's other fields", async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    const { team: _team, ...withoutTeam } = rotation.store.valueOf(rotation.arn, rotation.token) ?? {};
    rotation.store.setVersion(rotation.arn, rotation.token, ['AWSPENDING'], withoutTeam);

    await expect(rotation.run('setSecret')).rejects.toBeInstanceOf(RotationStateError);
  });

  it('refuses a pending key recorded in another organization than the current key', async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    expect(pendingKey(rotation).apiKeyId).toBeDefined();
    // createSecret refuses such a current value itself; here it changes between the two steps.
    rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
      apiKey: rotation.currentKey.key,
      apiKeyId: rotation.currentKey.id,
      organizationId: 'org_00000000000000000000000000',
      team: 'payments',
    });

    await expect(rotation.run('setSecret')).rejects.toBeInstanceOf(OrganizationMismatchError);
  });
});
