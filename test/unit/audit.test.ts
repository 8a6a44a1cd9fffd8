import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../lambda/telemetry/errors.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { captureLogs, startRotation } from './fixture.js';

const emfLines = (lines: Record<string, unknown>[]) => lines.filter((line) => '_aws' in line);

describe('the audit action', () => {
  const logs = captureLogs();

  it.each([
    ['no SecretIds', { Action: 'audit' }],
    ['an empty list', { Action: 'audit', SecretIds: [] }],
    ['a list of 101', { Action: 'audit', SecretIds: Array.from({ length: 101 }, (_, i) => `secret-${i}`) }],
    ['a non-string id', { Action: 'audit', SecretIds: ['prod/factify', 7] }],
    ['an empty id', { Action: 'audit', SecretIds: [' '] }],
    ['an extra field', { Action: 'audit', SecretIds: ['prod/factify'], SecretId: 'prod/factify' }],
  ])('rejects %s before any call', async (_name, event) => {
    const rotation = startRotation();
    rotation.store.calls.length = 0;

    const failure = rotation.invoke(event);
    await expect(failure).rejects.toBeInstanceOf(InvalidEventError);
    await expect(failure).rejects.toThrow(
      /Accepted shapes: .*the daily audit \{"Action": "audit", "SecretIds"/,
    );
    expect(rotation.store.calls).toEqual([]);
    expect(rotation.factify.calls).toEqual([]);
  });

  it('returns and logs verdicts, codes, counts and dates, never a version id or key id', async () => {
    const rotation = startRotation({ graceSeconds: 3600 });
    await rotation.rotate();
    // An orphan of this secret's rotations, and a rotation left pending: ids an invoker must not learn.
    const orphan = rotation.factify.addKey(rotation.orgId, { name: `fkr-x-${'o'.repeat(36)}`, admin: false });
    const pendingVersion = rotation.store.addPendingPlaceholder(rotation.arn);
    logs.reset();

    const report = await rotation.invoke({ Action: 'audit', SecretIds: [rotation.arn] });

    const printed = `${JSON.stringify(report)}\n${logs.text()}`;
    const ids = [
      rotation.currentVersionId,
      rotation.token,
      pendingVersion,
      rotation.currentKey.id,
      orphan.id,
      ...rotation.factify.calls.flatMap((call) => (call.keyId ? [call.keyId] : [])),
      ...Object.keys(await rotation.store.describe(rotation.arn).then((secret) => secret.versions)),
    ];
    expect(ids.filter((id) => printed.includes(id)).map((_id, index) => `id #${index}`)).toEqual([]);
    expect(report).toMatchObject({
      secrets: [
        {
          secretId: rotation.arn,
          secretName: 'prod/factify',
          // The fake store keeps no creation dates: a pending rotation of unknown age counts as stuck.
          verdict: 'stuck',
          findings: [{ code: 'rotation-stuck' }],
          rotation: { enabled: true },
          orphanedKeys: 0,
          replacedKeysNotRevoked: 0,
          scheduledRevocations: [{ revokeAt: '2026-11-27T01:00:00.000Z' }],
        },
      ],
    });
  });

  it('refuses the admin secret, by ARN or name, and reads nothing of it', async () => {
    const rotation = startRotation({ admin: true });
    const admin = await rotation.store.describe('factify-admin');
    rotation.store.calls.length = 0;
    rotation.factify.calls.length = 0;

    const report = (await rotation.invoke({
      Action: 'audit',
      SecretIds: [admin.arn, 'factify-admin', rotation.arn],
    })) as { secrets: Record<string, unknown>[]; summary: Record<string, number> };

    for (const refused of report.secrets.slice(0, 2)) {
      expect(refused).toMatchObject({ error: { code: 'ADMIN_SECRET_REFUSED' } });
    }
    expect(report.secrets[2]).toMatchObject({ secretId: rotation.arn, verdict: expect.any(String) });
    expect(report.secrets[2]).not.toHaveProperty('error');
    expect(report.summary).toMatchObject({ audited: 3, notChecked: 2 });
    // Only the audited secret's versions were read, and the admin's value once, as the manager's key.
    expect(rotation.store.calls.filter((call) => call === 'listVersions')).toHaveLength(1);
  });

  it('reads only, reports each secret, and goes on past a secret it cannot check', async () => {
    const rotation = startRotation();
    await rotation.rotate();
    rotation.store.calls.length = 0;
    rotation.factify.calls.length = 0;
    logs.reset();

    const report = (await rotation.invoke({
      Action: 'audit',
      SecretIds: ['prod/missing', rotation.arn],
    })) as { secrets: Record<string, unknown>[]; summary: Record<string, number> };

    expect(report.summary).toEqual({ audited: 2, healthy: 1, withFindings: 0, notChecked: 1 });
    expect(report.secrets[0]).toEqual({
      secretId: 'prod/missing',
      error: { name: 'Error', code: 'UNEXPECTED_ERROR' },
    });
    expect(report.secrets[1]).toMatchObject({ secretId: rotation.arn, verdict: 'healthy', findings: [] });
    expect(new Set(rotation.store.calls)).toEqual(new Set(['describe', 'listVersions', 'getValue']));
    expect(new Set(rotation.factify.calls.map((call) => call.method))).toEqual(new Set(['listKeys']));
    expect(logs.lines().find((line) => line.message === 'Audit could not check the secret')).toMatchObject({
      level: 'ERROR',
      secretId: 'prod/missing',
      finding: 'not-checked',
    });
    // The secret it could not check publishes nothing; the other publishes its health.
    expect(emfLines(logs.lines())).toEqual([
      expect.objectContaining({
        SecretName: 'prod/factify',
        RotationOverdue: 0,
        RotationStuck: 0,
        CurrentKeyNotActive: 0,
        OrphanedKeys: 0,
        ReplacedKeysNotRevoked: 0,
        ActiveKeys: 1,
      }),
    ]);
    expectNoSecrets(logs.text() + JSON.stringify(report), rotation.secrets());
  });
});

describe('metrics of a rotation', () => {
  const logs = captureLogs();

  it('publishes each step outcome, the completed rotation and the age of the key it revoked', async () => {
    const rotation = startRotation();
    await rotation.rotate();
    rotation.advance(30 * 86_400);
    const next = rotation.store.addPendingPlaceholder(rotation.arn);
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotation.run(step, next);
    }

    const perSecret = emfLines(logs.lines()).filter((line) => !('Step' in line));
    expect(perSecret.map((line) => line.StepSucceeded)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(perSecret.filter((line) => line.RotationsCompleted === 1)).toHaveLength(2);
    // The first key, stored by hand without createdAt: its age from Factify's listing (the fixture's clock);
    // the second key was stored by createSecret 30 days earlier.
    expect(
      perSecret.flatMap((line) => ('ReplacedKeyAgeDays' in line ? [line.ReplacedKeyAgeDays] : [])),
    ).toEqual([0, 30]);
  });

  it('publishes a failed step', async () => {
    const rotation = startRotation();
    // Once the secret was described: before that, no metric names it (see invocation-surface.test.ts).
    rotation.store.failNext('getValue', new Error('ThrottlingException'));

    await expect(rotation.run('createSecret')).rejects.toThrow();

    expect(emfLines(logs.lines())).toEqual([
      expect.objectContaining({ SecretName: 'prod/factify', StepSucceeded: 0, StepFailed: 1 }),
      expect.objectContaining({ Step: 'createSecret', StepFailed: 1 }),
    ]);
  });
});
