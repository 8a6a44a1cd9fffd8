import { describe, expect, it } from 'vitest';
import { FactifyRequestError, FactifyUnavailableError } from '../../../lambda/telemetry/errors.js';
import { Sensitive } from '../../../lambda/telemetry/redaction.js';
import { captureLogs, pendingKey, startRotation } from '../fixture.js';

describe('finishSecret', () => {
  captureLogs();

  it('promotes the new version, leaves AWSPENDING nowhere and revokes the replaced key with reason "rotated"', async () => {
    const rotation = startRotation();

    await rotation.rotate();

    expect(rotation.store.stages(rotation.arn)).toEqual({
      [rotation.currentVersionId]: ['AWSPREVIOUS'],
      [rotation.token]: ['AWSCURRENT'],
    });
    expect(rotation.factify.key(rotation.currentKey.id)).toMatchObject({
      isActive: false,
      revokedComment: 'rotated',
    });
    expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(1);
    expect(rotation.factify.key(pendingKey(rotation).apiKeyId)?.isActive).toBe(true);
  });

  it('revokes with the new key in self-rotation', async () => {
    const rotation = startRotation();
    await rotation.rotate();

    // The old key is revoked, so only the new key could have authenticated the DELETE.
    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
  });

  it('still revokes when retried after the label moved but the revoke failed', async () => {
    const rotation = startRotation();
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await rotation.run(step);
    rotation.factify.failNext('revokeKey', new FactifyUnavailableError('down'));
    await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyUnavailableError);
    expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);

    await rotation.run('finishSecret');

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
  });

  it('does not revoke twice when retried after a completed finish', async () => {
    const rotation = startRotation();
    await rotation.rotate();

    await rotation.run('finishSecret');

    expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(1);
  });

  it('counts a rejected revoke as done once the listing shows the key revoked', async () => {
    const rotation = startRotation();
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await rotation.run(step);
    // Another actor revoked the old key already; Factify answers 404 to our DELETE.
    const old = rotation.factify.key(rotation.currentKey.id);
    if (old) Object.assign(old, { isActive: false, revokedAt: '2026-11-26T00:00:00Z' });

    await rotation.run('finishSecret');

    expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
  });

  it('fails when a rejected revoke is not confirmed by the listing', async () => {
    const rotation = startRotation();
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await rotation.run(step);
    rotation.factify.failNext('revokeKey', new FactifyRequestError('bad request', 400));

    await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyRequestError);
    expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
  });

  it('revokes with the admin key when FACTIFY_ADMIN_SECRET_ID is set', async () => {
    const rotation = startRotation({ admin: true, currentIsAdmin: false });

    await rotation.rotate();

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
  });

  it('puts the replaced version back as AWSCURRENT when the new key was revoked during its promotion', async () => {
    // An operator's recover, acting on a plan made while this rotation looked stuck, revoked the new key.
    const rotation = startRotation();
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await rotation.run(step);
    const fresh = pendingKey(rotation).apiKeyId;
    const admin = { key: new Sensitive(rotation.currentKey.key), label: 'an operator' };
    await rotation.factify.revokeKey(admin, fresh, 'rotation-abandoned');

    await expect(rotation.run('finishSecret')).rejects.toThrow(/was revoked while it was being promoted/);

    expect(rotation.store.stages(rotation.arn)[rotation.currentVersionId]).toEqual(['AWSCURRENT']);
    expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
  });
});
