import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../../lambda/keys/key-naming.js';
import {
  FactifyAuthenticationError,
  KeyVerificationError,
  OrganizationMismatchError,
} from '../../../lambda/telemetry/errors.js';
import { captureLogs, pendingKey, startRotation } from '../fixture.js';

describe('testSecret', () => {
  captureLogs();

  it('authenticates the pending key, compares organizations and proves it can manage keys', async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    rotation.factify.calls.length = 0;

    await rotation.run('testSecret');

    expect(rotation.factify.calls.map((call) => call.method)).toEqual([
      'getOrganization',
      'getOrganization',
      'listKeys',
    ]);
  });

  it('waits for a new key to propagate, with bounded retries on 401', async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    rotation.factify.failNext('getOrganization', new FactifyAuthenticationError('not yet'));
    rotation.factify.failNext('getOrganization', new FactifyAuthenticationError('not yet'));

    await rotation.run('testSecret');

    expect(rotation.sleeps).toEqual([250, 500]);
  });

  it('gives up after bounded retries when the pending key keeps failing, leaving the current key alone', async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    for (let i = 0; i < 50; i++)
      rotation.factify.failNext('getOrganization', new FactifyAuthenticationError('no'));

    await expect(rotation.run('testSecret')).rejects.toBeInstanceOf(KeyVerificationError);
    expect(rotation.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(30_000);
    expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
    expect(rotation.store.stages(rotation.arn)[rotation.currentVersionId]).toEqual(['AWSCURRENT']);
  });

  it('refuses, in self-rotation, a pending key that lacks the admin role', async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    const pending = rotation.factify.key(pendingKey(rotation).apiKeyId);
    if (pending) pending.admin = false;

    await expect(rotation.run('testSecret')).rejects.toThrow(/lacks the organization admin role/);
  });

  it('accepts a pending member key when an admin key manages the rotation', async () => {
    const rotation = startRotation({ admin: true });
    await rotation.run('createSecret');
    const pending = rotation.factify.key(pendingKey(rotation).apiKeyId);
    if (pending) pending.admin = false;

    await rotation.run('testSecret');

    expect(rotation.factify.calls.filter((call) => call.method === 'listKeys')).toHaveLength(1);
  });

  it('refuses a pending key of another organization', async () => {
    const rotation = startRotation();
    const otherOrg = rotation.factify.addOrganization();
    const stranger = rotation.factify.addKey(otherOrg);
    rotation.store.setVersion(rotation.arn, rotation.token, ['AWSPENDING'], {
      apiKey: stranger.key,
      apiKeyId: stranger.id,
      organizationId: rotation.orgId,
      team: 'payments',
    });

    await expect(rotation.run('testSecret')).rejects.toBeInstanceOf(OrganizationMismatchError);
  });

  it("passes Secrets Manager's configuration test (empty AWSPENDING) without creating anything", async () => {
    const rotation = startRotation();

    await rotation.run('testSecret');

    expect(rotation.factify.calls.map((call) => call.method)).toEqual(['listKeys']);
    expect(rotation.factify.activeKeys(rotation.orgId)).toHaveLength(1);
  });

  it('does not mistake an unreadable pending value for the configuration test', async () => {
    const rotation = startRotation();
    rotation.factify.addKey(rotation.orgId, { name: keyNameFor(rotation.arn, rotation.token) });

    await expect(rotation.run('testSecret')).rejects.toThrow(/not readable yet/);
  });
});
