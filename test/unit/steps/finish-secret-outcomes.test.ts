import { describe, expect, it, vi } from 'vitest';
import { SEAL_FIELD, seal } from '../../../lambda/keys/seal.js';
import {
  FactifyAuthenticationError,
  FactifyUnavailableError,
  RevocationRefusedError,
  RotationStateError,
} from '../../../lambda/telemetry/errors.js';
import { Sensitive } from '../../../lambda/telemetry/redaction.js';
import { captureLogs, pendingKey, type Rotation, startRotation } from '../fixture.js';

/**
 * finishSecret's decisions, one by one: what it promotes, which key it revokes or leaves (and what it logs
 * then), what it refuses, and how it recovers from a twin or a failure between its calls.
 */
const UP_TO_FINISH = ['createSecret', 'setSecret', 'testSecret'] as const;

async function readyToFinish(options: Parameters<typeof startRotation>[0] = {}): Promise<Rotation> {
  const rotation = startRotation(options);
  for (const step of UP_TO_FINISH) await rotation.run(step);
  return rotation;
}

/** Rewrites the pending value as the function would, with a seal that says it replaced `replacesKeyId`. */
async function resealPending(rotation: Rotation, replacesKeyId: string | null): Promise<void> {
  const value = rotation.store.valueOf(rotation.arn, rotation.token) as Record<string, unknown>;
  const { apiKey, apiKeyId } = pendingKey(rotation);
  const sealed = await seal(rotation.sealKey, {
    secretArn: rotation.arn,
    versionId: rotation.token,
    keyId: apiKeyId,
    apiKey: new Sensitive(apiKey),
    organizationId: rotation.orgId,
    replacesKeyId,
  });
  rotation.store.setVersion(rotation.arn, rotation.token, ['AWSPENDING'], { ...value, [SEAL_FIELD]: sealed });
}

function revokeNow(rotation: Rotation, keyId: string): Promise<void> {
  const operator = {
    key: new Sensitive(rotation.adminKey?.key ?? rotation.currentKey.key),
    label: 'an operator',
  };
  return rotation.factify.revokeKey(operator, keyId, 'by an operator');
}

describe('finishSecret decides', () => {
  const logs = captureLogs();
  const entries = (message: string) => logs.lines().filter((line) => line.message === message);

  it('logs the promotion with the version it replaced', async () => {
    const rotation = await readyToFinish();

    await rotation.run('finishSecret');

    expect(entries('Promoted the new version to AWSCURRENT')).toEqual([
      expect.objectContaining({ previousVersionId: rotation.currentVersionId }),
    ]);
    for (const secret of rotation.secrets()) expect(logs.text()).not.toContain(secret);
  });

  it('revokes nothing for a promoted value that carries no seal, and says so', async () => {
    const rotation = await readyToFinish();
    const { [SEAL_FIELD]: _seal, ...unsealed } = rotation.store.valueOf(rotation.arn, rotation.token) ?? {};
    rotation.store.setVersion(rotation.arn, rotation.token, ['AWSPENDING'], unsealed);

    await rotation.run('finishSecret');

    expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
    expect(rotation.factify.revokeCalls()).toBe(0);
    expect(
      entries(
        'The promoted value carries no seal of this function for this version (written by hand, or by a version ' +
          'of the function without seals), so which key it replaced is not known: not revoking any. Revoke the ' +
          'old key yourself (Factify dashboard) once nothing uses it.',
      ),
    ).toEqual([expect.objectContaining({ level: 'WARN', versionId: rotation.token })]);
  });

  it('revokes nothing when the seal records that the rotation replaced no key', async () => {
    const rotation = await readyToFinish();
    await resealPending(rotation, null);

    await rotation.run('finishSecret');

    expect(rotation.factify.revokeCalls()).toBe(0);
    expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
    expect(entries('No replaced key to revoke')).toEqual([expect.objectContaining({ replacedKeyId: null })]);
  });

  it('revokes nothing when retried after AWSPREVIOUS left the replaced version', async () => {
    const rotation = startRotation({ graceSeconds: 3600 });
    for (const step of UP_TO_FINISH) await rotation.run(step);
    await rotation.run('finishSecret');
    const old = rotation.store.valueOf(rotation.arn, rotation.currentVersionId);
    rotation.store.setVersion(rotation.arn, rotation.currentVersionId, [], old);
    rotation.scheduler.schedules.clear();
    logs.reset();

    await rotation.run('finishSecret');

    expect(rotation.scheduler.schedules.size).toBe(0);
    expect(entries('No replaced key to revoke')).toEqual([
      expect.objectContaining({ replacedKeyId: rotation.currentKey.id }),
    ]);
  });

  it('refuses when the seal says the new key replaced itself', async () => {
    const rotation = await readyToFinish();
    await resealPending(rotation, pendingKey(rotation).apiKeyId);

    const failure = rotation.run('finishSecret');

    await expect(failure).rejects.toBeInstanceOf(RotationStateError);
    await expect(failure).rejects.toThrow(
      `The replaced and the new version of secret ${rotation.arn} hold the same key; not revoking it.`,
    );
    expect(rotation.factify.revokeCalls()).toBe(0);
  });

  it('revokes nothing, and warns, when Factify no longer lists the replaced key', async () => {
    const rotation = await readyToFinish();
    const list = rotation.factify.listKeys.bind(rotation.factify);
    vi.spyOn(rotation.factify, 'listKeys').mockImplementation(async (auth, options) =>
      (await list(auth, options)).filter((key) => key.id !== rotation.currentKey.id),
    );

    await rotation.run('finishSecret');

    expect(rotation.factify.revokeCalls()).toBe(0);
    expect(entries("The replaced key is not among the organization's keys; nothing to revoke")).toEqual([
      expect.objectContaining({ level: 'WARN', keyId: rotation.currentKey.id }),
    ]);
  });

  it('leaves a replaced key that another actor revoked, and logs when (from the listing of revoked keys)', async () => {
    const rotation = await readyToFinish();
    await revokeNow(rotation, rotation.currentKey.id);

    await rotation.run('finishSecret');

    expect(rotation.factify.revokeCalls()).toBe(1);
    expect(entries('The replaced key is no longer active')).toEqual([
      expect.objectContaining({ keyId: rotation.currentKey.id, revokedAt: '2026-11-27T00:00:00.000Z' }),
    ]);
  });

  it('refuses to revoke the admin key that a person put into the secret, naming the rotation', async () => {
    const rotation = startRotation({ admin: true, currentIsAdmin: false });
    const admin = rotation.adminKey as { id: string; key: string };
    rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
      apiKey: admin.key,
      apiKeyId: admin.id,
    });
    for (const step of UP_TO_FINISH) await rotation.run(step);

    const failure = rotation.run('finishSecret');

    await expect(failure).rejects.toBeInstanceOf(RevocationRefusedError);
    await expect(failure).rejects.toThrow(
      `Refusing to revoke key ${admin.id} (the key the rotation of version ${rotation.token} of secret ` +
        `${rotation.arn} replaced): it is, or may be, the key of AWSCURRENT or AWSPENDING, the admin key`,
    );
    expect(rotation.factify.key(admin.id)?.isActive).toBe(true);
    expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
  });

  describe('the promotion', () => {
    it('fails with the store’s error, revoking nothing, when the label did not move', async () => {
      const rotation = await readyToFinish();
      rotation.store.failNext('updateStage', new Error('InternalServiceError'));

      await expect(rotation.run('finishSecret')).rejects.toThrow('InternalServiceError');

      expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSPENDING']);
      expect(rotation.factify.revokeCalls()).toBe(0);
    });

    it('goes on when a concurrent twin moved the label first', async () => {
      const rotation = await readyToFinish();
      const update = rotation.store.updateStage.bind(rotation.store);
      vi.spyOn(rotation.store, 'updateStage').mockImplementationOnce(async (arn, stage, change) => {
        await update(arn, stage, change);
        throw new Error('InvalidParameterException: AWSCURRENT is already on that version');
      });

      await rotation.run('finishSecret');

      expect(entries('A concurrent attempt of this step promoted the new version first')).toHaveLength(1);
      expect(entries('Promoted the new version to AWSCURRENT')).toEqual([]);
      expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
      expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
    });

    it('takes AWSPENDING off only while the version still has it, and fails when that does not happen', async () => {
      const rotation = await readyToFinish();
      const update = rotation.store.updateStage.bind(rotation.store);
      vi.spyOn(rotation.store, 'updateStage').mockImplementation(async (arn, stage, change) => {
        if (stage === 'AWSPENDING') throw new Error('InternalServiceError');
        return update(arn, stage, change);
      });

      await expect(rotation.run('finishSecret')).rejects.toThrow('InternalServiceError');
      expect(rotation.factify.revokeCalls()).toBe(0);

      vi.mocked(rotation.store.updateStage).mockRestore();
      await rotation.run('finishSecret');
      const updates = () => rotation.store.calls.filter((call) => call === 'updateStage').length;
      const before = updates();
      await rotation.run('finishSecret');

      // The retry of a finished rotation moves no label.
      expect(updates()).toBe(before);
      expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
    });
  });

  it('passes on a failure to read the replaced version, rather than taking it for a hand-made value', async () => {
    const rotation = await readyToFinish();
    const get = rotation.store.getValue.bind(rotation.store);
    vi.spyOn(rotation.store, 'getValue').mockImplementation(async (arn, selector) => {
      if (selector.versionId === rotation.currentVersionId) throw new Error('ThrottlingException');
      return get(arn, selector);
    });

    await expect(rotation.run('finishSecret')).rejects.toThrow('ThrottlingException');
    expect(rotation.factify.revokeCalls()).toBe(0);
  });

  describe('a new key revoked during its promotion', () => {
    it('says AWSCURRENT is back on the replaced version, and logs it', async () => {
      const rotation = await readyToFinish();
      await revokeNow(rotation, pendingKey(rotation).apiKeyId);

      await expect(rotation.run('finishSecret')).rejects.toThrow(
        `The new key of version ${rotation.token} of secret ${rotation.arn} was revoked while it was being ` +
          `promoted (by factify-rotation recover, or by hand). AWSCURRENT is back on version ` +
          `${rotation.currentVersionId}, whose key works. Start a new rotation.`,
      );
      expect(
        entries('The new key was revoked during its promotion; AWSCURRENT is back on the replaced version'),
      ).toEqual([expect.objectContaining({ level: 'WARN', versionId: rotation.currentVersionId })]);
    });

    it('leaves AWSCURRENT where it is when the replaced key is revoked too', async () => {
      const rotation = await readyToFinish({ admin: true, currentIsAdmin: false });
      await revokeNow(rotation, pendingKey(rotation).apiKeyId);
      await revokeNow(rotation, rotation.currentKey.id);

      await expect(rotation.run('finishSecret')).rejects.toThrow(
        `The new key of version ${rotation.token} of secret ${rotation.arn} was revoked while it was being ` +
          'promoted (by factify-rotation recover, or by hand). The replaced key is not active either: put a ' +
          'working key in the secret now.',
      );
      expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
    });

    it('does not move AWSCURRENT back onto a replaced version that now holds another key', async () => {
      const rotation = startRotation();
      for (const step of UP_TO_FINISH) await rotation.run(step);
      const other = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });
      rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
        apiKey: other.key,
        apiKeyId: other.id,
      });
      await revokeNow(rotation, pendingKey(rotation).apiKeyId);

      await expect(rotation.run('finishSecret')).rejects.toThrow(/The replaced key is not active either/);
      expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
      expect(rotation.factify.key(other.id)?.isActive).toBe(true);
    });

    it('still fails clearly when the replaced version holds no key secret', async () => {
      const rotation = await readyToFinish({ admin: true, currentIsAdmin: false });
      rotation.store.setVersion(
        rotation.arn,
        rotation.currentVersionId,
        ['AWSCURRENT'],
        'no longer a key secret',
      );
      await revokeNow(rotation, pendingKey(rotation).apiKeyId);

      await expect(rotation.run('finishSecret')).rejects.toThrow(/The replaced key is not active either/);
    });
  });

  describe('a rejected listing', () => {
    it('passes on a Factify outage', async () => {
      const rotation = await readyToFinish();
      rotation.factify.failNext('listKeys', new FactifyUnavailableError('down'));

      await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyUnavailableError);
      expect(rotation.factify.revokeCalls()).toBe(0);
    });

    it('in admin mode, passes on a 401 without asking with the replaced key', async () => {
      const rotation = await readyToFinish({ admin: true, currentIsAdmin: false });
      rotation.factify.failNext('listKeys', new FactifyAuthenticationError('unknown key'));
      const listings = () => rotation.factify.calls.filter((call) => call.method === 'listKeys').length;
      const before = listings();

      await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyAuthenticationError);
      expect(listings()).toBe(before + 1);
    });

    it('in self-rotation, passes on a passing 401 while the new key is still active, for a retry', async () => {
      const rotation = await readyToFinish();
      rotation.factify.failNext('listKeys', new FactifyAuthenticationError('unknown key'));

      await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyAuthenticationError);
      expect(rotation.factify.revokeCalls()).toBe(0);

      await rotation.run('finishSecret');
      expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
    });

    it('names the key it asked with, which a rejection from Factify reports to the operator', async () => {
      const rotation = await readyToFinish();
      const labels: string[] = [];
      const list = rotation.factify.listKeys.bind(rotation.factify);
      vi.spyOn(rotation.factify, 'listKeys').mockImplementation(async (auth, options) => {
        labels.push(auth.label);
        if (labels.length === 1) throw new FactifyAuthenticationError('unknown key');
        return list(auth, options);
      });

      await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyAuthenticationError);

      expect(labels).toEqual([
        `the new current key of secret ${rotation.arn}`,
        `the replaced key of secret ${rotation.arn}`,
      ]);
    });

    it('in self-rotation, passes on a 401 when the replaced version holds no key secret', async () => {
      const rotation = await readyToFinish();
      rotation.store.setVersion(
        rotation.arn,
        rotation.currentVersionId,
        ['AWSCURRENT'],
        'no longer a key secret',
      );
      rotation.factify.failNext('listKeys', new FactifyAuthenticationError('unknown key'));

      await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyAuthenticationError);
      expect(rotation.factify.revokeCalls()).toBe(0);
    });
  });
});
